import { type AdapterUsage, isBitmap, isL2Error, type L2ErrorCode } from "@x/l2-core";
import { expect } from "vitest";
import { isThenable } from "./timeout.js";

/** "0"/"1" per bit from the structural Bitmap interface, after checking the size against the batch. */
export function bitsOf(bitmap: unknown, batchSize: number, op: string): string {
  if (!isBitmap(bitmap)) throw new Error(`${op} resolved with ${String(bitmap)}, expected a Bitmap`);
  if (bitmap.size !== batchSize) {
    throw new Error(
      `${op} returned a Bitmap of size ${bitmap.size} for ${batchSize} keys (bit i answers key i)`,
    );
  }
  let bits = "";
  for (let i = 0; i < batchSize; i++) bits += bitmap.test(i) ? "1" : "0";
  return bits;
}

/** Asserts the exact hit pattern of a lookup or load result. */
export function expectBits(bitmap: unknown, expected: string, op: string): void {
  expect(bitsOf(bitmap, expected.length, op), `${op} hit pattern (bit i = key i)`).toBe(expected);
}

/** Awaits `promise` and asserts it rejects with an L2Error of `code`. */
export async function expectL2Rejection(promise: unknown, code: L2ErrorCode, what: string): Promise<void> {
  if (!isThenable(promise)) {
    throw new Error(`${what} returned ${String(promise)} instead of a Promise that rejects with ${code}`);
  }
  let outcome: { resolved: unknown } | { error: unknown };
  try {
    outcome = { resolved: await promise };
  } catch (error) {
    outcome = { error };
  }
  if ("resolved" in outcome) throw new Error(`${what} resolved; expected a rejection with L2Error ${code}`);
  const { error } = outcome;
  if (!isL2Error(error, code)) {
    const got = isL2Error(error) ? `L2Error ${error.code}` : String(error);
    throw new Error(`${what} rejected with ${got}; expected L2Error ${code}`);
  }
}

/** The sanity rules every usage snapshot obeys, whatever happened before. */
export function expectSaneUsage(usage: AdapterUsage, when: string): void {
  expect(usage.totalBytesUsed, `usage().totalBytesUsed ${when}`).toBeGreaterThanOrEqual(0);
  for (const [salt, bytes] of Object.entries(usage.bytesByCacheSalt)) {
    expect(
      bytes,
      `usage().bytesByCacheSalt["${salt}"] ${when} (only salts with bytes > 0 appear)`,
    ).toBeGreaterThan(0);
  }
  const sum = Object.values(usage.bytesByCacheSalt).reduce((a, b) => a + b, 0);
  expect(sum, `sum of bytesByCacheSalt ${when} equals totalBytesUsed`).toBe(usage.totalBytesUsed);
}
