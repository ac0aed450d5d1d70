import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type L2Logger, ObjectKey, UsageCounter } from "../src/index.js";

const key = (salt: string, n = 1) =>
  new ObjectKey({ chunkHash: new Uint8Array([n]), modelName: "m", kvRank: 1, cacheSalt: salt });

function recordingLogger(): L2Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
}

describe("UsageCounter", () => {
  it("tracks totals and per-salt buckets; only positive buckets appear", () => {
    const usage = new UsageCounter(1000, recordingLogger());
    usage.add([key(""), key("a"), key("a", 2)], [100, 50, 25]);
    expect(usage.snapshot()).toEqual({
      totalBytesUsed: 175,
      totalCapacityBytes: 1000,
      bytesByCacheSalt: { "": 100, a: 75 },
      usageFraction: 0.175,
    });
    usage.subtract([key("a"), key("a", 2)], [50, 25]);
    expect(usage.snapshot().bytesByCacheSalt).toEqual({ "": 100 });
    expect(usage.totalBytes).toBe(100);
  });

  it("usageFraction is -1 when the capacity is unknown (0)", () => {
    const usage = new UsageCounter(0, recordingLogger());
    usage.add([key("")], [10]);
    expect(usage.snapshot().usageFraction).toBe(-1);
    expect(usage.snapshot().totalCapacityBytes).toBe(0);
    usage.capacityBytes = 20;
    expect(usage.snapshot().usageFraction).toBe(0.5);
    usage.capacityBytes = -5;
    expect(usage.snapshot().totalCapacityBytes).toBe(0);
  });

  it("an underflow is clamped to 0 and logged, never negative", () => {
    const logger = recordingLogger();
    const usage = new UsageCounter(100, logger);
    usage.add([key("a")], [10]);
    usage.subtract([key("a")], [30]);
    expect(usage.snapshot()).toMatchObject({ totalBytesUsed: 0, bytesByCacheSalt: {} });
    expect(logger.warnings.join("\n")).toMatch(/underflow/);
    // Deleting from a bucket that never existed does not take bytes from another bucket.
    usage.add([key("b")], [40]);
    usage.subtract([key("c")], [15]);
    expect(usage.snapshot()).toMatchObject({ totalBytesUsed: 40, bytesByCacheSalt: { b: 40 } });
  });

  it("snapshots are frozen copies", () => {
    const usage = new UsageCounter(100, recordingLogger());
    usage.add([key("a")], [10]);
    const before = usage.snapshot();
    usage.add([key("a", 2)], [10]);
    expect(before.totalBytesUsed).toBe(10);
    expect(before.bytesByCacheSalt).toEqual({ a: 10 });
    expect(Object.isFrozen(before)).toBe(true);
    expect(Object.isFrozen(before.bytesByCacheSalt)).toBe(true);
  });

  it("keys and sizes must have the same length", () => {
    const usage = new UsageCounter(100, recordingLogger());
    expect(() => usage.add([key("a")], [])).toThrow(RangeError);
  });

  it("never goes negative and the total is always the sum of the buckets (property)", () => {
    const op = fc.tuple(fc.boolean(), fc.constantFrom("", "a", "b"), fc.integer({ min: 0, max: 1000 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
        const usage = new UsageCounter(10_000, recordingLogger());
        const model = new Map<string, number>();
        for (const [add, salt, size] of ops) {
          (add ? usage.add : usage.subtract).call(usage, [key(salt)], [size]);
          model.set(salt, Math.max(0, (model.get(salt) ?? 0) + (add ? size : -size)));
        }
        const snap = usage.snapshot();
        const expected = Object.fromEntries([...model].filter(([, v]) => v > 0));
        expect(snap.bytesByCacheSalt).toEqual(expected);
        expect(snap.totalBytesUsed).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
        expect(snap.totalBytesUsed).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
