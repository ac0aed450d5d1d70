import { performance } from "node:perf_hooks";
import { isL2Error, type L2Logger, ObjectKey, silentLogger } from "@x/l2-core";
import { describe, expect, it } from "vitest";
import { MockL2Adapter, MockL2AdapterConfig } from "../src/index.js";

const GIB = 2 ** 30;
const key = (n: number, over: Partial<ConstructorParameters<typeof ObjectKey>[0]> = {}) =>
  new ObjectKey({ chunkHash: new Uint8Array([n, n >> 8]), modelName: "m", kvRank: 0x01000100, ...over });
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** A fast mock (bandwidth high enough that small objects complete at once) unless told otherwise. */
function mock(maxSizeBytes = 1 << 20, bandwidthGb = 64, logger: L2Logger = silentLogger): MockL2Adapter {
  const config = MockL2AdapterConfig.fromDict({
    type: "mock",
    max_size_gb: maxSizeBytes / GIB,
    mock_bandwidth_gb: bandwidthGb,
  });
  return new MockL2Adapter(config, { logger });
}

describe("mock store and load", () => {
  it("stores copies and loads into the caller's buffers", async () => {
    const adapter = mock();
    const source = bytes(100, 7);
    expect(await adapter.store([key(1)], [source])).toEqual({
      ok: true,
      bytesWritten: 100,
      error: undefined,
    });
    source.fill(0); // the caller reuses its buffer; the stored copy must not change
    const target = bytes(100, 0);
    const hit = await adapter.load([key(1)], [target]);
    expect(hit.toString()).toBe("1");
    expect(target.every((b) => b === 7)).toBe(true);
  });

  it("does not overwrite an existing key: re-store is ok with 0 bytes and the old bytes stay", async () => {
    const adapter = mock();
    await adapter.store([key(1)], [bytes(10, 1)]);
    expect(await adapter.store([key(1), key(2)], [bytes(10, 2), bytes(5, 2)])).toMatchObject({
      ok: true,
      bytesWritten: 5,
    });
    // The same key twice in one batch is stored once.
    expect(await adapter.store([key(3), key(3)], [bytes(4, 3), bytes(4, 9)])).toMatchObject({
      bytesWritten: 4,
    });
    const target = bytes(10, 0);
    await adapter.load([key(1)], [target]);
    expect(target.every((b) => b === 1)).toBe(true);
    expect(adapter.usage().totalBytesUsed).toBe(19);
  });

  it("concurrent stores of one key count its bytes once", async () => {
    const adapter = mock();
    const results = await Promise.all([1, 2, 3].map((n) => adapter.store([key(1)], [bytes(64, n)])));
    expect(results.map((r) => r.bytesWritten).sort()).toEqual([0, 0, 64]);
    expect(adapter.usage().totalBytesUsed).toBe(64);
  });

  it("load: bit i for keys[i]; a size mismatch or a missing key is a miss that leaves the target alone", async () => {
    const adapter = mock();
    await adapter.store([key(1), key(2), key(3)], [bytes(8, 1), bytes(8, 2), bytes(8, 3)]);
    const targets = [bytes(8, 0), bytes(7, 0), bytes(8, 0), bytes(9, 0), bytes(8, 0)];
    const bitmap = await adapter.load([key(3), key(1), key(1), key(2), key(99)], targets);
    expect(bitmap.toString()).toBe("10100");
    expect(targets.map((t) => t[0])).toEqual([3, 0, 1, 0, 0]);
    expect(targets[1]!.every((b) => b === 0)).toBe(true);
    expect(targets[3]!.every((b) => b === 0)).toBe(true);
  });

  it("salted and unsalted keys, and different groups, are different objects", async () => {
    const adapter = mock();
    await adapter.store([key(1), key(1, { cacheSalt: "t" })], [bytes(4, 1), bytes(6, 2)]);
    expect(
      (await adapter.lookupAndLock([key(1, { objectGroupId: 1 }), key(1, { cacheSalt: "t" })])).toString(),
    ).toBe("01");
    expect(adapter.usage().bytesByCacheSalt).toEqual({ "": 4, t: 6 });
  });
});

describe("mock argument checks (from L2AdapterBase)", () => {
  it("bad arguments reject with ARGUMENT_INVALID and change nothing already stored", async () => {
    const adapter = mock();
    await adapter.store([key(1)], [bytes(4, 1)]);
    const calls = [
      adapter.store([key(1), key(2)], [bytes(4, 9)]),
      adapter.store([key(2), "k" as never], [bytes(4, 9), bytes(4, 9)]),
      adapter.store([key(2)], [[1, 2] as never]),
      adapter.load([key(1)], []),
      adapter.lookupAndLock(undefined as never),
      adapter.delete([{ id: key(1).id } as never]),
      adapter.listKeys({ pageSize: 0 }),
    ];
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: "ARGUMENT_INVALID" });
    expect(adapter.status()).toMatchObject({ storedObjectCount: 1, lockedKeyCount: 0, currentSizeBytes: 4 });
    const target = bytes(4, 0);
    expect((await adapter.load([key(1)], [target])).test(0)).toBe(true);
    expect([...target]).toEqual([1, 1, 1, 1]);
  });
});

