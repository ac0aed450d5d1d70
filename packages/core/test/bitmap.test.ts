import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bitmap, isBitmap, isL2Error } from "../src/index.js";

// Sizes around the 32-bit word boundaries, where packed bit sets usually break.
const bools = fc.array(fc.boolean(), { maxLength: 100 });
const leading = (bits: boolean[], value: boolean) => {
  const i = bits.indexOf(!value);
  return i === -1 ? bits.length : i;
};

function expectModel(bitmap: Bitmap, model: boolean[]): void {
  expect(bitmap.size).toBe(model.length);
  expect(model.map((_, i) => bitmap.test(i))).toEqual(model);
  expect(bitmap.toString()).toBe(model.map((b) => (b ? "1" : "0")).join(""));
}

describe("Bitmap against a boolean-array model", () => {
  it("fromBooleans, test, toString, popcount, indices, leading counts", () => {
    fc.assert(
      fc.property(bools, (model) => {
        const bitmap = Bitmap.fromBooleans(model);
        expectModel(bitmap, model);
        expect(bitmap.popcount()).toBe(model.filter(Boolean).length);
        expect(bitmap.indices()).toEqual(model.flatMap((b, i) => (b ? [i] : [])));
        expect(bitmap.countLeadingOnes()).toBe(leading(model, true));
        expect(bitmap.countLeadingZeros()).toBe(leading(model, false));
      }),
      { numRuns: 300 },
    );
  });

  it("a sequence of set/clear operations matches the model", () => {
    const ops = fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 60 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), ops, (size, steps) => {
        const model = new Array<boolean>(size).fill(false);
        const bitmap = new Bitmap(size);
        for (const [set, raw] of steps) {
          const i = raw % size;
          model[i] = set;
          expect(set ? bitmap.set(i) : bitmap.clear(i)).toBe(bitmap);
        }
        expectModel(bitmap, model);
        expect(bitmap.popcount()).toBe(model.filter(Boolean).length);
      }),
      { numRuns: 300 },
    );
  });

  it("and/or truncate to the shorter operand; not flips exactly size bits", () => {
    fc.assert(
      fc.property(bools, bools, (a, b) => {
        const x = Bitmap.fromBooleans(a);
        const y = Bitmap.fromBooleans(b);
        const n = Math.min(a.length, b.length);
        const and = Array.from({ length: n }, (_, i) => a[i]! && b[i]!);
        const or = Array.from({ length: n }, (_, i) => a[i]! || b[i]!);
        expectModel(x.and(y), and);
        expectModel(y.and(x), and);
        expectModel(x.or(y), or);
        const not = x.not();
        expectModel(
          not,
          a.map((v) => !v),
        );
        expect(not.popcount()).toBe(a.length - x.popcount());
        // Operations return new bitmaps and leave their operands alone.
        expectModel(x, a);
        expectModel(y, b);
      }),
      { numRuns: 300 },
    );
  });

  it("gather picks the items whose bit is set, in order", () => {
    fc.assert(
      fc.property(bools, (model) => {
        const items = model.map((_, i) => `item${i}`);
        expect(Bitmap.fromBooleans(model).gather(items)).toEqual(items.filter((_, i) => model[i]));
      }),
    );
  });

  it("prefixBits sets exactly bits 0..n-1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.nat(), (size, raw) => {
        const prefix = raw % (size + 1);
        const model = Array.from({ length: size }, (_, i) => i < prefix);
        const bitmap = new Bitmap(size, prefix);
        expectModel(bitmap, model);
        expect(bitmap.countLeadingOnes()).toBe(prefix);
      }),
      { numRuns: 300 },
    );
  });

  it("fromIndices and equals agree with the model", () => {
    fc.assert(
      fc.property(bools, bools, (a, b) => {
        const x = Bitmap.fromIndices(
          a.length,
          a.flatMap((v, i) => (v ? [i] : [])),
        );
        expectModel(x, a);
        const same = a.length === b.length && a.every((v, i) => v === b[i]);
        expect(x.equals(Bitmap.fromBooleans(b))).toBe(same);
      }),
    );
  });
});

describe("Bitmap edge cases", () => {
  it("an empty bitmap", () => {
    const empty = new Bitmap(0);
    expect(empty.popcount()).toBe(0);
    expect(empty.countLeadingOnes()).toBe(0);
    expect(empty.countLeadingZeros()).toBe(0);
    expect(empty.indices()).toEqual([]);
    expect(empty.gather([])).toEqual([]);
    expect(empty.not().size).toBe(0);
    expect(empty.toString()).toBe("");
  });

  it.each([
    ["size -1", () => new Bitmap(-1)],
    ["size 1.5", () => new Bitmap(1.5)],
    ["prefix beyond size", () => new Bitmap(4, 5)],
    ["negative prefix", () => new Bitmap(4, -1)],
    ["set out of range", () => new Bitmap(4).set(4)],
    ["clear negative", () => new Bitmap(4).clear(-1)],
    ["test fractional", () => new Bitmap(4).test(0.5)],
    ["gather with wrong length", () => new Bitmap(3).gather([1, 2])],
    ["fromIndices out of range", () => Bitmap.fromIndices(2, [2])],
  ])("%s is ARGUMENT_INVALID", (_name, fn) => {
    try {
      fn();
      expect.unreachable();
    } catch (error) {
      expect(isL2Error(error, "ARGUMENT_INVALID")).toBe(true);
    }
  });

  it("isBitmap accepts bitmaps and rejects look-alikes without methods", () => {
    expect(isBitmap(new Bitmap(3))).toBe(true);
    expect(isBitmap({ size: 3 })).toBe(false);
    expect(isBitmap(null)).toBe(false);
    expect(isBitmap([true, false])).toBe(false);
  });
});
