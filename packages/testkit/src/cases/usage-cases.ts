import { expect } from "vitest";
import { randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectSaneUsage } from "../expect-helpers.js";

export const usageCases: CaseDefinition[] = [
  {
    id: "usage.per-salt",
    rule: "usage() counts bytes per cache salt; a salt whose bytes are all deleted disappears",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const plain = ctx.key();
      const a1 = ctx.key({ cacheSalt: "tenant-a" });
      const a2 = ctx.key({ cacheSalt: "tenant-a" });
      const b = ctx.key({ cacheSalt: "tenant-b" });
      await adapter.store(
        [plain, a1, a2, b],
        [randomBytes(1000), randomBytes(2000), randomBytes(3000), randomBytes(500)],
      );
      const usage = adapter.usage();
      expect({ ...usage.bytesByCacheSalt }, "bytesByCacheSalt").toEqual({
        "": 1000,
        "tenant-a": 5000,
        "tenant-b": 500,
      });
      expect(usage.totalBytesUsed, "totalBytesUsed").toBe(6500);
      await adapter.delete([b, a1]);
      const after = adapter.usage();
      expect(
        { ...after.bytesByCacheSalt },
        "bytesByCacheSalt after deleting tenant-b and one tenant-a key",
      ).toEqual({
        "": 1000,
        "tenant-a": 3000,
      });
      expectSaneUsage(after, "after deletes");
    },
  },
  {
    id: "usage.restore-counted-once",
    rule: "re-storing a present key does not add its bytes again",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key({ cacheSalt: "s1" });
      const value = randomBytes(4096);
      await adapter.store([key], [value]);
      await adapter.store([key], [value]);
      await adapter.store([key, key], [value, value]);
      const usage = adapter.usage();
      expect(usage.totalBytesUsed, "totalBytesUsed after re-stores").toBe(4096);
      expect({ ...usage.bytesByCacheSalt }, "bytesByCacheSalt after re-stores").toEqual({ s1: 4096 });
    },
  },
  {
    id: "usage.never-negative",
    rule: "usage never goes negative, whatever sequence of deletes runs (double, missing, locked)",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key({ cacheSalt: "neg" });
      const locked = ctx.key({ cacheSalt: "neg" });
      await adapter.store([key, locked], [randomBytes(700), randomBytes(300)]);
      await adapter.lookupAndLock([locked]);
      const steps: [string, () => Promise<void>][] = [
        ["delete", () => adapter.delete([key])],
        ["second delete", () => adapter.delete([key])],
        ["delete of a locked key", () => adapter.delete([locked])],
        ["delete of missing keys", () => adapter.delete(ctx.keys(2, { cacheSalt: "neg" }))],
        ["third delete", () => adapter.delete([key, key])],
      ];
      for (const [what, step] of steps) {
        await step();
        expectSaneUsage(adapter.usage(), `after ${what}`);
      }
      expect(adapter.usage().totalBytesUsed, "only the locked key's bytes remain").toBe(300);
      adapter.unlock([locked]);
      await adapter.delete([locked]);
      await adapter.delete([locked]);
      expectSaneUsage(adapter.usage(), "after deleting everything twice");
      expect(adapter.usage().totalBytesUsed, "usage after deleting everything").toBe(0);
    },
  },
  {
    id: "usage.fraction",
    rule: "usageFraction is -1 without a capacity, used / capacity otherwise",
    async run(ctx) {
      const adapter = await ctx.adapter();
      await adapter.store([ctx.key()], [randomBytes(10_000)]);
      const usage = adapter.usage();
      expect(usage.totalCapacityBytes, "totalCapacityBytes").toBeGreaterThanOrEqual(0);
      if (usage.totalCapacityBytes === 0) {
        expect(usage.usageFraction, "usageFraction without a capacity").toBe(-1);
      } else {
        expect(usage.usageFraction, "usageFraction").toBeCloseTo(
          usage.totalBytesUsed / usage.totalCapacityBytes,
          12,
        );
      }
    },
  },
  {
    id: "usage.snapshot-immutable",
    rule: "usage() returns a frozen snapshot that later operations do not change",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const before = adapter.usage();
      const total = before.totalBytesUsed;
      await adapter.store([ctx.key({ cacheSalt: "snap" })], [randomBytes(1234)]);
      expect(before.totalBytesUsed, "an earlier snapshot after a store").toBe(total);
      expect(before.bytesByCacheSalt.snap, "an earlier snapshot's salt bucket after a store").toBeUndefined();
      expect(Object.isFrozen(before), "usage() snapshot is frozen").toBe(true);
      expect(adapter.usage().totalBytesUsed, "a new snapshot sees the store").toBe(total + 1234);
    },
  },
];