describe("mock capacity", () => {
  it("a full adapter fails the store task; keys stored earlier still load", async () => {
    const adapter = mock(1024);
    expect((await adapter.store([key(1), key(2)], [bytes(400, 1), bytes(400, 2)])).ok).toBe(true);
    const full = await adapter.store([key(3), key(4)], [bytes(100, 3), bytes(400, 4)]);
    expect(full.ok).toBe(false);
    expect(full.bytesWritten).toBe(100);
    expect(isL2Error(full.error, "IO_FAILED")).toBe(true);
    expect(full.error?.message).toMatch(/full/);
    expect(adapter.debugHasKey(key(4))).toBe(false);
    const targets = [bytes(400, 0), bytes(400, 0), bytes(100, 0), bytes(400, 0)];
    expect((await adapter.load([key(1), key(2), key(3), key(4)], targets)).toString()).toBe("1110");
    expect(targets[0]!.every((b) => b === 1)).toBe(true);
    expect(adapter.usage().totalBytesUsed).toBe(900);
    expect(adapter.usage().usageFraction).toBeCloseTo(900 / 1024);
  });

  it("an object larger than the whole capacity is never stored", async () => {
    const adapter = mock(1024);
    const result = await adapter.store([key(1)], [bytes(2048, 1)]);
    expect(result).toMatchObject({ ok: false, bytesWritten: 0 });
    expect(adapter.status().storedObjectCount).toBe(0);
  });

  it("deleting frees capacity for new stores", async () => {
    const adapter = mock(1024);
    await adapter.store([key(1)], [bytes(1000, 1)]);
    expect((await adapter.store([key(2)], [bytes(100, 2)])).ok).toBe(false);
    await adapter.delete([key(1)]);
    expect((await adapter.store([key(2)], [bytes(100, 2)])).ok).toBe(true);
    expect(adapter.usage().totalBytesUsed).toBe(100);
  });
});

describe("mock locks and delete", () => {
  it("lookupAndLock refcounts hits only; unlock drops one per call and ignores unknown keys", async () => {
    const adapter = mock();
    await adapter.store([key(1)], [bytes(4, 1)]);
    expect((await adapter.lookupAndLock([key(1), key(2)])).toString()).toBe("10");
    expect((await adapter.lookupAndLock([key(1)])).toString()).toBe("1");
    expect(adapter.status()).toMatchObject({ lockedKeyCount: 1, storedObjectCount: 1 });
    adapter.unlock([key(1), key(2), key(77)]);
    expect(adapter.status().lockedKeyCount).toBe(1); // two locks were taken, one dropped
    await adapter.delete([key(1)]);
    expect(adapter.debugHasKey(key(1))).toBe(true);
    adapter.unlock([key(1)]);
    adapter.unlock([key(1)]); // one more than taken: ignored
    expect(adapter.status().lockedKeyCount).toBe(0);
  });

  it("delete skips locked keys, removes them once unlocked, and is idempotent", async () => {
    const adapter = mock();
    const deleted: string[] = [];
    adapter.addListener({
      onKeysDeleted: (keys, sizes) => deleted.push(...keys.map((k, i) => `${k.chunkHashHex}:${sizes[i]}`)),
    });
    await adapter.store([key(1), key(2)], [bytes(4, 1), bytes(6, 2)]);
    await adapter.lookupAndLock([key(1)]);
    await adapter.delete([key(1), key(2), key(3)]);
    expect(adapter.debugHasKey(key(1))).toBe(true);
    expect(adapter.debugHasKey(key(2))).toBe(false);
    expect(deleted).toEqual(["0200:6"]);
    adapter.unlock([key(1)]);
    await adapter.delete([key(1)]);
    await adapter.delete([key(1)]);
    await adapter.delete([]);
    expect(deleted).toEqual(["0200:6", "0100:4"]);
    expect(adapter.status()).toMatchObject({ storedObjectCount: 0, currentSizeBytes: 0 });
    expect(adapter.usage()).toMatchObject({ totalBytesUsed: 0, bytesByCacheSalt: {} });
  });
});

