import { ObjectKey, silentLogger } from "@x/l2-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MockL2Adapter, MockL2AdapterConfig } from "../src/index.js";

const CAPACITY = 64;
const keys = Array.from(
  { length: 5 },
  (_, i) => new ObjectKey({ chunkHash: new Uint8Array([i]), modelName: "m", kvRank: 1 }),
);

type Op =
  | { op: "store"; key: number; size: number; fill: number }
  | { op: "lock" | "unlock" | "delete" | "load"; key: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("store" as const),
    key: fc.nat({ max: 4 }),
    size: fc.integer({ min: 1, max: 30 }),
    fill: fc.nat({ max: 255 }),
  }),
  fc.record({
    op: fc.constantFrom("lock" as const, "unlock" as const, "delete" as const, "load" as const),
    key: fc.nat({ max: 4 }),
  }),
);

describe("mock adapter against a model (property)", () => {
  it("contents, capacity, locks and accounting follow the model for any sequence of operations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const adapter = new MockL2Adapter(
          MockL2AdapterConfig.fromDict({
            type: "mock",
            max_size_gb: CAPACITY / 2 ** 30,
            mock_bandwidth_gb: 64,
          }),
          { logger: silentLogger },
        );
        const stored = new Map<number, Uint8Array>();
        const locks = new Map<number, number>();
        const used = () => [...stored.values()].reduce((a, b) => a + b.byteLength, 0);
        for (const step of ops) {
          const key = keys[step.key]!;
          if (step.op === "store") {
            const object = new Uint8Array(step.size).fill(step.fill);
            const fits = stored.has(step.key) || used() + step.size <= CAPACITY;
            const result = await adapter.store([key], [object]);
            expect(result.ok).toBe(fits);
            expect(result.bytesWritten).toBe(fits && !stored.has(step.key) ? step.size : 0);
            if (fits && !stored.has(step.key)) stored.set(step.key, object);
          } else if (step.op === "lock") {
            const hit = (await adapter.lookupAndLock([key])).test(0);
            expect(hit).toBe(stored.has(step.key));
            if (hit) locks.set(step.key, (locks.get(step.key) ?? 0) + 1);
          } else if (step.op === "unlock") {
            adapter.unlock([key]);
            const n = locks.get(step.key) ?? 0;
            if (n <= 1) locks.delete(step.key);
            else locks.set(step.key, n - 1);
          } else if (step.op === "delete") {
            await adapter.delete([key]);
            if (!locks.has(step.key)) stored.delete(step.key);
          } else {
            const expected = stored.get(step.key);
            const target = new Uint8Array(expected?.byteLength ?? 1);
            const hit = (await adapter.load([key], [target])).test(0);
            expect(hit).toBe(expected !== undefined);
            if (expected) expect(target).toEqual(expected);
          }
          expect(adapter.debugHasKey(key)).toBe(stored.has(step.key));
          expect(adapter.status().lockedKeyCount).toBe(locks.size);
        }
        expect(adapter.status()).toMatchObject({
          storedObjectCount: stored.size,
          lockedKeyCount: locks.size,
          currentSizeBytes: used(),
        });
        expect(adapter.usage().totalBytesUsed).toBe(used());
        await adapter.close();
      }),
      { numRuns: 150 },
    );
  });
});
