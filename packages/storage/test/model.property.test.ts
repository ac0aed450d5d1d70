import { silentLogger } from "@x/l2-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StorageManager } from "../src/index.js";
import { bytes, fsSpec, key, mockSpec, registry, tempDir } from "./helpers/fixtures.js";

const UNIVERSE = 12;
const size = (i: number) => 1024 * (1 + (i % 3));
const range = (from: number, len: number) =>
  Array.from({ length: len }, (_, n) => from + n).filter((i) => i < UNIVERSE);

type Op =
  | { t: "put"; from: number; len: number }
  | { t: "flush" }
  | { t: "prefetch"; from: number; len: number }
  | { t: "get"; from: number; len: number }
  | { t: "evict" }
  | { t: "race"; put: number; prefetch: number };

const span = { from: fc.integer({ min: 0, max: UNIVERSE - 1 }), len: fc.integer({ min: 1, max: 6 }) };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("put" as const), ...span }),
  fc.constant({ t: "flush" as const }),
  fc.record({ t: fc.constant("prefetch" as const), ...span }),
  fc.record({ t: fc.constant("get" as const), ...span }),
  fc.constant({ t: "evict" as const }),
  fc.record({ t: fc.constant("race" as const), put: span.from, prefetch: span.from }),
);

/**
 * L1 + store + prefetch + eviction against a simple model. The model knows which keys were ever put and
 * which were flushed to the mock (index 0, never evicts). Whatever L1 eviction and fs eviction (index 1)
 * do: no hit has wrong bytes, a key never put is never a hit, a prefetch's count is what get then finds,
 * a flushed key is always loadable, no lock is left behind and no usage goes negative.
 */
describe("model-based property", () => {
  it("no wrong bytes, no phantom hits, no leaked locks, usage never negative", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 24 }),
        fc.constantFrom<"LRU" | "ARC">("LRU", "ARC"),
        async (ops, l1Policy) => {
          const dir = tempDir();
          const m = await StorageManager.open({
            l1SizeBytes: 6 * 1024,
            l1EvictionPolicy: l1Policy,
            l2: [
              mockSpec(),
              fsSpec(dir.path, {
                max_capacity_gb: (8 * 1024) / 2 ** 30,
                eviction: { eviction_policy: "LRU", trigger_watermark: 0.5, eviction_ratio: 0.5 },
              }),
            ],
            evictionIntervalMs: 0,
            registry: registry(),
            logger: silentLogger,
          });
          const everPut = new Set<number>();
          const inL1Unflushed = new Set<number>();
          const flushed = new Set<number>();
          const put = (from: number, len: number) => {
            const ids = range(from, len);
            const result = m.put(
              ids.map((i) => key(i)),
              ids.map((i) => bytes(i, size(i))),
            );
            ids.forEach((i, n) => {
              if (result.test(n)) {
                everPut.add(i);
                inL1Unflushed.add(i);
              }
            });
          };
          const check = (ids: number[]) => {
            const targets = ids.map((i) => new Uint8Array(size(i)));
            const hits = m.get(
              ids.map((i) => key(i)),
              targets,
            );
            ids.forEach((i, n) => {
              if (!hits.test(n)) return;
              expect(everPut.has(i)).toBe(true);
              expect(Buffer.from(targets[n]!).equals(Buffer.from(bytes(i, size(i))))).toBe(true);
            });
            return hits;
          };
          const prefetch = async (from: number, len: number) => {
            const ids = range(from, len);
            const count = await m.prefetch(ids.map((i) => key(i)));
            expect(count).toBeGreaterThanOrEqual(0);
            expect(count).toBeLessThanOrEqual(ids.length);
            for (const i of ids.slice(0, count)) expect(everPut.has(i)).toBe(true);
            // Nothing ran between the answer and this get: the counted prefix is in L1.
            expect(check(ids).countLeadingOnes()).toBeGreaterThanOrEqual(count);
          };
          const invariants = () => {
            const l1 = m.status().l1 as { usedBytes: number; capacityBytes: number };
            expect(l1.usedBytes).toBeGreaterThanOrEqual(0);
            expect(l1.usedBytes).toBeLessThanOrEqual(l1.capacityBytes);
            for (const id of [0, 1]) {
              const usage = m.l2Adapter(id)!.usage();
              expect(usage.totalBytesUsed).toBeGreaterThanOrEqual(0);
              for (const v of Object.values(usage.bytesByCacheSalt)) expect(v).toBeGreaterThanOrEqual(0);
            }
          };
          try {
            for (const o of ops) {
              if (o.t === "put") put(o.from, o.len);
              else if (o.t === "flush") {
                await m.flush();
                for (const i of inL1Unflushed) flushed.add(i);
                inL1Unflushed.clear();
              } else if (o.t === "prefetch") await prefetch(o.from, o.len);
              else if (o.t === "get") check(range(o.from, o.len));
              else if (o.t === "evict") await m.evictionController(1)!.runOnce();
              else {
                const p = m.prefetch(range(o.prefetch, 4).map((i) => key(i)));
                put(o.put, 3);
                const count = await p;
                expect(count).toBeLessThanOrEqual(4);
              }
              invariants();
            }
            await m.flush();
            for (const i of inL1Unflushed) flushed.add(i);
            // Every key that reached the mock is loadable, byte for byte.
            for (const i of flushed) {
              expect(await m.prefetch([key(i)])).toBe(1);
              check([i]);
            }
            const l1 = m.status().l1 as { readLocks: number; writeLocks: number };
            expect([l1.readLocks, l1.writeLocks]).toEqual([0, 0]);
            for (const id of [0, 1]) expect(m.l2Adapter(id)!.status().lockedKeyCount).toBe(0);
          } finally {
            await m.close();
            dir.remove();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