describe("mock status, listeners and listing", () => {
  it("status has healthy, type and the object and lock counts", async () => {
    const adapter = mock(4096);
    await adapter.store([key(1), key(2)], [bytes(10, 1), bytes(20, 2)]);
    await adapter.lookupAndLock([key(2)]);
    expect(adapter.status()).toEqual({
      healthy: true,
      type: "mock",
      closed: false,
      storedObjectCount: 2,
      lockedKeyCount: 1,
      indexedKeyCount: 2,
      currentSizeBytes: 30,
      maxCapacityBytes: 4096,
      totalBytesUsed: 30,
      totalCapacityBytes: 4096,
    });
  });

  it("listeners see stores (with sizes), accesses on load and deletes; a throwing one changes nothing", async () => {
    const warnings: string[] = [];
    const adapter = mock(1 << 20, 64, { ...silentLogger, warn: (m) => warnings.push(m) });
    const events: string[] = [];
    adapter.addListener({
      onKeysStored: () => {
        throw new Error("listener bug");
      },
    });
    adapter.addListener({
      onKeysStored: (keys, sizes) => events.push(`stored ${keys.length} ${sizes}`),
      onKeysAccessed: (keys) => events.push(`accessed ${keys.length}`),
    });
    expect((await adapter.store([key(1), key(2)], [bytes(3, 1), bytes(5, 2)])).ok).toBe(true);
    await adapter.store([key(1)], [bytes(3, 1)]); // nothing new: no event
    await adapter.load([key(1), key(5)], [bytes(3, 0), bytes(3, 0)]);
    expect(events).toEqual(["stored 2 3,5", "accessed 1"]);
    expect(warnings.some((w) => w.includes("listener"))).toBe(true);
    expect(adapter.debugHasKey(key(2))).toBe(true);
  });

  it("listKeys pages through every key with a stable cursor and filters by model", async () => {
    const adapter = mock();
    const keys = Array.from({ length: 25 }, (_, i) => key(i, { modelName: i % 5 === 0 ? "other" : "m" }));
    await adapter.store(
      keys,
      keys.map((_, i) => bytes(i + 1, i)),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await adapter.listKeys({ pageSize: 7, cursor, modelName: "m" });
      expect(page.entries.length).toBeLessThanOrEqual(7);
      for (const entry of page.entries) {
        expect(entry.key.modelName).toBe("m");
        seen.push(`${entry.key.id}:${entry.sizeBytes}`);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const expected = keys
      .map((k, i) => ({ k, size: i + 1 }))
      .filter(({ k }) => k.modelName === "m")
      .map(({ k, size }) => `${k.id}:${size}`)
      .sort();
    expect(seen).toEqual(expected);
    expect(adapter.capabilities.listKeys).toBe(true);
  });
});

describe("mock bandwidth", () => {
  it("store and load take at least bytes / bandwidth (a lower bound only)", async () => {
    const size = 1 << 20;
    const bandwidthGb = 0.02; // 20 MiB/s: 1 MiB takes at least ~49 ms
    const expectedMs = (size / (bandwidthGb * GIB)) * 1000;
    const adapter = mock(1 << 22, bandwidthGb);
    let started = performance.now();
    await adapter.store([key(1)], [bytes(size, 1)]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(expectedMs - 2);
    started = performance.now();
    await adapter.load([key(1)], [bytes(size, 0)]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(expectedMs - 2);
    // Misses move no bytes, so they are not delayed by the bandwidth.
    const missed = await adapter.load([key(2)], [bytes(size, 0)]);
    expect(missed.toString()).toBe("0");
  });
});

describe("mock close", () => {
  it("waits for a delayed in-flight store, then rejects every call with ADAPTER_CLOSED", async () => {
    const adapter = mock(1 << 22, 0.02);
    const target = bytes(1 << 20, 0);
    await adapter.store([key(1)], [bytes(1 << 20, 5)]);
    const load = adapter.load([key(1)], [target]);
    let loadSettled = false;
    void load.then(() => {
      loadSettled = true;
    });
    await adapter.close();
    // close resolved only after the load that writes into the caller's buffer had settled.
    expect(loadSettled).toBe(true);
    expect((await load).test(0)).toBe(true);
    expect(target[0]).toBe(5);
    for (const call of [
      () => adapter.store([key(2)], [bytes(1, 1)]),
      () => adapter.lookupAndLock([key(1)]),
      () => adapter.load([key(1)], [bytes(1, 0)]),
      () => adapter.delete([key(1)]),
      () => adapter.listKeys({ pageSize: 1 }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "ADAPTER_CLOSED" });
    }
    expect(() => adapter.unlock([key(1)])).not.toThrow();
    expect(adapter.status()).toMatchObject({ healthy: false, type: "mock", closed: true });
    await adapter.close();
  });
});

describe("mock capacity", () => {
  it("a capacity below one byte is still a known capacity (full), never 'unknown'", async () => {
    const adapter = mock(0.25);
    expect(adapter.usage().totalCapacityBytes).toBe(1);
    expect(adapter.usage().usageFraction).toBe(0);
    const result = await adapter.store([key(1)], [bytes(2, 1)]);
    expect(result.ok).toBe(false);
    expect(isL2Error(result.error, "IO_FAILED")).toBe(true);
    await adapter.close();
  });
});
