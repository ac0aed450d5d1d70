import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeFsKey,
  encodeFsKey,
  isL2Error,
  isLegacyFsKeyName,
  MAX_CACHE_SALT_LENGTH,
  ObjectKey,
} from "../src/index.js";

const key = (over: Partial<ConstructorParameters<typeof ObjectKey>[0]> = {}) =>
  new ObjectKey({
    chunkHash: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
    modelName: "llama",
    kvRank: 0x2a,
    ...over,
  });

describe("encodeFsKey: exact LMCache file names", () => {
  it.each([
    ["unsalted", key(), "llama@0x0000002a@0@deadbeef.data"],
    ["salted", key({ cacheSalt: "tenant-1" }), "llama@0x0000002a@0@deadbeef@tenant-1.data"],
    ["model with '/'", key({ modelName: "meta/llama/3" }), "meta-SEP-llama-SEP-3@0x0000002a@0@deadbeef.data"],
    ["group 1", key({ objectGroupId: 1 }), "llama@0x0000002a@1@deadbeef.data"],
    ["group 255 (hex, unpadded)", key({ objectGroupId: 255 }), "llama@0x0000002a@ff@deadbeef.data"],
    ["TP=1 rank", key({ kvRank: 0x01000100 }), "llama@0x01000100@0@deadbeef.data"],
  ])("%s", (_name, k, name) => {
    expect(encodeFsKey(k)).toBe(name);
    expect(decodeFsKey(name)?.equals(k)).toBe(true);
  });

  it("refuses a model name containing the reserved -SEP- token (it could not be decoded back)", () => {
    try {
      encodeFsKey(key({ modelName: "a-SEP-b" }));
      expect.unreachable();
    } catch (error) {
      expect(isL2Error(error, "KEY_INVALID")).toBe(true);
      expect((error as Error).message).toContain("-SEP-");
    }
  });
});

describe("decodeFsKey", () => {
  it("decodes every field", () => {
    const k = decodeFsKey("org-SEP-model@0x08030403@1f@00ff@s.data");
    expect(k).not.toBeNull();
    expect(k!.modelName).toBe("org/model");
    expect(k!.kvRank).toBe(0x08030403);
    expect(k!.objectGroupId).toBe(31);
    expect([...k!.chunkHash]).toEqual([0, 255]);
    expect(k!.cacheSalt).toBe("s");
  });

  it("decodes a legacy 3-field name as object group 0", () => {
    const name = "llama@0x0000002a@deadbeef.data";
    const k = decodeFsKey(name);
    expect(k?.equals(key())).toBe(true);
    expect(k?.objectGroupId).toBe(0);
    expect(isLegacyFsKeyName(name)).toBe(true);
    expect(isLegacyFsKeyName(encodeFsKey(key()))).toBe(false);
  });

  it.each([
    ["uppercase hash", "llama@0x0000002a@0@DEADBEEF.data"],
    ["uppercase rank", "llama@0x0000002A@0@deadbeef.data"],
    ["uppercase group", "llama@0x0000002a@F@deadbeef.data"],
    ["padded group", "llama@0x0000002a@00@deadbeef.data"],
    ["padded group 01", "llama@0x0000002a@01@deadbeef.data"],
    ["short rank", "llama@0x2a@0@deadbeef.data"],
    ["rank without 0x", "llama@0000002a@0@deadbeef.data"],
    ["odd-length hash", "llama@0x0000002a@0@deadbee.data"],
    ["empty hash", "llama@0x0000002a@0@.data"],
    ["missing .data", "llama@0x0000002a@0@deadbeef"],
    ["other suffix", "llama@0x0000002a@0@deadbeef.tmp"],
    ["too few fields", "llama@0x0000002a.data"],
    ["one field", "llama.data"],
    ["too many fields", "llama@0x0000002a@0@deadbeef@s@t.data"],
    ["empty salt field", "llama@0x0000002a@0@deadbeef@.data"],
    ["over-long salt", `llama@0x0000002a@0@deadbeef@${"s".repeat(MAX_CACHE_SALT_LENGTH + 1)}.data`],
    ["salt with backslash", "llama@0x0000002a@0@deadbeef@a\\b.data"],
    ["empty model", "@0x0000002a@0@deadbeef.data"],
    ["'/' in model (4 fields)", "meta/llama@0x0000002a@0@deadbeef.data"],
    ["'/' in model (legacy)", "meta/llama@0x0000002a@deadbeef.data"],
    ["legacy with uppercase hash", "llama@0x0000002a@DEADBEEF.data"],
    ["group beyond a safe integer", "llama@0x0000002a@fffffffffffffff@deadbeef.data"],
    ["temp file", ".llama@0x0000002a@0@deadbeef.data.tmp-123"],
    ["empty", ""],
    ["just the suffix", ".data"],
  ])("returns null for a non-canonical name: %s", (_name, name) => {
    expect(decodeFsKey(name)).toBeNull();
  });

  it("returns null for non-strings", () => {
    expect(decodeFsKey(undefined as never)).toBeNull();
    expect(decodeFsKey(42 as never)).toBeNull();
  });
});

const saltChar = fc.constantFrom(..."abcXYZ019-_.:+= é");
const modelChar = fc.constantFrom(..."abcXYZ019-_./: é");
const validKey = fc
  .record({
    chunkHash: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    modelName: fc.string({ unit: modelChar, minLength: 1, maxLength: 30 }),
    kvRank: fc.integer({ min: 0, max: 0xffffffff }),
    objectGroupId: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.maxSafeNat()),
    cacheSalt: fc.string({ unit: saltChar, maxLength: MAX_CACHE_SALT_LENGTH }),
  })
  .filter((init) => !init.modelName.includes("-SEP-"))
  .map((init) => new ObjectKey(init));

describe("codec properties", () => {
  it("decode(encode(k)) equals k for arbitrary valid keys", () => {
    fc.assert(
      fc.property(validKey, (k) => {
        const name = encodeFsKey(k);
        const back = decodeFsKey(name);
        expect(back).not.toBeNull();
        expect(back!.equals(k)).toBe(true);
        // One path component, always.
        expect(name.includes("/")).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("decode never throws, and whatever it accepts re-encodes to the same name", () => {
    const nameLike = fc
      .array(
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("0x0000002a", "0", "ff", "deadbeef", "")),
        {
          minLength: 1,
          maxLength: 6,
        },
      )
      .map((parts) => `${parts.join("@")}.data`);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), nameLike), (name) => {
        const k = decodeFsKey(name);
        if (k !== null && !isLegacyFsKeyName(name)) expect(encodeFsKey(k)).toBe(name);
      }),
      { numRuns: 2000 },
    );
  }, 30_000); // 2000 runs: seconds on a loaded 2-core machine
});
