import type { ObjectKeyInit } from "@x/l2-core";
import { expect } from "vitest";
import { assertBytesEqual, randomBytes } from "../bytes.js";
import type { CaseContext } from "../case-context.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectBits } from "../expect-helpers.js";

/** Stores a key, then a variant that differs in one field only, and checks they stay two objects. */
async function expectDistinct(
  ctx: CaseContext,
  base: Partial<ObjectKeyInit>,
  change: Partial<ObjectKeyInit>,
  field: string,
) {
  const adapter = await ctx.adapter();
  const original = ctx.key(base);
  const variant = ctx.key({ ...base, chunkHash: original.chunkHash, ...change });
  const a = randomBytes(1000);
  const b = randomBytes(1000);
  await adapter.store([original], [a]);
  expectBits(await adapter.lookupAndLock([original, variant]), "10", `lookup [key, key with other ${field}]`);
  adapter.unlock([original]);
  expectBits(
    await adapter.load([variant], [new Uint8Array(1000)]),
    "0",
    `load of the key with other ${field}`,
  );
  const stored = await adapter.store([variant], [b]);
  expect(stored.bytesWritten, `bytesWritten for the key with other ${field} (a new key)`).toBe(1000);
  const targets = [new Uint8Array(1000), new Uint8Array(1000)];
  expectBits(await adapter.load([original, variant], targets), "11", "load of both");
  assertBytesEqual(targets[0]!, a, "the original key");
  assertBytesEqual(targets[1]!, b, `the key with other ${field}`);
  await adapter.delete([variant]);
  expectBits(
    await adapter.lookupAndLock([original, variant]),
    "10",
    `lookup after deleting the key with other ${field}`,
  );
  adapter.unlock([original]);
}

export const keyCases: CaseDefinition[] = [
  {
    id: "keys.salt-distinct",
    rule: "keys that differ only in cacheSalt are different objects",
    run: (ctx) => expectDistinct(ctx, { cacheSalt: "" }, { cacheSalt: "tenant-x" }, "cacheSalt"),
  },
  {
    id: "keys.group-distinct",
    rule: "keys that differ only in objectGroupId are different objects",
    run: (ctx) => expectDistinct(ctx, { objectGroupId: 0 }, { objectGroupId: 1 }, "objectGroupId"),
  },
  {
    id: "keys.rank-distinct",
    rule: "keys that differ only in kvRank are different objects",
    run: (ctx) => expectDistinct(ctx, { kvRank: 0 }, { kvRank: 0x00010001 }, "kvRank"),
  },
  {
    id: "keys.model-distinct",
    rule: "keys that differ only in modelName are different objects",
    run: (ctx) =>
      expectDistinct(ctx, { modelName: "org/model-a" }, { modelName: "org/model-b" }, "modelName"),
  },
];
