import { silentLogger } from "@x/l2-core";
import { afterEach, describe, expect, it } from "vitest";
import { StorageManager } from "../src/index.js";
import { bytes, keys, mockSpec, registry } from "./helpers/fixtures.js";

const open: StorageManager[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

async function manager(options: Partial<Parameters<typeof StorageManager.open>[0]> = {}) {
  const m = await StorageManager.open({
    l1SizeBytes: 1 << 20,
    l2: [mockSpec(), mockSpec()],
    registry: registry(),
    logger: silentLogger,
    ...options,
  });
  open.push(m);
  return m;
}

async function presentIn(m: StorageManager, id: number, ks: ReturnType<typeof keys>) {
  const adapter = m.l2Adapter(id)!;
  const found = await adapter.lookupAndLock(ks);
  adapter.unlock(found.gather(ks));
  return found.toString();
}

describe("store policies", () => {
  it("default: put returns at once, background stores reach every adapter, L1 keeps the objects", async () => {
    const m = await manager();
    const ks = keys(0, 10);
    const put = m.put(
      ks,
      ks.map((_, i) => bytes(i)),
    );
    expect(put.popcount()).toBe(10);
    await m.flush();
    expect(await presentIn(m, 0, ks)).toBe("1".repeat(10));
    expect(await presentIn(m, 1, ks)).toBe("1".repeat(10));
    const targets = ks.map(() => new Uint8Array(4096));
    expect(m.get(ks, targets).popcount()).toBe(10);
    for (const [i, t] of targets.entries()) expect(Buffer.from(t).equals(Buffer.from(bytes(i)))).toBe(true);
    const metrics = await m.metrics();
    expect(metrics.adapters.map((a) => a.bytesStored)).toEqual([40960, 40960]);
    expect(metrics.adapters[0]!.storeLatency.count).toBeGreaterThan(0);
  });

  it("skip_l1: objects leave L1 once every adapter stored them", async () => {
    const m = await manager({ storePolicy: "skip_l1" });
    const ks = keys(0, 4);
    m.put(
      ks,
      ks.map((_, i) => bytes(i)),
    );
    await m.flush();
    expect(
      m
        .get(
          ks,
          ks.map(() => new Uint8Array(4096)),
        )
        .popcount(),
    ).toBe(0);
    expect(await presentIn(m, 0, ks)).toBe("1111");
    expect(await presentIn(m, 1, ks)).toBe("1111");
    expect(await m.prefetch(ks)).toBe(4);
  });

  it("striped: each key goes to exactly one adapter, both get a share", async () => {
    const m = await manager({ l2: [mockSpec(), mockSpec(), mockSpec()], storePolicy: "striped" });
    const ks = keys(0, 60);
    m.put(
      ks,
      ks.map((_, i) => bytes(i, 256)),
    );
    await m.flush();
    const maps = await Promise.all([0, 1, 2].map((id) => presentIn(m, id, ks)));
    for (let i = 0; i < ks.length; i++) expect(maps.filter((s) => s[i] === "1")).toHaveLength(1);
    for (const s of maps) expect(s.includes("1")).toBe(true);
  });

  it("a failed store leaves the key in L1, unmarked, counted; the other adapter still has it", async () => {
    // 8 KiB of capacity: the second 4 KiB object fits, the third does not.
    const m = await manager({
      l2: [mockSpec({ max_size_gb: 8192 / 2 ** 30 }), mockSpec()],
      storeBatchKeys: 1,
    });
    const ks = keys(0, 3);
    m.put(
      ks,
      ks.map((_, i) => bytes(i)),
    );
    await m.flush();
    expect(await presentIn(m, 0, ks)).toBe("110");
    expect(await presentIn(m, 1, ks)).toBe("111");
    expect(
      m
        .get(
          ks,
          ks.map(() => new Uint8Array(4096)),
        )
        .popcount(),
    ).toBe(3);
    const metrics = await m.metrics();
    expect(metrics.adapters[0]!.failures).toEqual({ store_full: 1 });
    expect(metrics.adapters[1]!.failures).toEqual({});
    // A full adapter is not a broken one: refusals past the threshold leave it routable for lookups.
    const more = keys(10, 14);
    m.put(
      more,
      more.map((_, i) => bytes(10 + i)),
    );
    await m.flush();
    expect((await m.metrics()).adapters[0]!.failures).toEqual({ store_full: 5 });
    expect(m.adapters[0]!.state).toBe("active");
    expect(await m.prefetch(keys(0, 2))).toBe(2);
  });

  it("a put into an L1 full of locked objects fails cleanly and loses nothing", async () => {
    // A slow adapter keeps the background store running, and the store holds L1 read locks meanwhile.
    const m = await manager({ l1SizeBytes: 8192, l2: [mockSpec({ mock_bandwidth_gb: 2e-5 })] });
    const first = keys(0, 2);
    expect(
      m
        .put(
          first,
          first.map((_, i) => bytes(i)),
        )
        .popcount(),
    ).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect((m.status().l1 as { readLocks: number }).readLocks).toBe(2);
    const refused = m.put(keys(5, 6), [bytes(5)]);
    expect(refused.popcount()).toBe(0);
    const targets = first.map(() => new Uint8Array(4096));
    expect(m.get(first, targets).popcount()).toBe(2);
    for (const [i, t] of targets.entries()) expect(Buffer.from(t).equals(Buffer.from(bytes(i)))).toBe(true);
    expect((await m.metrics()).l1.putRejected).toBe(1);
  });

  it("rejects bad options with a typed error naming the field", async () => {
    await expect(StorageManager.open({ l1SizeBytes: 0, l2: [] })).rejects.toMatchObject({
      code: "ARGUMENT_INVALID",
      field: "l1SizeBytes",
    });
    await expect(
      StorageManager.open({ l1SizeBytes: 1024, l2: [], storePolicy: "mirror" as never }),
    ).rejects.toMatchObject({ code: "ARGUMENT_INVALID", field: "storePolicy" });
    await expect(
      StorageManager.open({ l1SizeBytes: 1024, l2: [], prefetchLoadTimeoutMs: Number.NaN }),
    ).rejects.toMatchObject({ field: "prefetchLoadTimeoutMs" });
    await expect(
      StorageManager.open({
        l1SizeBytes: 1024,
        l2: ['{"type":"mock"'],
        registry: registry(),
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", position: 1 });
    await expect(
      StorageManager.open({
        l1SizeBytes: 1024,
        l2: [mockSpec(), '{"type":"mock","max_size_gb":1}'],
        registry: registry(),
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", position: 2 });
  });
});
