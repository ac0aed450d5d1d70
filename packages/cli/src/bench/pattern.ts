/**
 * Deterministic chunk contents, so a loaded chunk can be checked without keeping a second copy.
 * A chunk is a pseudo-random block of PERIOD bytes (seeded per key) repeated to the chunk's length.
 * PERIOD is prime, so a chunk shifted by any whole number of pages or cut short does not match.
 * Verification checks the first block against the seed and then that the chunk repeats with that period
 * (one memcmp of the chunk against itself shifted by PERIOD): together that pins down every byte.
 */
export const PATTERN_PERIOD = 4093;

/** Scratch space for one block; reuse it across calls. */
export function createPatternScratch(): Buffer {
  return Buffer.allocUnsafe(Math.ceil(PATTERN_PERIOD / 4) * 4);
}

/** A well-mixed, non-zero 32-bit seed for (run, round, index). */
export function patternSeed(run: number, round: number, index: number): number {
  let h = (run ^ Math.imul(round + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h === 0 ? 0x6d2b79f5 : h;
}

function writeBlock(seed: number, scratch: Buffer): Buffer {
  let x = seed >>> 0;
  for (let offset = 0; offset + 4 <= scratch.length; offset += 4) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    scratch.writeUInt32LE(x, offset);
  }
  return scratch.subarray(0, PATTERN_PERIOD);
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Fills `target` with the pattern of `seed`. */
export function fillPattern(target: Uint8Array, seed: number, scratch: Buffer): void {
  const block = writeBlock(seed, scratch);
  const out = view(target);
  const n = out.length;
  if (n <= PATTERN_PERIOD) {
    block.copy(out, 0, 0, n);
    return;
  }
  block.copy(out, 0);
  // Doubling copies keep the period: every copy starts at a multiple of PERIOD.
  let filled = PATTERN_PERIOD;
  while (filled < n) {
    const count = Math.min(filled, n - filled);
    out.copyWithin(filled, 0, count);
    filled += count;
  }
}

/** True when every byte of `target` is the pattern of `seed`. */
export function verifyPattern(target: Uint8Array, seed: number, scratch: Buffer): boolean {
  const block = writeBlock(seed, scratch);
  const bytes = view(target);
  const n = bytes.length;
  const head = Math.min(n, PATTERN_PERIOD);
  if (!bytes.subarray(0, head).equals(block.subarray(0, head))) return false;
  if (n <= PATTERN_PERIOD) return true;
  return bytes.subarray(PATTERN_PERIOD).equals(bytes.subarray(0, n - PATTERN_PERIOD));
}
