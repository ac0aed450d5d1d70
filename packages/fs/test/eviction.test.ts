import { readdir, utimes } from "node:fs/promises";
import { L2EvictionController, QuotaManager, silentLogger } from "@x/l2-core";
import { MockL2Adapter, MockL2AdapterConfig } from "@x/l2-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chunk, key, open, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("x-l2-fs-evict-");
});
afterEach(async () => {
  await dir.cleanup();
});

const KB100 = 100 * 1024;
const capacityGb = (bytes: number) => bytes / 2 ** 30;

describe("L2EvictionController on the fs adapter", () => {
  it("evicts the least recently used files by watermark and ratio, skipping locked keys", async () => {
    const a = await open(dir.path, {
      max_capacity_gb: capacityGb(10 * KB100),
      eviction: { eviction_policy: "LRU", trigger_watermark: 0.8, eviction_ratio: 0.3 },
    });
    const c = new L2EvictionController(a, {
      eviction: a.config.eviction,
      intervalMs: 0,
      logger: silentLogger,
    });
    for (let i = 0; i < 9; i++) await a.store([key(i)], [chunk(KB100)]);
    await a.load([key(0)], [Buffer.alloc(KB100)]); // 0 becomes the newest
    await a.lookupAndLock([key(1)]); // 1 is locked: never evicted
    const r = await c.runOnce();
    expect(r).toMatchObject({ mode: "global", evictedKeys: 3, evictedBytes: 3 * KB100, skippedKeys: 1 });
    const left = (await readdir(dir.path)).length;
    expect(left).toBe(6);
    const present = await a.lookupAndLock([0, 1, 2, 3, 4, 5].map((n) => key(n)));
    expect(present.indices()).toEqual([0, 1, 5]);
    expect(a.usage().totalBytesUsed).toBe(6 * KB100);
    expect(await c.runOnce()).toMatchObject({ mode: "idle" });
    await c.close();
    await a.close();
  });

  it("seeds LRU order from files recovered at start (oldest mtime first)", async () => {
    const first = await open(dir.path);
    for (let i = 0; i < 5; i++) await first.store([key(i)], [chunk(KB100)]);
    await first.close();
    const now = Date.now() / 1000;
    // Make key 4 the oldest and key 0 the newest.
    for (let i = 0; i < 5; i++) await utimes(first.pathOf(key(i)), now, now - 100 + i * -10);
    const a = await open(dir.path, {
      max_capacity_gb: capacityGb(5 * KB100),
      eviction: { eviction_policy: "LRU", trigger_watermark: 0.9, eviction_ratio: 0.4 },
    });
    const c = new L2EvictionController(a, {
      eviction: a.config.eviction,
      intervalMs: 0,
      logger: silentLogger,
    });
    expect(c.lruOrder().map((k) => k.id)).toEqual([4, 3, 2, 1, 0].map((n) => key(n).id));
    await c.runOnce();
    expect((await a.lookupAndLock([0, 1, 2, 3, 4].map((n) => key(n)))).indices()).toEqual([0, 1, 2]);
    await c.close();
    await a.close();
  });

  it("IsolatedLRU keeps each salt under its quota and wipes salts without one", async () => {
    const a = await open(dir.path, { eviction: { eviction_policy: "IsolatedLRU", eviction_ratio: 0.5 } });
    const quotas = new QuotaManager({ a: 4 * KB100 });
    const c = new L2EvictionController(a, {
      eviction: a.config.eviction,
      quotas,
      intervalMs: 0,
      logger: silentLogger,
    });
    for (let i = 0; i < 4; i++) await a.store([key(i, { salt: "a" })], [chunk(KB100)]);
    for (let i = 0; i < 2; i++) await a.store([key(i, { salt: "b" })], [chunk(KB100)]);
    await c.runOnce();
    expect(a.usage().bytesByCacheSalt).toEqual({ a: 2 * KB100 });
    expect((await readdir(dir.path)).length).toBe(2);
    await c.close();
    await a.close();
  });
});

describe("L2EvictionController on the mock adapter", () => {
  it("global LRU through delete(), never touching locked keys", async () => {
    const m = new MockL2Adapter(
      MockL2AdapterConfig.fromDict({
        type: "mock",
        max_size_gb: capacityGb(10 * KB100),
        mock_bandwidth_gb: 1000,
        eviction: { eviction_policy: "LRU", trigger_watermark: 0.5, eviction_ratio: 0.5 },
      }),
      { logger: silentLogger },
    );
    const c = new L2EvictionController(m, {
      eviction: { policy: "LRU", triggerWatermark: 0.5, evictionRatio: 0.5 },
      intervalMs: 0,
      logger: silentLogger,
    });
    for (let i = 0; i < 6; i++) await m.store([key(i)], [chunk(KB100)]);
    await m.lookupAndLock([key(0)]);
    const r = await c.runOnce();
    expect(r).toMatchObject({ evictedKeys: 3, skippedKeys: 1 });
    expect(m.debugHasKey(key(0))).toBe(true);
    expect([1, 2, 3].map((n) => m.debugHasKey(key(n)))).toEqual([false, false, false]);
    expect([4, 5].map((n) => m.debugHasKey(key(n)))).toEqual([true, true]);
    await c.close();
    await m.close();
  });
});
