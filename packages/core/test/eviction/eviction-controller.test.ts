import { afterEach, describe, expect, it } from "vitest";
import {
  type EvictionConfig,
  isL2Error,
  L2EvictionController,
  LruTracker,
  ObjectKey,
  QuotaManager,
  silentLogger,
} from "../../src/index.js";
import { MemoryAdapter } from "./memory-adapter.js";

const k = (n: number, salt = "") =>
  new ObjectKey({ chunkHash: Buffer.from([n >> 8, n & 255]), modelName: "m", kvRank: 0, cacheSalt: salt });
const lru = (ratio = 0.5, watermark = 0.8): EvictionConfig => ({
  policy: "LRU",
  triggerWatermark: watermark,
  evictionRatio: ratio,
});

const controllers: L2EvictionController[] = [];
function controller(adapter: MemoryAdapter, eviction: EvictionConfig | null, quotas?: QuotaManager) {
  const c = new L2EvictionController(adapter, { eviction, quotas, intervalMs: 0, logger: silentLogger });
  controllers.push(c);
  return c;
}
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.close();
});

async function fill(adapter: MemoryAdapter, ids: number[], size = 100, salt = "") {
  for (const id of ids) await adapter.store([k(id, salt)], [new Uint8Array(size)]);
}

describe("QuotaManager", () => {
  it("stores limits per salt, 0 for unknown salts, and rejects bad values with typed errors", () => {
    const q = new QuotaManager({ a: 100 });
    q.setQuota("", 5);
    expect(q.limitFor("a")).toBe(100);
    expect(q.limitFor("")).toBe(5);
    expect(q.limitFor("nobody")).toBe(0);
    expect(q.hasQuota("nobody")).toBe(false);
    q.removeQuota("a");
    expect(q.limitFor("a")).toBe(0);
    expect(() => q.setQuota("x", -1)).toThrow(expect.objectContaining({ code: "ARGUMENT_INVALID" }));
    expect(() => q.setQuota("x", 1.5)).toThrow(/integer number of bytes/);
    expect(new QuotaManager([["b", 7]]).entries()).toEqual([["b", 7]]);
  });
});

describe("LruTracker", () => {
  it("orders oldest first, moves accessed keys to the end, seeds recovered keys as oldest", () => {
    const t = new LruTracker();
    t.stored(k(1), 10);
    t.stored(k(2), 20);
    t.stored(k(3, "s"), 30);
    t.accessed(k(1));
    expect([...t.oldest()].map((e) => e.key.id)).toEqual([k(2).id, k(3, "s").id, k(1).id]);
    expect(t.trackedBytes("s")).toBe(30);
    t.seedOldest([
      { key: k(9), sizeBytes: 5 },
      { key: k(2), sizeBytes: 999 },
    ]);
    expect([...t.oldest()].map((e) => e.key.id)).toEqual([k(9).id, k(2).id, k(3, "s").id, k(1).id]);
    t.deleted(k(3, "s"));
    expect(t.saltCount).toBe(1);
    expect(t.size).toBe(3);
  });
});

