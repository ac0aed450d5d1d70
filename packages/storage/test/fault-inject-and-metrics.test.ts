import { createL2AdapterRegistry, isL2Error, silentLogger } from "@x/l2-core";
import { afterEach, describe, expect, it } from "vitest";
import { type FaultInjectL2Adapter, FaultInjectL2AdapterConfig, StorageManager } from "../src/index.js";
import { bytes, key, keys, mockSpec, registry } from "./helpers/fixtures.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe("fault_inject type", () => {
  it("is discovered from this package's x-l2 field, without code registration", async () => {
    const r = createL2AdapterRegistry({
      root: new URL("..", import.meta.url).pathname,
      logger: silentLogger,
    });
    const types = await r.list();
    expect(types.find((t) => t.type === "fault_inject")).toMatchObject({
      source: "package",
      packageName: "@x/l2-storage",
    });
    const adapter = await r.create({
      type: "fault_inject",
      inner: { type: "mock", max_size_gb: 0.01, mock_bandwidth_gb: 100 },
    });
    expect(adapter.status()).toMatchObject({ healthy: true, type: "fault_inject", inner_type: "mock" });
    await adapter.close();
  });

  it("parses LMCache's keys and rejects bad ones naming the field", () => {
    const config = FaultInjectL2AdapterConfig.fromDict({
      type: "fault_inject",
      inner: { type: "mock", max_size_gb: 1, mock_bandwidth_gb: 1 },
      rate: 0.25,
      seed: 9,
      gap_indices: [1, 3],
      drop_chunk_hashes: ["00ff"],
    });
    expect([config.rate, config.seed, config.gapIndices, config.dropChunkHashes]).toEqual([
      0.25,
      9,
      [1, 3],
      ["00ff"],
    ]);
    for (const [bad, field] of [
      [{ rate: 2 }, "rate"],
      [{ gap_indices: [-1] }, "gap_indices"],
      [{ drop_chunk_hashes: ["xyz"] }, "drop_chunk_hashes"],
      [{ inner: { max_size_gb: 1 } }, "inner"],
      [{ rat: 0.1 }, "rat"],
    ] as const) {
      let error: unknown;
      try {
        FaultInjectL2AdapterConfig.fromDict({ type: "fault_inject", inner: { type: "mock" }, ...bad });
      } catch (e) {
        error = e;
      }
      expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
      expect(String((error as Error).message)).toContain(field);
    }
  });

  it("an invalid inner spec fails at creation with the field path", async () => {
    await expect(
      registry().create({ type: "fault_inject", inner: { type: "mock", max_size_gb: 1 } }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", field: expect.stringMatching(/^inner/) });
  });

  it("chosen keys are present at lookup and fail at load; the rest passes through", async () => {
    const adapter = (await registry().create({
      type: "fault_inject",
      inner: JSON.parse(mockSpec()),
      gap_indices: [0],
      drop_chunk_hashes: [key(3).chunkHashHex],
      rate: 0.5,
      seed: 1,
    })) as FaultInjectL2Adapter;
    cleanup.push(() => adapter.close());
    const ks = keys(0, 64);
    await adapter.store(
      ks,
      ks.map((_, i) => bytes(i, 64)),
    );
    expect((await adapter.lookupAndLock(ks)).popcount()).toBe(64);
    adapter.unlock(ks);
    const loaded = await adapter.load(
      ks,
      ks.map(() => new Uint8Array(64)),
    );
    expect(loaded.test(0)).toBe(false);
    expect(loaded.test(3)).toBe(false);
    const dropped = ks.map((k, i) => adapter.drops(k, i));
    expect(loaded.toString()).toBe(dropped.map((d) => (d ? "0" : "1")).join(""));
    // About half by rate, stable for a seed.
    const byRate = dropped.slice(4).filter(Boolean).length;
    expect(byRate).toBeGreaterThan(10);
    expect(byRate).toBeLessThan(50);
    const again = (await registry().create({
      type: "fault_inject",
      inner: JSON.parse(mockSpec()),
      rate: 0.5,
      seed: 1,
    })) as FaultInjectL2Adapter;
    cleanup.push(() => again.close());
    expect(ks.slice(4).map((k, i) => again.drops(k, i + 4))).toEqual(dropped.slice(4));
    expect(adapter.status().fault_inject).toMatchObject({ rate: 0.5, seed: 1, gap_indices: [0] });
  });
});

describe("metrics", () => {
  it("per adapter index (two adapters of one type do not collide), JSON and Prometheus text", async () => {
    const m = await StorageManager.open({
      l1SizeBytes: 1 << 20,
      l2: [mockSpec(), mockSpec()],
      registry: registry(),
      logger: silentLogger,
    });
    cleanup.push(() => m.close());
    const ks = keys(0, 3);
    m.put(
      ks,
      ks.map((_, i) => bytes(i)),
    );
    await m.flush();
    await m.l2Adapter(1)!.store(keys(10, 12), [bytes(10), bytes(11)]);
    expect(await m.prefetch(keys(10, 12))).toBe(2);
    const json = await m.metrics();
    expect(json.adapters.map((a) => [a.id, a.type, a.hits])).toEqual([
      [0, "mock", 0],
      [1, "mock", 2],
    ]);
    expect(json.adapters[1]!.loadLatency.count).toBe(1);
    expect(json.adapters[0]!.misses).toBe(2);
    expect(json.l1).toMatchObject({ usedBytes: 5 * 4096, objects: 5, capacityBytes: 1 << 20 });
    expect(json.prefetch.requests).toBe(1);
    const text = await m.metrics({ format: "prometheus" });
    expect(text).toContain('x_l2_l2_hits_total{adapter="1",type="mock"} 2');
    expect(text).toContain('x_l2_l2_stored_bytes_total{adapter="0",type="mock"} 12288');
    expect(text).toContain("x_l2_l1_used_bytes 20480");
    expect(text).toMatch(/x_l2_l2_load_seconds_bucket\{le="[0-9.]+",adapter="1",type="mock"\}/);
  });
});
