import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isL2Error,
  isObjectKey,
  kvRank,
  MAX_CACHE_SALT_LENGTH,
  ObjectKey,
  parseKvRank,
} from "../src/index.js";

const hash = (...bytes: number[]) => new Uint8Array(bytes);
const base = { chunkHash: hash(1, 2, 3), modelName: "llama", kvRank: 0x01000100 };

function keyError(init: unknown): unknown {
  try {
    new ObjectKey(init as never);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("ObjectKey validation (LMCache rules)", () => {
  it("defaults objectGroupId to 0 and cacheSalt to empty", () => {
    const key = new ObjectKey(base);
    expect(key.objectGroupId).toBe(0);
    expect(key.cacheSalt).toBe("");
    expect(key.chunkHashHex).toBe("010203");
  });

  it.each([
    ["modelName", { ...base, modelName: "a@b" }],
    ["modelName", { ...base, modelName: "" }],
    ["modelName", { ...base, modelName: "a\0b" }],
    ["modelName", { ...base, modelName: 5 }],
    ["cacheSalt", { ...base, cacheSalt: "a@b" }],
    ["cacheSalt", { ...base, cacheSalt: "a/b" }],
    ["cacheSalt", { ...base, cacheSalt: "a\\b" }],
    ["cacheSalt", { ...base, cacheSalt: "a\0b" }],
    ["cacheSalt", { ...base, cacheSalt: "x".repeat(MAX_CACHE_SALT_LENGTH + 1) }],
    ["cacheSalt", { ...base, cacheSalt: 7 }],
    ["objectGroupId", { ...base, objectGroupId: -1 }],
    ["objectGroupId", { ...base, objectGroupId: 1.5 }],
    ["objectGroupId", { ...base, objectGroupId: Number.NaN }],
    ["kvRank", { ...base, kvRank: -1 }],
    ["kvRank", { ...base, kvRank: 2 ** 32 }],
    ["kvRank", { ...base, kvRank: 0.5 }],
    ["chunkHash", { ...base, chunkHash: new Uint8Array(0) }],
    ["chunkHash", { ...base, chunkHash: [1, 2] }],
    ["init", null],
  ])("rejects a bad %s with KEY_INVALID naming the field", (field, init) => {
    const error = keyError(init);
    expect(isL2Error(error, "KEY_INVALID")).toBe(true);
    expect((error as { field: string }).field).toBe(field);
    expect((error as Error).message).toContain(field);
  });

  it("accepts the limits: salt of exactly 128 chars, model with '/', group 0 and large groups", () => {
    expect(new ObjectKey({ ...base, cacheSalt: "s".repeat(MAX_CACHE_SALT_LENGTH) }).cacheSalt).toHaveLength(
      128,
    );
    expect(new ObjectKey({ ...base, modelName: "meta/llama-3" }).modelName).toBe("meta/llama-3");
    expect(new ObjectKey({ ...base, objectGroupId: 2 ** 40 }).objectGroupId).toBe(2 ** 40);
    expect(new ObjectKey({ ...base, kvRank: 0xffffffff }).kvRank).toBe(0xffffffff);
  });

  it("is frozen and copies the hash so a reused caller buffer cannot change it", () => {
    const buffer = hash(9, 9);
    const key = new ObjectKey({ ...base, chunkHash: buffer });
    buffer[0] = 1;
    expect(key.chunkHashHex).toBe("0909");
    expect(key.chunkHash[0]).toBe(9);
    // Nor can a holder of the key change its hash through the property.
    key.chunkHash[0] = 1;
    expect(key.chunkHash[0]).toBe(9);
    expect(key.equals(new ObjectKey({ ...base, chunkHash: hash(9, 9) }))).toBe(true);
    expect(Object.isFrozen(key)).toBe(true);
    expect(() => {
      (key as { modelName: string }).modelName = "other";
    }).toThrow(TypeError);
  });
});

describe("ObjectKey equality", () => {
  const variants: Array<[string, Partial<ConstructorParameters<typeof ObjectKey>[0]>]> = [
    ["chunkHash", { chunkHash: hash(1, 2, 4) }],
    ["chunkHash length", { chunkHash: hash(1, 2, 3, 0) }],
    ["modelName", { modelName: "llama2" }],
    ["kvRank", { kvRank: 0x01000101 }],
    ["objectGroupId", { objectGroupId: 1 }],
    ["cacheSalt", { cacheSalt: "tenant" }],
  ];
  it.each(variants)("keys differing only in %s are not equal and have different ids", (_name, change) => {
    const a = new ObjectKey(base);
    const b = new ObjectKey({ ...base, ...change });
    expect(a.equals(b)).toBe(false);
    expect(b.equals(a)).toBe(false);
    expect(a.id).not.toBe(b.id);
  });

  it("keys with the same fields are equal, with equal ids", () => {
    const a = new ObjectKey({ ...base, objectGroupId: 3, cacheSalt: "s" });
    const b = new ObjectKey({ ...base, chunkHash: hash(1, 2, 3), objectGroupId: 3, cacheSalt: "s" });
    expect(a).not.toBe(b);
    expect(a.equals(b)).toBe(true);
    expect(new Map([[a.id, 1]]).get(b.id)).toBe(1);
  });

  it("equal ids if and only if equal fields (property)", () => {
    const init = fc.record({
      chunkHash: fc.uint8Array({ minLength: 1, maxLength: 4 }),
      modelName: fc.constantFrom("m", "m/x", "n"),
      kvRank: fc.constantFrom(0, 1, 0x01000100),
      objectGroupId: fc.constantFrom(0, 1, 16),
      cacheSalt: fc.constantFrom("", "a", "b"),
    });
    fc.assert(
      fc.property(init, init, (x, y) => {
        const same =
          Buffer.from(x.chunkHash).equals(Buffer.from(y.chunkHash)) &&
          x.modelName === y.modelName &&
          x.kvRank === y.kvRank &&
          x.objectGroupId === y.objectGroupId &&
          x.cacheSalt === y.cacheSalt;
        const a = new ObjectKey(x);
        const b = new ObjectKey(y);
        return a.equals(b) === same && (a.id === b.id) === same;
      }),
    );
  });

  it("is recognised by brand, and equals() is false for non-keys", () => {
    const a = new ObjectKey(base);
    expect(isObjectKey(a)).toBe(true);
    expect(isObjectKey({ id: a.id, modelName: a.modelName })).toBe(false);
    expect(isObjectKey(null)).toBe(false);
    expect(a.equals({ id: a.id } as never)).toBe(false);
  });

  it("JSON round trip keeps every field, and fromJSON validates", () => {
    const a = new ObjectKey({ ...base, objectGroupId: 2, cacheSalt: "t" });
    const json = JSON.parse(JSON.stringify(a));
    expect(json).toEqual({
      chunk_hash_hex: "010203",
      model_name: "llama",
      kv_rank: 0x01000100,
      object_group_id: 2,
      cache_salt: "t",
    });
    expect(ObjectKey.fromJSON(json).equals(a)).toBe(true);
    expect(ObjectKey.fromJSON({ chunk_hash_hex: "ab", model_name: "m", kv_rank: 1 }).objectGroupId).toBe(0);
    expect(() => ObjectKey.fromJSON({ ...json, chunk_hash_hex: "abc" })).toThrow(/hex/);
    expect(() => ObjectKey.fromJSON({ ...json, model_name: "a@b" })).toThrow(/modelName/);
  });
});

describe("kvRank", () => {
  it("TP=1 rank 0 is 0x01000100", () => {
    expect(kvRank(1, 0, 1, 0)).toBe(0x01000100);
  });

  it("packs world size, global rank, local world size, local rank (unsigned)", () => {
    expect(kvRank(8, 3, 4, 3)).toBe(0x08030403);
    expect(kvRank(255, 255, 255, 255)).toBe(0xffffffff);
  });

  it("parseKvRank is the inverse (property)", () => {
    const byte = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(byte, byte, byte, byte, (w, g, lw, l) => {
        const rank = kvRank(w, g, lw, l);
        expect(rank).toBeGreaterThanOrEqual(0);
        expect(parseKvRank(rank)).toEqual({ worldSize: w, globalRank: g, localWorldSize: lw, localRank: l });
      }),
    );
  });

  it.each([
    [256, 0, 1, 0, "worldSize"],
    [1, -1, 1, 0, "globalRank"],
    [1, 0, 1.5, 0, "localWorldSize"],
    [1, 0, 1, Number.NaN, "localRank"],
  ])("rejects kvRank(%s, %s, %s, %s) naming %s", (w, g, lw, l, field) => {
    try {
      kvRank(w, g, lw, l);
      expect.unreachable();
    } catch (error) {
      expect(isL2Error(error, "ARGUMENT_INVALID")).toBe(true);
      expect((error as { field: string }).field).toBe(field);
    }
  });
});
