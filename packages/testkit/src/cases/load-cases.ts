import { expect } from "vitest";
import { allBytesAre, assertBytesEqual, filledBytes, randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";
import { expectBits } from "../expect-helpers.js";

export const loadCases: CaseDefinition[] = [
  {
    id: "load.exact-bytes",
    rule: "load fills each caller buffer with exactly the stored bytes",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const sizes = [1, 1000, 65_536, 300_001];
      const keys = ctx.keys(sizes.length);
      const values = sizes.map((size) => randomBytes(size));
      await adapter.store(keys, values);
      expectBits(await adapter.lookupAndLock(keys), "1111", "lookupAndLock");
      const targets = sizes.map((size) => filledBytes(size, 0x5a));
      expectBits(await adapter.load(keys, targets), "1111", "load");
      targets.forEach((target, i) => {
        assertBytesEqual(target, values[i]!, `loaded key ${i} (${sizes[i]} bytes)`);
      });
      adapter.unlock(keys);
    },
  },
  {
    id: "load.partial-is-miss",
    rule: "a target smaller than the stored object is a miss (bit clear), never a partial hit or a throw",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      await adapter.store([key], [randomBytes(4096)]);
      expectBits(
        await adapter.load([key], [new Uint8Array(4095)]),
        "0",
        "load into 4095 bytes of a 4096-byte key",
      );
      expectBits(await adapter.load([key], [new Uint8Array(1)]), "0", "load into 1 byte of a 4096-byte key");
    },
  },
  {
    id: "load.oversize-is-miss",
    rule: "a target larger than the stored object is a miss (bit clear), never a hit or a throw",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      await adapter.store([key], [randomBytes(4096)]);
      expectBits(
        await adapter.load([key], [new Uint8Array(4097)]),
        "0",
        "load into 4097 bytes of a 4096-byte key",
      );
      expectBits(
        await adapter.load([key], [new Uint8Array(8192)]),
        "0",
        "load into 8192 bytes of a 4096-byte key",
      );
    },
  },
  {
    id: "load.mixed-hits-misses",
    rule: "a batch with hits and misses sets exactly the hit bits and fills exactly the hit buffers",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(5);
      const values = keys.map((_, i) => randomBytes(2000 + i));
      // keys 1 and 3 stay missing; key 4 is stored but gets a wrong-size target.
      await adapter.store([keys[0]!, keys[2]!, keys[4]!], [values[0]!, values[2]!, values[4]!]);
      const targets = values.map((v, i) => new Uint8Array(i === 4 ? v.length + 1 : v.length));
      expectBits(await adapter.load(keys, targets), "10100", "load [hit, miss, hit, miss, wrong size]");
      assertBytesEqual(targets[0]!, values[0]!, "key 0");
      assertBytesEqual(targets[2]!, values[2]!, "key 2");
    },
  },
  {
    id: "load.miss-never-rejects",
    rule: "loading missing or deleted keys resolves with clear bits; it never rejects",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const keys = ctx.keys(3);
      expectBits(
        await adapter.load(
          keys,
          keys.map(() => new Uint8Array(16)),
        ),
        "000",
        "load of missing keys",
      );
      await adapter.store([keys[0]!], [randomBytes(16)]);
      await adapter.delete([keys[0]!]);
      expectBits(await adapter.load([keys[0]!], [new Uint8Array(16)]), "0", "load of a deleted key");
    },
  },
  {
    id: "load.respects-view-bounds",
    rule: "a target that is a view into a larger buffer is filled within its bounds only",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const key = ctx.key();
      const size = 10_000;
      const value = randomBytes(size);
      await adapter.store([key], [value]);
      const backing = new ArrayBuffer(size + 64);
      new Uint8Array(backing).fill(0xc3);
      const target = new Uint8Array(backing, 32, size);
      expectBits(await adapter.load([key], [target]), "1", "load into a view at offset 32");
      assertBytesEqual(target, value, "view contents");
      expect(
        allBytesAre(new Uint8Array(backing, 0, 32), 0xc3),
        "the 32 bytes before the view are untouched",
      ).toBe(true);
      expect(
        allBytesAre(new Uint8Array(backing, 32 + size), 0xc3),
        "the 32 bytes after the view are untouched",
      ).toBe(true);
    },
  },
];
