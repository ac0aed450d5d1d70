import { createDecipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  AESGCM_HEADER_BYTES,
  AesGcmCodec,
  ChecksumCodec,
  chunkFingerprint,
  deriveSaltKey,
  HKDF_INFO_PREFIX,
  hkdfSaltKeys,
  ObjectKey,
} from "../../src/index.js";
import { concatParts } from "../../src/serde/frame-codec.js";
import { xxh3Digest } from "../../src/serde/xxh3.js";

const hex = (s: string) => Buffer.from(s, "hex");
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const key = (hash: number[] | Uint8Array, salt = "") =>
  new ObjectKey({ chunkHash: Uint8Array.from(hash), modelName: "m", kvRank: 0x01000100, cacheSalt: salt });

// The xorshift buffer of LLVM's xxhash unit test, whose XXH3_64 values come from the reference C code.
function xorshiftBuffer(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 1n;
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i < size; i++) {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    out[i] = Number(x & 255n);
  }
  return out;
}

describe("xxh3_64 against published vectors", () => {
  it.each([
    ["", "2d06800538d394c2"],
    ["a", "e6c632b61e964e1f"],
    ["abc", "78af5f94892f3950"],
  ])("xxh3_64(%j) = %s, as the canonical big-endian digest", (input, digest) => {
    expect(toHex(xxh3Digest(Buffer.from(input)))).toBe(digest);
  });

  it.each([
    [1, "d0d496e05c553485"],
    [17, "ed4be912ba5f836d"],
    [129, "bc7138129bf065da"],
    [403, "cefeb3ffa532ad8c"],
    [2048, "330ce110cbb79eae"],
    [2049, "3ba6afa0249fef9a"],
  ])("xorshift buffer of %i bytes (every length class of XXH3)", (length, digest) => {
    expect(toHex(xxh3Digest(xorshiftBuffer(2243).subarray(0, length)))).toBe(digest);
  });
});

