import { expect } from "vitest";
import { assertBytesEqual, randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectBits, expectL2Rejection } from "../expect-helpers.js";

export const storeCases: CaseDefinition[] = [
  {
    id: "store.result-ok-bytes",
    rule: "a stored batch resolves { ok: true, bytesWritten: sum of the object sizes }",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(3);
      const objects = [randomBytes(1000), randomBytes(2048), randomBytes(1)];
      const result = await adapter.store(keys, objects);
      expect(result.ok, `store().ok (error: ${String(result.error)})`).toBe(true);
      expect(result.bytesWritten, "store().bytesWritten").toBe(3049);
      expectBits(await adapter.lookupAndLock(keys), "111", "lookupAndLock after store");
      adapter.unlock(keys);
    },
  },
  {
    id: "store.restore-zero-bytes",
    rule: "re-storing a present key succeeds, writes 0 bytes for it and keeps its value",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const k1 = ctx.key();
      const k2 = ctx.key();
      const v1 = randomBytes(4096);
      const v2 = randomBytes(3000);
      expect((await adapter.store([k1], [v1])).bytesWritten, "first store bytesWritten").toBe(4096);
      const again = await adapter.store([k1], [new Uint8Array(v1)]);
      expect(again.ok, "re-store ok").toBe(true);
      expect(again.bytesWritten, "re-store bytesWritten").toBe(0);
      const mixed = await adapter.store([k1, k2], [new Uint8Array(v1), v2]);
      expect(mixed.ok, "store of [present, new] ok").toBe(true);
      expect(mixed.bytesWritten, "store of [present, new] counts only the new key").toBe(3000);
      const target = new Uint8Array(4096);
      expectBits(await adapter.load([k1], [target]), "1", "load after re-store");
      assertBytesEqual(target, v1, "re-stored key");
    },
  },
  {
    id: "store.empty-batch",
    rule: "empty batches are valid: store → { ok: true, bytesWritten: 0 }, lookup/load → size-0 Bitmap",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const result = await adapter.store([], []);
      expect(result.ok, "store([]).ok").toBe(true);
      expect(result.bytesWritten, "store([]).bytesWritten").toBe(0);
      expectBits(await adapter.lookupAndLock([]), "", "lookupAndLock([])");
      expectBits(await adapter.load([], []), "", "load([])");
      await adapter.delete([]);
      adapter.unlock([]);
      expect(adapter.usage().totalBytesUsed, "usage after empty batches").toBe(0);
    },
  },
  {
    id: "store.copies-caller-buffer",
    rule: "the adapter does not keep the caller's buffer (a Uint8Array or a Node Buffer, whose slice() is a view): changing it after store settles changes nothing",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(2);
      const object = randomBytes(8192);
      const buffer = Buffer.from(randomBytes(8192));
      const originals = [new Uint8Array(object), new Uint8Array(buffer)];
      expect((await adapter.store(keys, [object, buffer])).ok, "store ok").toBe(true);
      object.fill(0xee);
      buffer.fill(0xdd);
      for (const [i, label] of ["Uint8Array", "Buffer"].entries()) {
        const target = new Uint8Array(8192);
        expectBits(await adapter.load([keys[i]!], [target]), "1", `load (${label})`);
        assertBytesEqual(target, originals[i]!, `value after the caller reused its ${label}`);
      }
    },
  },
  {
    id: "args.rejects-bad-batches",
    rule: "mismatched or malformed batches reject with L2Error ARGUMENT_INVALID and store nothing",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(2);
      await expectL2Rejection(
        adapter.store(keys, [randomBytes(10)]),
        "ARGUMENT_INVALID",
        "store() with 2 keys and 1 object",
      );
      await expectL2Rejection(
        adapter.store([{ id: "not-a-key" } as never], [randomBytes(10)]),
        "ARGUMENT_INVALID",
        "store() with a key that is not an ObjectKey",
      );
      await expectL2Rejection(
        adapter.store(keys, [randomBytes(10), "bytes" as never]),
        "ARGUMENT_INVALID",
        "store() with an object that is not a Uint8Array",
      );
      await expectL2Rejection(
        adapter.load(keys, [new Uint8Array(10)]),
        "ARGUMENT_INVALID",
        "load() with 2 keys and 1 target",
      );
      expectBits(await adapter.lookupAndLock(keys), "00", "lookupAndLock after rejected stores");
      expect(adapter.usage().totalBytesUsed, "usage after rejected stores").toBe(0);
    },
  },
];
