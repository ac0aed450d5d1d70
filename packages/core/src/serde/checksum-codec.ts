import type { ObjectKey } from "../object-key.js";
import type { FrameCodec, FrameVerdict } from "./frame-codec.js";
import { xxh3Digest } from "./xxh3.js";

/** LMCache's checksum frame: [1B version = 1][8B chunk fingerprint][8B xxh3_64 of payload, big-endian][payload]. */
export const CHECKSUM_VERSION = 1;
export const CHECKSUM_HEADER_BYTES = 1 + 8 + 8;

/** First 8 bytes of the chunk hash, zero-padded when shorter (LMCache's `_chunk_fingerprint`). */
export function chunkFingerprint(key: ObjectKey): Uint8Array {
  const out = new Uint8Array(8);
  out.set(key.chunkHash.subarray(0, 8));
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export class ChecksumCodec implements FrameCodec {
  readonly type = "checksum";
  readonly overhead = CHECKSUM_HEADER_BYTES;

  async encode(key: ObjectKey, payload: Uint8Array): Promise<Uint8Array[]> {
    const header = new Uint8Array(CHECKSUM_HEADER_BYTES);
    header[0] = CHECKSUM_VERSION;
    header.set(chunkFingerprint(key), 1);
    header.set(xxh3Digest(payload), 9);
    return [header, payload];
  }

  layout(target: Uint8Array): Uint8Array[] {
    return [new Uint8Array(CHECKSUM_HEADER_BYTES), target];
  }

  async decode(key: ObjectKey, parts: readonly Uint8Array[], target: Uint8Array): Promise<FrameVerdict> {
    const [header, body] = parts as [Uint8Array, Uint8Array];
    if (header[0] !== CHECKSUM_VERSION) return "version";
    if (!equalBytes(header.subarray(1, 9), chunkFingerprint(key))) return "fingerprint";
    // The one pass over the payload: hashed where it was loaded (in the caller's buffer when vectored).
    if (!equalBytes(header.subarray(9, 17), xxh3Digest(body))) return "hash";
    if (body !== target) target.set(body);
    return null;
  }
}
