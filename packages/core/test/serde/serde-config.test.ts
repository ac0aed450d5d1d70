import { describe, expect, it } from "vitest";
import {
  createL2AdapterRegistry,
  DEFAULT_AFFINITY_TAG,
  defineL2AdapterConfig,
  defineL2AdapterType,
  isL2Error,
  type L2Error,
  silentLogger,
  z,
} from "../../src/index.js";

class DiskConfig extends defineL2AdapterConfig("disk", z.object({ base_path: z.string() }), {
  summary: "test disk",
  example: { base_path: "/d" },
}) {}

const registry = createL2AdapterRegistry({
  discover: false,
  logger: silentLogger,
  types: [defineL2AdapterType({ configClass: DiskConfig, create: () => ({}) as never })],
});

const parse = (extra: Record<string, unknown>) =>
  DiskConfig.fromDict({ type: "disk", base_path: "/d", ...extra });

function thrown(fn: () => unknown): L2Error {
  try {
    fn();
  } catch (error) {
    if (isL2Error(error)) return error;
    throw error;
  }
  throw new Error("did not throw");
}

describe("shared key serde", () => {
  it("is absent by default; affinity_tag defaults to _default", () => {
    const config = parse({});
    expect(config.serde).toBeNull();
    expect(config.affinityTag).toBe(DEFAULT_AFFINITY_TAG);
    expect(config.toDict()).not.toHaveProperty("serde");
  });

  it("checksum parses with LMCache's defaults and round-trips through toDict", () => {
    const config = parse({ serde: { type: "checksum" } });
    expect(config.serde).toMatchObject({ type: "checksum", maxWorkers: 1, deleteCorrupt: true });
    expect(DiskConfig.fromDict(config.toDict()).serde).toMatchObject({ type: "checksum" });
    expect(parse({ serde: { type: "checksum", max_workers: 4, delete_corrupt: false } }).serde).toMatchObject(
      {
        maxWorkers: 4,
        deleteCorrupt: false,
      },
    );
  });

  it("aesgcm parses with key_provider hkdf and aes_bits 128 by default", () => {
    const config = parse({ serde: { type: "aesgcm", master_key_path: "/k" } });
    expect(config.serde).toMatchObject({
      type: "aesgcm",
      keyProvider: "hkdf",
      masterKeyPath: "/k",
      aesBits: 128,
      bindKey: false,
      maxWorkers: 1,
    });
    expect(parse({ serde: { type: "encrypt", master_key_path: "/k", aes_bits: 256 } }).serde).toMatchObject({
      type: "encrypt",
      aesBits: 256,
    });
  });

  it.each([
    [{ type: "aesgcm", master_key_path: "/k", aes_bits: 192 }, "serde.aes_bits", "must be 128 or 256"],
    [{ type: "aesgcm" }, "serde.master_key_path", "is required"],
    [{ type: "aesgcm", master_key_path: "" }, "serde.master_key_path", "path of the master-key file"],
    [{ type: "aesgcm", master_key_path: "/k", key_provider: "keyring" }, "serde.key_provider", '"hkdf"'],
    [{ type: "checksum", max_workers: 0 }, "serde.max_workers", "positive integer"],
    [{ type: "checksum", master_key_path: "/k" }, "serde.master_key_path", "unknown key"],
    [{ type: "checksum", delete_corrupt: "yes" }, "serde.delete_corrupt", "boolean"],
    [{ type: 3 }, "serde.type", "string"],
    [{}, "serde.type", "string"],
    [{ type: "gzip" }, "serde.type", 'unknown serde type "gzip"'],
  ])("serde %j is CONFIG_INVALID naming %s", (serde, field, text) => {
    const error = thrown(() => parse({ serde }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(text);
  });

  it("a non-object serde is CONFIG_INVALID naming serde", () => {
    for (const serde of ["checksum", 1, null, ["checksum"]]) {
      const error = thrown(() => parse({ serde }));
      expect([error.code, error.field]).toEqual(["CONFIG_INVALID", "serde"]);
    }
  });

  it.each(["fp8", "turboquant", "cachegen", "asym_k16_v8"])(
    "LMCache's tensor serde %s is NOT_SUPPORTED at parse time, with the reason",
    async (type) => {
      const error = thrown(() => parse({ serde: { type, fp8_dtype: "float8_e4m3fn" } }));
      expect(error.code).toBe("NOT_SUPPORTED");
      expect(error.field).toBe("serde.type");
      expect(error.message).toContain(`"${type}"`);
      expect(error.message).toContain("tensor layout");
      // Through the registry, the position and type are added and the code kept.
      const viaArgs = await registry
        .parseArgs([JSON.stringify({ type: "disk", base_path: "/d", serde: { type } })])
        .catch((e) => e);
      expect(isL2Error(viaArgs, "NOT_SUPPORTED")).toBe(true);
      expect(viaArgs.message).toMatch(/^--l2-adapter #1 \(disk\): /);
    },
  );

  it("registry errors keep the serde field", async () => {
    const error = await registry
      .parseArgs([
        JSON.stringify({
          type: "disk",
          base_path: "/d",
          serde: { type: "aesgcm", master_key_path: "/k", aes_bits: 512 },
        }),
      ])
      .catch((e) => e);
    expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
    expect(error.field).toBe("serde.aes_bits");
  });
});

describe("shared key affinity_tag", () => {
  it("takes any non-empty string and round-trips", () => {
    const config = parse({ affinity_tag: "gpu-l1" });
    expect(config.affinityTag).toBe("gpu-l1");
    expect(DiskConfig.fromDict(config.toDict()).affinityTag).toBe("gpu-l1");
  });

  it.each([[""], [7], [null]])("%j is CONFIG_INVALID naming affinity_tag", (value) => {
    const error = thrown(() => parse({ affinity_tag: value }));
    expect([error.code, error.field]).toEqual(["CONFIG_INVALID", "affinity_tag"]);
  });
});

describe("help and JSON Schema", () => {
  it("help lists serde with each kwarg and its default, and affinity_tag", () => {
    const help = DiskConfig.help();
    expect(help).toMatch(/- serde \(object, optional\)/);
    expect(help).toMatch(/ {2}- type \(string, required\)/);
    expect(help).toMatch(/ {2}- aes_bits \(128 \| 256, optional, default 128\)/);
    expect(help).toMatch(/ {2}- key_provider \("hkdf", optional, default "hkdf"\)/);
    expect(help).toMatch(/- affinity_tag \(string, optional, default "_default"\)/);
  });

  it("the JSON Schema documents serde as an object with a required string type that allows other kwargs", () => {
    const schema = DiskConfig.jsonSchema() as any;
    expect(schema.properties.serde.type).toBe("object");
    expect(schema.properties.serde.required).toEqual(["type"]);
    expect(schema.properties.serde.additionalProperties).not.toBe(false);
    expect(schema.properties.affinity_tag).toMatchObject({ type: "string", default: "_default" });
  });
});
