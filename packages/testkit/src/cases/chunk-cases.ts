import { expect } from "vitest";
import { allBytesAre, assertBytesEqual, filledBytes, randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectBits } from "../expect-helpers.js";

export const chunkCases: CaseDefinition[] = [
  {
    id: "chunks.binary-sizes",
    rule: "random binary chunks of every configured size (default 1 B to 16 MiB) load back exactly",
    async run(ctx) {
      const adapter = await ctx.adapter();
      for (const size of ctx.chunkSizes) {
        const key = ctx.key();
        const value = randomBytes(size);
        const result = await adapter.store([key], [value]);
        expect(result.ok, `store of ${size} bytes (error: ${String(result.error)})`).toBe(true);
        expect(result.bytesWritten, `bytesWritten for ${size} bytes`).toBe(size);
        const target = filledBytes(size, 0xa5);
        expectBits(await adapter.load([key], [target]), "1", `load of ${size} bytes`);
        assertBytesEqual(target, value, `chunk of ${size} bytes`);
        // One chunk at a time keeps memory moderate for large sizes.
        await adapter.delete([key]);
      }
    },
  },
  {
    id: "chunks.all-zero",
    rule: "all-zero chunks of every configured size are stored, found and loaded as zeros",
    async run(ctx) {
      const adapter = await ctx.adapter();
      for (const size of ctx.chunkSizes) {
        const key = ctx.key();
        const result = await adapter.store([key], [new Uint8Array(size)]);
        expect(result.ok, `store of ${size} zero bytes`).toBe(true);
        expectBits(await adapter.lookupAndLock([key]), "1", `lookup of ${size} zero bytes`);
        adapter.unlock([key]);
        const target = filledBytes(size, 0xff);
        expectBits(await adapter.load([key], [target]), "1", `load of ${size} zero bytes`);
        expect(allBytesAre(target, 0), `every loaded byte of the ${size}-byte zero chunk is 0`).toBe(true);
        await adapter.delete([key]);
      }
    },
  },
];
