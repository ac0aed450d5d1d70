import { createHash } from "node:crypto";
import { ObjectKey } from "@x/l2-core";

/** Deterministic keys and bytes, so two processes agree on them without talking. */
export function testKey(seed: number, options: { model?: string; salt?: string } = {}): ObjectKey {
  return new ObjectKey({
    chunkHash: createHash("sha256").update(`chunk-${seed}`).digest(),
    modelName: options.model ?? "org/model",
    kvRank: 0x01000100,
    cacheSalt: options.salt ?? "",
  });
}

export function testBytes(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
