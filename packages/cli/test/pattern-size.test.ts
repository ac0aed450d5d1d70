import { describe, expect, it } from "vitest";
import {
  createPatternScratch,
  fillPattern,
  PATTERN_PERIOD,
  patternSeed,
  verifyPattern,
} from "../src/bench/pattern.js";
import { formatSize, parseSize } from "../src/bench/size.js";
import { median, percentile } from "../src/bench/stats.js";

describe("chunk pattern", () => {
  const scratch = createPatternScratch();
  const seed = patternSeed(7, 1, 42);

  it("a filled chunk verifies, for sizes around the period", () => {
    for (const size of [1, 3, PATTERN_PERIOD - 1, PATTERN_PERIOD, PATTERN_PERIOD + 1, 65536, 1 << 20]) {
      const chunk = Buffer.alloc(size);
      fillPattern(chunk, seed, scratch);
      expect(verifyPattern(chunk, seed, scratch)).toBe(true);
    }
  });

  it("any single flipped byte is caught, wherever it is", () => {
    const chunk = Buffer.alloc(65536);
    fillPattern(chunk, seed, scratch);
    for (const at of [0, 1, PATTERN_PERIOD - 1, PATTERN_PERIOD, 30000, 65535]) {
      chunk[at]! ^= 1;
      expect(verifyPattern(chunk, seed, scratch)).toBe(false);
      chunk[at]! ^= 1;
    }
    expect(verifyPattern(chunk, seed, scratch)).toBe(true);
  });

  it("another key's chunk, a zeroed chunk and a chunk shifted by a page do not verify", () => {
    const chunk = Buffer.alloc(65536);
    fillPattern(chunk, patternSeed(7, 1, 43), scratch);
    expect(verifyPattern(chunk, seed, scratch)).toBe(false);
    expect(verifyPattern(Buffer.alloc(65536), seed, scratch)).toBe(false);
    const big = Buffer.alloc(65536 + 4096);
    fillPattern(big, seed, scratch);
    expect(verifyPattern(big.subarray(4096), seed, scratch)).toBe(false);
  });

  it("seeds differ per run, round and index", () => {
    const seeds = new Set<number>();
    for (let run = 0; run < 4; run++)
      for (let round = 0; round < 4; round++)
        for (let i = 0; i < 64; i++) seeds.add(patternSeed(run, round, i));
    expect(seeds.size).toBe(4 * 4 * 64);
  });
});

describe("sizes and statistics", () => {
  it("parses binary and decimal units", () => {
    expect(parseSize("65536")).toBe(65536);
    expect(parseSize("64KiB")).toBe(65536);
    expect(parseSize("1MiB")).toBe(1 << 20);
    expect(parseSize("4M")).toBe(4 << 20);
    expect(parseSize("1.5MB")).toBe(1_500_000);
    expect(parseSize("2 gib")).toBe(2 * 1024 ** 3);
    expect(() => parseSize("0")).toThrow(/whole number of bytes >= 1/);
    expect(() => parseSize("1.5B")).toThrow(/whole number/);
    expect(() => parseSize("64 KiBs")).toThrow(/cannot read/);
    expect(formatSize(65536)).toBe("64 KiB");
    expect(formatSize(1000)).toBe("1000 B");
  });

  it("median and nearest-rank percentiles", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});
