import { type CipherGCMTypes, createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { ObjectKey } from "../object-key.js";
import { type FrameCodec, type FrameVerdict, SLICE_BYTES, yieldToEventLoop } from "./frame-codec.js";

/** LMCache's AES-GCM frame: [1B version = 1][12B random IV][ciphertext || 16B tag], no AAD. */
export const AESGCM_VERSION = 1;
export const AESGCM_IV_BYTES = 12;
export const AESGCM_TAG_BYTES = 16;
export const AESGCM_HEADER_BYTES = 1 + AESGCM_IV_BYTES;

/** HKDF `info` prefixes, followed by the cache salt's UTF-8 bytes: `aesgcm` and its earlier name `encrypt`. */
export const HKDF_INFO_PREFIX = { aesgcm: "lmcache-l2-aesgcm-v1", encrypt: "lmcache-l2-encrypt-v1" } as const;

export interface AesGcmCodecOptions {
  type: "aesgcm" | "encrypt";
  aesBits: 128 | 256;
  /** The AES key (aesBits / 8 bytes) of a cache salt; `hkdfSaltKeys` is LMCache's provider. */
  keyForSalt: (cacheSalt: string) => Uint8Array;
  /** Authenticate the key id as AAD (not LMCache-readable): a frame copied under another key fails its tag. */
  bindKey: boolean;
}

/** Per cache salt: HKDF-SHA256(master key, no salt, info = prefix || salt) of aes_bits / 8 bytes. */
export function deriveSaltKey(
  masterKey: Uint8Array,
  prefix: string,
  cacheSalt: string,
  bytes: number,
): Buffer {
  const info = Buffer.concat([Buffer.from(prefix, "utf8"), Buffer.from(cacheSalt, "utf8")]);
  return Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), info, bytes));
}

/** LMCache's HkdfKeyProvider: one key per cache salt, derived once from a private copy of the master key. */
export function hkdfSaltKeys(
  masterKey: Uint8Array,
  type: "aesgcm" | "encrypt",
  aesBits: 128 | 256,
): (cacheSalt: string) => Uint8Array {
  const master = Buffer.from(masterKey);
  const keys = new Map<string, Buffer>();
  return (cacheSalt) => {
    let key = keys.get(cacheSalt);
    if (!key) {
      key = deriveSaltKey(master, HKDF_INFO_PREFIX[type], cacheSalt, aesBits / 8);
      keys.set(cacheSalt, key);
    }
    return key;
  };
}

export class AesGcmCodec implements FrameCodec {
  readonly type: "aesgcm" | "encrypt";
  readonly overhead = AESGCM_HEADER_BYTES + AESGCM_TAG_BYTES;
  readonly #keyFor: (cacheSalt: string) => Uint8Array;
  readonly #cipher: CipherGCMTypes;
  readonly #bindKey: boolean;

  constructor(options: AesGcmCodecOptions) {
    this.type = options.type;
    this.#keyFor = options.keyForSalt;
    this.#cipher = `aes-${options.aesBits}-gcm` as CipherGCMTypes;
    this.#bindKey = options.bindKey;
  }

  async encode(key: ObjectKey, payload: Uint8Array): Promise<Uint8Array[]> {
    const iv = randomBytes(AESGCM_IV_BYTES);
    const cipher = createCipheriv(this.#cipher, this.#keyFor(key.cacheSalt), iv, {
      authTagLength: AESGCM_TAG_BYTES,
    });
    if (this.#bindKey) cipher.setAAD(Buffer.from(key.id, "utf8"));
    const header = new Uint8Array(AESGCM_HEADER_BYTES);
    header[0] = AESGCM_VERSION;
    header.set(iv, 1);
    // The ciphertext slices are stored as they come: no framed copy of the payload is ever made.
    const parts: Uint8Array[] = [header];
    for (let offset = 0; offset < payload.byteLength; offset += SLICE_BYTES) {
      if (offset > 0) await yieldToEventLoop();
      parts.push(cipher.update(payload.subarray(offset, offset + SLICE_BYTES)));
    }
    cipher.final();
    parts.push(cipher.getAuthTag());
    return parts;
  }

  layout(target: Uint8Array): Uint8Array[] {
    return [new Uint8Array(AESGCM_HEADER_BYTES), target, new Uint8Array(AESGCM_TAG_BYTES)];
  }

  async decode(key: ObjectKey, parts: readonly Uint8Array[], target: Uint8Array): Promise<FrameVerdict> {
    const [header, body, tag] = parts as [Uint8Array, Uint8Array, Uint8Array];
    if (header[0] !== AESGCM_VERSION) return "version";
    const decipher = createDecipheriv(this.#cipher, this.#keyFor(key.cacheSalt), header.subarray(1), {
      authTagLength: AESGCM_TAG_BYTES,
    });
    decipher.setAuthTag(tag);
    if (this.#bindKey) decipher.setAAD(Buffer.from(key.id, "utf8"));
    // Decrypts slice by slice into the target (in place when the ciphertext was loaded into it).
    for (let offset = 0; offset < body.byteLength; offset += SLICE_BYTES) {
      if (offset > 0) await yieldToEventLoop();
      target.set(decipher.update(body.subarray(offset, offset + SLICE_BYTES)), offset);
    }
    try {
      decipher.final();
    } catch {
      // Unauthenticated plaintext must not linger in the caller's buffer.
      target.fill(0);
      return "tag";
    }
    return null;
  }
}
