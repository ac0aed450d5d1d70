import { randomFillSync } from "node:crypto";

/** Random bytes: every byte position is likely to differ between two chunks, so mix-ups are visible. */
export function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  // randomFillSync takes at most 2^31-1 bytes per call, far above our chunk sizes.
  if (size > 0) randomFillSync(bytes);
  return bytes;
}

export function filledBytes(size: number, value: number): Uint8Array {
  return new Uint8Array(size).fill(value);
}

/** Throws an assertion error naming the first differing offset; no giant diffs for megabyte buffers. */
export function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.byteLength !== expected.byteLength) {
    throw new Error(`${what}: length ${actual.byteLength}, expected ${expected.byteLength}`);
  }
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(e)) return;
  let i = 0;
  while (i < a.length && a[i] === e[i]) i++;
  throw new Error(
    `${what}: bytes differ at offset ${i} of ${a.length} (got 0x${hex(a[i])}, expected 0x${hex(e[i])})`,
  );
}

/** True when every byte of `bytes` is `value`. */
export function allBytesAre(bytes: Uint8Array, value: number): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== value) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}

function hex(byte: number | undefined): string {
  return byte === undefined ? "--" : byte.toString(16).padStart(2, "0");
}
