import { expect } from "vitest";
import { assertBytesEqual, bytesEqual, randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { bitsOf, expectBits } from "../expect-helpers.js";

const KIB = 1024;

export const concurrencyCases: CaseDefinition[] = [
  {
    id: "concurrency.same-key-stores",
    rule: "parallel stores of one key all succeed and leave exactly one of the values, intact",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      const candidates = Array.from({ length: 8 }, () => randomBytes(256 * KIB));
      const results = await Promise.all(candidates.map((value) => adapter.store([key], [value])));
      results.forEach((r, i) => {
        expect(r.ok, `parallel store ${i} ok (error: ${String(r.error)})`).toBe(true);
      });
      const target = new Uint8Array(256 * KIB);
      expectBits(await adapter.load([key], [target]), "1", "load after parallel stores");
      const match = candidates.findIndex((c) => bytesEqual(c, target));
      expect(match, "the loaded value equals one of the stored values (not a mix)").toBeGreaterThanOrEqual(0);
    },
  },
  {
    id: "concurrency.same-key-usage-once",
    rule: "parallel stores of one key count its bytes once",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key({ cacheSalt: "race" });
      const value = randomBytes(64 * KIB);
      await Promise.all(Array.from({ length: 8 }, () => adapter.store([key], [new Uint8Array(value)])));
      expect(adapter.usage().totalBytesUsed, "usage after 8 parallel stores of one key").toBe(64 * KIB);
      await adapter.delete([key]);
      expect(adapter.usage().totalBytesUsed, "usage after deleting it").toBe(0);
    },
  },
  {
    id: "isolation.no-cross-keys",
    rule: "parallel batches never mix up keys and buffers",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const batches = Array.from({ length: 6 }, () => ctx.keys(4));
      // Same size everywhere, so only the bytes can tell keys apart.
      const values = batches.map((batch) => batch.map(() => randomBytes(32 * KIB)));
      const stored = await Promise.all(batches.map((batch, b) => adapter.store(batch, values[b]!)));
      stored.forEach((r, b) => {
        expect(r.ok, `parallel store of batch ${b}`).toBe(true);
      });
      const targets = batches.map((batch) => batch.map(() => new Uint8Array(32 * KIB)));
      const loaded = await Promise.all(batches.map((batch, b) => adapter.load(batch, targets[b]!)));
      loaded.forEach((bitmap, b) => {
        expect(bitsOf(bitmap, 4, `load of batch ${b}`), `load of batch ${b}`).toBe("1111");
      });
      targets.forEach((batch, b) => {
        batch.forEach((target, i) => {
          assertBytesEqual(target, values[b]![i]!, `batch ${b} key ${i}`);
        });
      });
    },
  },
  {
    id: "concurrency.load-during-store",
    rule: "a load racing a store of the same key is a miss or the complete value, never a partial hit",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const size = Math.min(1024 * KIB, Math.max(...ctx.chunkSizes));
      for (let round = 0; round < 4; round++) {
        const key = ctx.key();
        const value = randomBytes(size);
        const store = adapter.store([key], [value]);
        const loads = Array.from({ length: 4 }, async () => {
          const target = new Uint8Array(size);
          const bits = bitsOf(await adapter.load([key], [target]), 1, "racing load");
          if (bits === "1") assertBytesEqual(target, value, `round ${round}: a racing load reported as hit`);
        });
        await Promise.all([store, ...loads]);
        expect((await store).ok, "store ok").toBe(true);
      }
    },
  },
];