describe("L2EvictionController", () => {
  it("global LRU: below the watermark nothing happens; above it the oldest keys go until the ratio is met", async () => {
    const a = new MemoryAdapter(1000);
    const c = controller(a, lru(0.5, 0.8));
    await fill(a, [1, 2, 3, 4, 5, 6, 7]);
    expect(await c.runOnce()).toMatchObject({ mode: "idle", evictedKeys: 0 });
    await fill(a, [8]);
    await a.load([k(1)], [new Uint8Array(100)]); // key 1 becomes the newest
    const r = await c.runOnce();
    expect(r).toMatchObject({ mode: "global", evictedKeys: 4, evictedBytes: 400, skippedKeys: 0 });
    expect([...a.objects.values()].map((o) => o.key.id).sort()).toEqual(
      [k(1), k(6), k(7), k(8)].map((x) => x.id).sort(),
    );
    expect(a.usage().totalBytesUsed).toBe(400);
    expect(c.status()).toMatchObject({ policy: "LRU", evictedKeys: 4, trackedKeys: 4, rounds: 2 });
  });

  it("never deletes locked keys; it takes the next candidates and retries the locked one later", async () => {
    const a = new MemoryAdapter(1000);
    const c = controller(a, lru(0.3, 0.8));
    await fill(a, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await a.lookupAndLock([k(1)]);
    const r = await c.runOnce();
    expect(a.objects.has(k(1).id)).toBe(true);
    expect(r.skippedKeys).toBe(1);
    expect(r.evictedBytes).toBeGreaterThanOrEqual(300);
    expect(a.objects.has(k(2).id)).toBe(false);
    a.unlock([k(1)]);
    await fill(a, [10, 11, 12]);
    await c.runOnce();
    expect(a.objects.has(k(1).id)).toBe(false);
  });

  it("noop and a missing eviction block never evict", async () => {
    const a = new MemoryAdapter(300);
    const c1 = controller(a, { policy: "noop", triggerWatermark: 0.1, evictionRatio: 1 });
    const c2 = controller(a, null);
    await fill(a, [1, 2, 3]);
    expect(await c1.runOnce()).toMatchObject({ mode: "idle" });
    expect(await c2.runOnce()).toMatchObject({ mode: "idle" });
    expect(a.objects.size).toBe(3);
  });

  it("IsolatedLRU evicts per salt against its quota and wipes salts without a quota", async () => {
    const a = new MemoryAdapter(0);
    const q = new QuotaManager({ big: 10_000, small: 400 });
    const c = controller(a, { policy: "IsolatedLRU", triggerWatermark: 0.75, evictionRatio: 0.5 }, q);
    expect(c.isolated).toBe(true);
    await fill(a, [1, 2, 3, 4], 100, "small");
    await fill(a, [5, 6, 7], 100, "big");
    await fill(a, [8, 9], 100, "stranger");
    const r = await c.runOnce();
    expect(r.mode).toBe("per-salt");
    const left = [...a.objects.values()].map((o) => o.key);
    expect(left.filter((x) => x.cacheSalt === "small").map((x) => x.id)).toEqual([
      k(3, "small").id,
      k(4, "small").id,
    ]);
    expect(left.filter((x) => x.cacheSalt === "big")).toHaveLength(3);
    expect(left.filter((x) => x.cacheSalt === "stranger")).toHaveLength(0);
    expect(a.usage().bytesByCacheSalt).toEqual({ small: 200, big: 300 });
  });

  it("IsolatedLRU without quotas behaves like global LRU", async () => {
    const a = new MemoryAdapter(500);
    const c = controller(a, { policy: "IsolatedLRU", triggerWatermark: 0.8, evictionRatio: 0.2 });
    expect(c.isolated).toBe(false);
    await fill(a, [1, 2, 3, 4, 5], 100, "x");
    expect(await c.runOnce()).toMatchObject({ mode: "global", evictedKeys: 1 });
    expect(a.objects.has(k(1, "x").id)).toBe(false);
  });

  it("seeds keys stored before it existed from listKeys, as the oldest", async () => {
    const a = new MemoryAdapter(1000);
    await fill(a, [1, 2, 3, 4, 5, 6, 7]);
    const c = controller(a, lru(0.2));
    await fill(a, [8]);
    await c.runOnce();
    expect(a.objects.has(k(8).id)).toBe(true);
    expect(a.objects.size).toBe(6);
  });

  it("runs on its own timer and stops on close; rejects a non-adapter", async () => {
    const a = new MemoryAdapter(1000);
    const c = new L2EvictionController(a, { eviction: lru(0.5), intervalMs: 5, logger: silentLogger });
    await fill(a, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 200 && a.objects.size === 9; i++) await new Promise((r) => setTimeout(r, 5));
    expect(a.objects.size).toBeLessThan(9);
    await c.close();
    const before = a.objects.size;
    await fill(a, [20, 21, 22, 23, 24, 25]);
    await new Promise((r) => setTimeout(r, 30));
    expect(a.objects.size).toBe(before + 6);
    expect(await c.runOnce()).toMatchObject({ mode: "idle" });
    let error: unknown;
    try {
      new L2EvictionController({} as never, { eviction: lru() });
    } catch (e) {
      error = e;
    }
    expect(isL2Error(error, "ARGUMENT_INVALID")).toBe(true);
  });

  it("stops evicting once the adapter is closed", async () => {
    const a = new MemoryAdapter(100);
    const c = controller(a, lru(1, 0.5));
    await fill(a, [1]);
    await a.close();
    expect(await c.runOnce()).toMatchObject({ mode: "idle" });
  });
});
