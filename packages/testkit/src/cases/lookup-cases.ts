import { expect } from "vitest";
import { randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { bitsOf, expectBits } from "../expect-helpers.js";

export const lookupCases: CaseDefinition[] = [
  {
    id: "lookup.bitmap-length",
    rule: "lookupAndLock returns a Bitmap with exactly one bit per key, for hits and misses",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(70);
      for (const n of [1, 5, 32, 33, 70]) {
        expect(
          bitsOf(await adapter.lookupAndLock(keys.slice(0, n)), n, `lookupAndLock of ${n} missing keys`),
        ).toBe("0".repeat(n));
      }
      expect(
        (
          await adapter.store(
            keys,
            keys.map(() => randomBytes(16)),
          )
        ).ok,
        "store ok",
      ).toBe(true);
      for (const n of [1, 5, 32, 33, 70]) {
        const batch = keys.slice(0, n);
        expect(bitsOf(await adapter.lookupAndLock(batch), n, `lookupAndLock of ${n} stored keys`)).toBe(
          "1".repeat(n),
        );
        adapter.unlock(batch);
      }
    },
  },
  {
    id: "lookup.bit-per-key",
    rule: "bit i of the lookup result answers keys[i], in any key order",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(40);
      const present = keys.map((_, i) => i % 3 === 0 || i === 33 || i === 39);
      const stored = keys.filter((_, i) => present[i]);
      expect(
        (
          await adapter.store(
            stored,
            stored.map(() => randomBytes(32)),
          )
        ).ok,
        "store ok",
      ).toBe(true);
      const expected = present.map((p) => (p ? "1" : "0")).join("");
      expectBits(await adapter.lookupAndLock(keys), expected, "lookupAndLock");
      const reversed = [...keys].reverse();
      expectBits(
        await adapter.lookupAndLock(reversed),
        [...expected].reverse().join(""),
        "lookupAndLock (reversed)",
      );
      adapter.unlock(stored);
      adapter.unlock(stored);
    },
  },
];
