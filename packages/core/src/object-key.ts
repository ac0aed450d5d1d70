import { L2Error } from "./errors.js";

export interface ObjectKeyInit {
  /** Content hash of the token chunk (at least one byte). */
  chunkHash: Uint8Array;
  /** Model name; must not contain `@` or NUL. */
  modelName: string;
  /** Packed rank, see `kvRank()`; an unsigned 32-bit integer. */
  kvRank: number;
  /** Object group (for example a layer group); integer >= 0. Default 0. */
  objectGroupId?: number;
  /** Tenant isolation salt; no `@ / \ NUL`, at most 128 characters. Default "". */
  cacheSalt?: string;
}

export const MAX_CACHE_SALT_LENGTH = 128;
const FORBIDDEN_SALT = /[@/\\\0]/;
const OBJECT_KEY_BRAND: unique symbol = Symbol.for("x-l2.object-key") as never;

function invalid(field: string, message: string): L2Error {
  return new L2Error("KEY_INVALID", `ObjectKey.${field} ${message}`, { field });
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Identifies one KV chunk in L2. Immutable and validated on construction; `id` is a canonical string that
 * differs for any two keys that are not `equals`, so it can key a Map.
 */
export class ObjectKey {
  readonly #chunkHash: Uint8Array;
  readonly modelName: string;
  readonly kvRank: number;
  readonly objectGroupId: number;
  readonly cacheSalt: string;
  /** Lowercase hex of `chunkHash`. */
  readonly chunkHashHex: string;
  /** Canonical identity string: equal ids ⇔ equal keys. */
  readonly id: string;
  readonly [OBJECT_KEY_BRAND] = true;

  constructor(init: ObjectKeyInit) {
    if (typeof init !== "object" || init === null) throw invalid("init", "must be an object");
    const { chunkHash, modelName, kvRank, objectGroupId = 0, cacheSalt = "" } = init;
    if (!(chunkHash instanceof Uint8Array) || chunkHash.byteLength === 0) {
      throw invalid("chunkHash", "must be a non-empty Uint8Array");
    }
    if (typeof modelName !== "string" || modelName.length === 0) {
      throw invalid("modelName", "must be a non-empty string");
    }
    if (modelName.includes("@") || modelName.includes("\0")) {
      throw invalid("modelName", `must not contain "@" or NUL, got ${JSON.stringify(modelName)}`);
    }
    if (!Number.isInteger(kvRank) || kvRank < 0 || kvRank > 0xffffffff) {
      throw invalid("kvRank", `must be an unsigned 32-bit integer (see kvRank()), got ${String(kvRank)}`);
    }
    if (!Number.isSafeInteger(objectGroupId) || objectGroupId < 0) {
      throw invalid("objectGroupId", `must be an integer >= 0, got ${String(objectGroupId)}`);
    }
    if (typeof cacheSalt !== "string") throw invalid("cacheSalt", "must be a string");
    if (cacheSalt.length > MAX_CACHE_SALT_LENGTH) {
      throw invalid(
        "cacheSalt",
        `must be at most ${MAX_CACHE_SALT_LENGTH} characters, got ${cacheSalt.length}`,
      );
    }
    if (FORBIDDEN_SALT.test(cacheSalt)) {
      throw invalid("cacheSalt", `must not contain "@", "/", "\\" or NUL, got ${JSON.stringify(cacheSalt)}`);
    }
    // Copy so a caller reusing its hash buffer cannot change an existing key.
    this.#chunkHash = new Uint8Array(chunkHash);
    this.modelName = modelName;
    this.kvRank = kvRank;
    this.objectGroupId = objectGroupId;
    this.cacheSalt = cacheSalt;
    this.chunkHashHex = toHex(this.#chunkHash);
    // "@" cannot occur in the model or the salt, so the fields cannot run into each other.
    this.id = `${modelName}@${kvRank.toString(16)}@${objectGroupId.toString(16)}@${this.chunkHashHex}@${cacheSalt}`;
    Object.freeze(this);
  }

  /** Content hash of the chunk; a copy, because a typed array cannot be frozen and `id` must not drift. */
  get chunkHash(): Uint8Array {
    return new Uint8Array(this.#chunkHash);
  }

  equals(other: ObjectKey): boolean {
    return isObjectKey(other) && other.id === this.id;
  }

  toString(): string {
    return `ObjectKey(${this.id})`;
  }

  /** JSON-safe form (hex hash), the shape LMCache calls EncodedObjectKey. */
  toJSON(): EncodedObjectKey {
    return {
      chunk_hash_hex: this.chunkHashHex,
      model_name: this.modelName,
      kv_rank: this.kvRank,
      object_group_id: this.objectGroupId,
      cache_salt: this.cacheSalt,
    };
  }

  static fromJSON(encoded: EncodedObjectKey): ObjectKey {
    const hex = encoded?.chunk_hash_hex;
    if (typeof hex !== "string" || !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
      throw invalid("chunkHash", "hex must be a non-empty even-length hex string");
    }
    return new ObjectKey({
      chunkHash: Buffer.from(hex, "hex"),
      modelName: encoded.model_name,
      kvRank: encoded.kv_rank,
      objectGroupId: encoded.object_group_id ?? 0,
      cacheSalt: encoded.cache_salt ?? "",
    });
  }
}

export interface EncodedObjectKey {
  chunk_hash_hex: string;
  model_name: string;
  kv_rank: number;
  object_group_id?: number;
  cache_salt?: string;
}

/** Brand check that also recognises keys made by another copy of this package. */
export function isObjectKey(value: unknown): value is ObjectKey {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[OBJECT_KEY_BRAND] === true &&
    typeof (value as ObjectKey).id === "string"
  );
}