describe("checksum frame", () => {
  const codec = new ChecksumCodec();

  it("is [1][first 8 bytes of the chunk hash][xxh3_64 big-endian][payload], built by hand", async () => {
    const k = key([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22, 0x33, 0x44]);
    const frame = concatParts(await codec.encode(k, Buffer.from("abc")));
    expect(toHex(frame)).toBe(
      `01${"aabbccddeeff1122"}${"78af5f94892f3950"}${Buffer.from("abc").toString("hex")}`,
    );
    expect(codec.overhead).toBe(17);
  });

  it("zero-pads a chunk hash shorter than 8 bytes", async () => {
    expect(toHex(chunkFingerprint(key([1, 2, 3])))).toBe("0102030000000000");
    const frame = concatParts(await codec.encode(key([1, 2, 3]), new Uint8Array(0)));
    expect(toHex(frame)).toBe("01" + "0102030000000000" + "2d06800538d394c2");
  });

  it("a frame it wrote decodes to the original, in place and from one buffer", async () => {
    const k = key([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const payload = xorshiftBuffer(100_000);
    const parts = await codec.encode(k, payload);
    expect(parts[1]).toBe(payload); // the payload is stored as it is, never copied into a framed buffer
    const target = new Uint8Array(payload.length);
    const layout = codec.layout(target);
    layout[0]!.set(parts[0]!);
    target.set(payload);
    expect(await codec.decode(k, layout, target)).toBeNull();
    const frame = concatParts(parts);
    const other = new Uint8Array(payload.length);
    expect(await codec.decode(k, [frame.subarray(0, 17), frame.subarray(17)], other)).toBeNull();
    expect(Buffer.from(other).equals(payload)).toBe(true);
  });

  it("refuses a wrong version, a frame of another chunk and a flipped payload byte", async () => {
    const k = key([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const payload = xorshiftBuffer(5000);
    const frame = concatParts(await codec.encode(k, payload));
    const check = (f: Uint8Array, kk = k) =>
      codec.decode(kk, [f.subarray(0, 17), f.subarray(17)], new Uint8Array(5000));
    const badVersion = Uint8Array.from(frame);
    badVersion[0] = 2;
    expect(await check(badVersion)).toBe("version");
    // Same bytes after the 8th hash byte differ: still the same chunk fingerprint, as in LMCache.
    expect(await check(frame, key([1, 1, 1, 1, 1, 1, 1, 1, 2]))).toBeNull();
    expect(await check(frame, key([2, 1, 1, 1, 1, 1, 1, 1, 1]))).toBe("fingerprint");
    for (const at of [17, 17 + 2500, frame.length - 1]) {
      const flipped = Uint8Array.from(frame);
      flipped[at]! ^= 0x01;
      expect(await check(flipped)).toBe("hash");
    }
    const badDigest = Uint8Array.from(frame);
    badDigest[12]! ^= 0x80;
    expect(await check(badDigest)).toBe("hash");
  });
});

describe("HKDF-SHA256 (RFC 5869)", () => {
  it("test case 3 (no salt, no info), the derivation LMCache uses with salt=None", () => {
    const okm = deriveSaltKey(Buffer.alloc(22, 0x0b), "", "", 42);
    expect(toHex(okm)).toBe(
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    );
  });

  it("info is LMCache's prefix followed by the salt's UTF-8 bytes", () => {
    expect(HKDF_INFO_PREFIX).toEqual({ aesgcm: "lmcache-l2-aesgcm-v1", encrypt: "lmcache-l2-encrypt-v1" });
    const master = Buffer.from("0123456789abcdef0123456789abcdef\n");
    // Values from Python cryptography 48's HKDF(SHA256, salt=None, info=prefix + salt), LMCache's call.
    expect(toHex(hkdfSaltKeys(master, "aesgcm", 128)("tenant-a"))).toBe("539f1edf796574c785a815b83a71171b");
    expect(toHex(hkdfSaltKeys(master, "aesgcm", 128)(""))).toBe("f8e60e6042197f8133a1529a9f58addf");
    expect(toHex(hkdfSaltKeys(master, "aesgcm", 256)("tenant-a"))).toBe(
      "539f1edf796574c785a815b83a71171b71330640a1c58ff3b016e230cebc3593",
    );
    expect(toHex(hkdfSaltKeys(master, "encrypt", 128)("tenant-a"))).toBe("716a6136976437986f3376b9a242793c");
  });
});

// NIST GCM test cases 3 (AES-128) and 15 (AES-256) of the GCM specification: no AAD, 96-bit IV.
const NIST_IV = "cafebabefacedbaddecaf888";
const NIST_P =
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const NIST = {
  128: {
    key: "feffe9928665731c6d6a8f9467308308",
    c: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
    t: "4d5c2af327cd64a62cf35abd2ba6fab4",
  },
  256: {
    key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    c: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
    t: "b094dac5d93471bdec1a502270e3cc6c",
  },
} as const;

describe("aesgcm frame", () => {
  const fixedKey = (bits: 128 | 256) =>
    new AesGcmCodec({ type: "aesgcm", aesBits: bits, bindKey: false, keyForSalt: () => hex(NIST[bits].key) });

  it.each([128, 256] as const)(
    "decodes a frame built by hand from the NIST AES-%i-GCM vector",
    async (bits) => {
      const frame = Buffer.concat([hex("01"), hex(NIST_IV), hex(NIST[bits].c), hex(NIST[bits].t)]);
      const target = new Uint8Array(64);
      const parts = [frame.subarray(0, 13), frame.subarray(13, 77), frame.subarray(77)];
      expect(await fixedKey(bits).decode(key([1]), parts, target)).toBeNull();
      expect(toHex(target)).toBe(NIST_P);
    },
  );

  it.each([128, 256] as const)(
    "writes [1][12B IV][ciphertext][16B tag] that NIST's key decrypts (AES-%i)",
    async (bits) => {
      const parts = await fixedKey(bits).encode(key([1]), hex(NIST_P));
      const frame = concatParts(parts);
      expect(frame.length).toBe(1 + 12 + 64 + 16);
      expect(frame[0]).toBe(1);
      // Independently decrypted with node:crypto and the vector's key: the frame is standard AES-GCM.
      const decipher = createDecipheriv(`aes-${bits}-gcm`, hex(NIST[bits].key), frame.subarray(1, 13));
      decipher.setAuthTag(frame.subarray(77));
      expect(Buffer.concat([decipher.update(frame.subarray(13, 77)), decipher.final()]).toString("hex")).toBe(
        NIST_P,
      );
      // With the vector's IV, the ciphertext and tag are the vector's.
      const again = new Uint8Array(64);
      const viaVector = Buffer.concat([hex("01"), hex(NIST_IV), hex(NIST[bits].c), hex(NIST[bits].t)]);
      expect(
        await fixedKey(bits).decode(
          key([1]),
          [viaVector.subarray(0, 13), viaVector.subarray(13, 77), viaVector.subarray(77)],
          again,
        ),
      ).toBeNull();
    },
  );

  it("decodes frames LMCache's code path writes (Python cryptography 48: HKDF + AESGCM, fixed IV)", async () => {
    const master = Buffer.from("0123456789abcdef0123456789abcdef\n");
    const plaintext = Buffer.from("KV chunk bytes for LMCache interop");
    const cases = [
      [
        "aesgcm",
        128,
        "tenant-a",
        "01000102030405060708090a0b2316fde36b51ce39c89286f71b28f0871006241b935400cd71a2233b56cd00167f33d7d22342b48a663f6f32df486b5dd8e8",
      ],
      [
        "aesgcm",
        128,
        "",
        "01000102030405060708090a0b7029ceb043c514622b21b6647b0cca351b75bddf9f488389c31ce3341702d7f638491ed82cc177f4178414ba2e3ea5abcb8a",
      ],
      [
        "aesgcm",
        256,
        "tenant-a",
        "01000102030405060708090a0b53225485d6bf5274a70177a7fc0a551e36eac25cdc16ab0fc2dba68e027e7e9bed9d463d34f4a58ec37e0d8b63f9531e44e1",
      ],
      [
        "encrypt",
        128,
        "tenant-a",
        "01000102030405060708090a0bbbba096ebbfe185a24818f5938297f088e45c70ebe97c07839913f8906a459746c4956691a58cae2b3419172e8cea707cf78",
      ],
    ] as const;
    for (const [type, bits, salt, frameHex] of cases) {
      const codec = new AesGcmCodec({
        type,
        aesBits: bits,
        bindKey: false,
        keyForSalt: hkdfSaltKeys(master, type, bits),
      });
      const frame = hex(frameHex);
      const target = new Uint8Array(plaintext.length);
      const n = plaintext.length;
      const verdict = await codec.decode(
        key([1], salt),
        [frame.subarray(0, 13), frame.subarray(13, 13 + n), frame.subarray(13 + n)],
        target,
      );
      expect(verdict, `${type} ${bits} ${salt}`).toBeNull();
      expect(Buffer.from(target).equals(plaintext)).toBe(true);
    }
  });

  it("a frame it wrote decodes to the original (several slices, in place); tampering, another salt or key fail the tag", async () => {
    const master = Buffer.alloc(32, 7);
    const codec = new AesGcmCodec({
      type: "aesgcm",
      aesBits: 128,
      bindKey: false,
      keyForSalt: hkdfSaltKeys(master, "aesgcm", 128),
    });
    const payload = xorshiftBuffer(2_500_000); // three 1 MiB slices
    const k = key([4, 4], "t1");
    const parts = await codec.encode(k, payload);
    expect(parts[0]!.length).toBe(AESGCM_HEADER_BYTES);
    const frame = concatParts(parts);
    const load = async (f: Uint8Array, kk = k, c = codec) => {
      const target = new Uint8Array(payload.length);
      const layout = c.layout(target);
      layout[0]!.set(f.subarray(0, 13));
      target.set(f.subarray(13, 13 + payload.length));
      layout[2]!.set(f.subarray(13 + payload.length));
      return { verdict: await c.decode(kk, layout, target), target };
    };
    const good = await load(frame);
    expect(good.verdict).toBeNull();
    expect(Buffer.from(good.target).equals(payload)).toBe(true);
    for (const at of [0, 5, 13, 1_500_000, frame.length - 1]) {
      const bad = Uint8Array.from(frame);
      bad[at]! ^= 0x04;
      const result = await load(bad);
      expect(result.verdict, `byte ${at}`).toBe(at === 0 ? "version" : "tag");
      // No unauthenticated plaintext is left behind (a version refusal decrypts nothing).
      if (at !== 0) expect(result.target.every((b) => b === 0)).toBe(true);
    }
    expect((await load(frame, key([4, 4], "t2"))).verdict).toBe("tag");
    const otherMaster = new AesGcmCodec({
      type: "aesgcm",
      aesBits: 128,
      bindKey: false,
      keyForSalt: hkdfSaltKeys(Buffer.alloc(32, 8), "aesgcm", 128),
    });
    expect((await load(frame, k, otherMaster)).verdict).toBe("tag");
    // LMCache's frame carries no key binding: the same salt's key opens it under another chunk's name.
    expect((await load(frame, key([5, 5], "t1"))).verdict).toBeNull();
    const bound = new AesGcmCodec({
      type: "aesgcm",
      aesBits: 128,
      bindKey: true,
      keyForSalt: hkdfSaltKeys(master, "aesgcm", 128),
    });
    const boundFrame = concatParts(await bound.encode(k, payload));
    expect((await load(boundFrame, k, bound)).verdict).toBeNull();
    expect((await load(boundFrame, key([5, 5], "t1"), bound)).verdict).toBe("tag");
  });
});
