import { expect } from "vitest";
import { assertBytesEqual, randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectBits } from "../expect-helpers.js";
import { isThenable } from "../timeout.js";

export const lockCases: CaseDefinition[] = [
  {
    id: "lock.survives-delete",
    rule: "a key locked by lookupAndLock survives delete and still loads",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      const value = randomBytes(5000);
      await adapter.store([key], [value]);
      expectBits(await adapter.lookupAndLock([key]), "1", "lookupAndLock");
      await adapter.delete([key]);
      expectBits(await adapter.lookupAndLock([key]), "1", "lookupAndLock after delete of a locked key");
      const target = new Uint8Array(5000);
      expectBits(await adapter.load([key], [target]), "1", "load after delete of a locked key");
      assertBytesEqual(target, value, "locked key after delete");
      adapter.unlock([key]);
      adapter.unlock([key]);
    },
  },
  {
    id: "lock.refcount",
    rule: "locks are counted: two lookups need two unlocks before delete removes the key",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      await adapter.store([key], [randomBytes(1024)]);
      await adapter.lookupAndLock([key]);
      await adapter.lookupAndLock([key]);
      adapter.unlock([key]);
      await adapter.delete([key]);
      expectBits(await adapter.lookupAndLock([key]), "1", "lookup after 2 locks, 1 unlock and delete");
      adapter.unlock([key]); // the lock just taken
      adapter.unlock([key]); // the second original lock
      await adapter.delete([key]);
      expectBits(await adapter.lookupAndLock([key]), "0", "lookup after every lock was released and delete");
    },
  },
  {
    id: "lock.unlock-releases",
    rule: "after unlock the key is deletable again and its bytes are freed",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      await adapter.store([key], [randomBytes(2048)]);
      await adapter.lookupAndLock([key]);
      adapter.unlock([key]);
      await adapter.delete([key]);
      expectBits(await adapter.lookupAndLock([key]), "0", "lookup after lock, unlock, delete");
      expect(adapter.usage().totalBytesUsed, "usage after lock, unlock, delete").toBe(0);
    },
  },
  {
    id: "lock.hits-only",
    rule: "lookupAndLock locks hits only: a key that missed is not locked once it is stored",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const hit = ctx.key();
      const miss = ctx.key();
      await adapter.store([hit], [randomBytes(100)]);
      expectBits(await adapter.lookupAndLock([hit, miss]), "10", "lookupAndLock [stored, missing]");
      await adapter.store([miss], [randomBytes(100)]);
      await adapter.delete([hit, miss]);
      expectBits(
        await adapter.lookupAndLock([hit, miss]),
        "10",
        "lookup after delete: only the locked key remains",
      );
      adapter.unlock([hit]);
      adapter.unlock([hit]);
    },
  },
  {
    id: "lock.unlock-unknown-silent",
    rule: "unlock of unknown, unlocked or empty key lists returns nothing and never throws",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const stored = ctx.key();
      await adapter.store([stored], [randomBytes(10)]);
      for (const [what, keys] of [
        ["never stored keys", ctx.keys(3)],
        ["a stored but unlocked key", [stored]],
        ["an empty list", []],
      ] as const) {
        let result: unknown;
        expect(() => {
          result = adapter.unlock(keys);
        }, `unlock(${what})`).not.toThrow();
        expect(isThenable(result), `unlock(${what}) returns void, not a Promise`).toBe(false);
      }
    },
  },
  {
    id: "lock.extra-unlock-no-underflow",
    rule: "unlocks without locks do not bank credit: one later lock still protects the key",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      await adapter.store([key], [randomBytes(64)]);
      adapter.unlock([key]);
      adapter.unlock([key]);
      adapter.unlock([key]);
      await adapter.lookupAndLock([key]);
      await adapter.delete([key]);
      expectBits(await adapter.lookupAndLock([key]), "1", "lookup after extra unlocks, 1 lock and delete");
      adapter.unlock([key]);
      adapter.unlock([key]);
    },
  },
];
