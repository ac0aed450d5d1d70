import { expect } from "vitest";
import { randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectBits } from "../expect-helpers.js";

export const deleteCases: CaseDefinition[] = [
  {
    id: "delete.removes",
    rule: "delete removes exactly the named unlocked keys",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(3);
      await adapter.store(
        keys,
        keys.map(() => randomBytes(300)),
      );
      await adapter.delete([keys[0]!, keys[2]!]);
      expectBits(await adapter.lookupAndLock(keys), "010", "lookupAndLock after deleting keys 0 and 2");
      adapter.unlock(keys);
      expectBits(await adapter.load([keys[0]!], [new Uint8Array(300)]), "0", "load of a deleted key");
    },
  },
  {
    id: "delete.idempotent",
    rule: "deleting twice, deleting missing keys and duplicate keys in one batch all resolve",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      await adapter.store([key], [randomBytes(500)]);
      await adapter.delete([key]);
      await adapter.delete([key]);
      await adapter.delete(ctx.keys(3));
      const other = ctx.key();
      await adapter.store([other], [randomBytes(500)]);
      await adapter.delete([other, other]);
      expectBits(await adapter.lookupAndLock([key, other]), "00", "lookup after repeated deletes");
      expect(adapter.usage().totalBytesUsed, "usage after repeated deletes").toBe(0);
    },
  },
  {
    id: "delete.frees-usage",
    rule: "delete gives back exactly the deleted objects' bytes",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const [a, b] = [ctx.key(), ctx.key()];
      const before = adapter.usage().totalBytesUsed;
      await adapter.store([a, b], [randomBytes(3000), randomBytes(5000)]);
      expect(adapter.usage().totalBytesUsed, "usage after storing 3000 + 5000 bytes").toBe(before + 8000);
      await adapter.delete([a]);
      expect(adapter.usage().totalBytesUsed, "usage after deleting the 3000-byte key").toBe(before + 5000);
      await adapter.delete([b]);
      expect(adapter.usage().totalBytesUsed, "usage after deleting both").toBe(before);
    },
  },
];
