import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createL2AdapterRegistry,
  defineL2AdapterConfig,
  defineL2AdapterType,
  EVICTION_POLICIES,
  isL2Error,
  type L2AdapterConfigBase,
  type L2Error,
  SHARED_CONFIG_KEYS,
  silentLogger,
  z,
} from "../src/index.js";

class DemoConfig extends defineL2AdapterConfig(
  "demo",
  z.object({
    base_path: z.string().min(1, { message: "must not be empty" }).describe("directory for the data"),
    io_concurrency: z.number().int().positive().optional().describe("parallel reads"),
  }),
  { summary: "demo adapter for config tests", example: { base_path: "/tmp/demo" } },
) {}

function parseError(dict: unknown): L2Error {
  try {
    DemoConfig.fromDict(dict);
  } catch (error) {
    expect(isL2Error(error, "CONFIG_INVALID"), String(error)).toBe(true);
    return error as L2Error;
  }
  throw new Error(`expected ${JSON.stringify(dict)} to be rejected`);
}

const ok = { type: "demo", base_path: "/data" };

describe("shared keys", () => {
  it("defaults: eviction null, persist_enabled true, shared false", () => {
    const config = DemoConfig.fromDict(ok);
    expect(config.eviction).toBeNull();
    expect(config.persistEnabled).toBe(true);
    expect(config.shared).toBe(false);
  });

  it.each(EVICTION_POLICIES)("eviction policy %s with default watermark 0.8 and ratio 0.2", (policy) => {
    const config = DemoConfig.fromDict({ ...ok, eviction: { eviction_policy: policy } });
    expect(config.eviction).toEqual({ policy, triggerWatermark: 0.8, evictionRatio: 0.2 });
    expect(Object.isFrozen(config.eviction)).toBe(true);
  });

  it("explicit values, 1 included (the range is (0, 1])", () => {
    const config = DemoConfig.fromDict({
      ...ok,
      eviction: { eviction_policy: "IsolatedLRU", trigger_watermark: 1, eviction_ratio: 0.05 },
      persist_enabled: false,
      shared: true,
    });
    expect(config.eviction).toEqual({ policy: "IsolatedLRU", triggerWatermark: 1, evictionRatio: 0.05 });
    expect(config.persistEnabled).toBe(false);
    expect(config.shared).toBe(true);
  });

  it.each([
    [{ eviction: {} }, "eviction.eviction_policy", /required/],
    [{ eviction: { eviction_policy: "ARC" } }, "eviction.eviction_policy", /LRU, IsolatedLRU, noop/],
    [{ eviction: { eviction_policy: "lru" } }, "eviction.eviction_policy", /one of/],
    [
      { eviction: { eviction_policy: "LRU", trigger_watermark: 0 } },
      "eviction.trigger_watermark",
      /greater than 0/,
    ],
    [
      { eviction: { eviction_policy: "LRU", trigger_watermark: 1.01 } },
      "eviction.trigger_watermark",
      /at most 1/,
    ],
    [
      { eviction: { eviction_policy: "LRU", trigger_watermark: "0.5" } },
      "eviction.trigger_watermark",
      /number/,
    ],
    [
      { eviction: { eviction_policy: "LRU", eviction_ratio: -0.1 } },
      "eviction.eviction_ratio",
      /greater than 0/,
    ],
    [{ eviction: { eviction_policy: "LRU", eviction_ratio: 2 } }, "eviction.eviction_ratio", /at most 1/],
    [{ eviction: "LRU" }, "eviction", /object/],
    [{ eviction: null }, "eviction", /object/],
    [{ eviction: [] }, "eviction", /object/],
    [{ persist_enabled: "yes" }, "persist_enabled", /boolean/],
    [{ persist_enabled: 1 }, "persist_enabled", /boolean/],
    [{ shared: "false" }, "shared", /boolean/],
    [{ shared: null }, "shared", /boolean/],
  ])("rejects %j naming %s", (extra, field, message) => {
    const error = parseError({ ...ok, ...extra });
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
    expect(error.adapterType).toBe("demo");
  });

  it("an unknown key inside eviction names the closest valid key", () => {
    const error = parseError({ ...ok, eviction: { eviction_policy: "LRU", trigger_watermak: 0.5 } });
    expect(error.message).toContain('did you mean "trigger_watermark"');
    expect(error.field).toBe("eviction.trigger_watermak");
  });
});

describe("adapter fields", () => {
  it("parses into a frozen instance with camelCase fields that round-trips through toDict", () => {
    const config = DemoConfig.fromDict({ ...ok, io_concurrency: 8, eviction: { eviction_policy: "LRU" } });
    expect(config.type).toBe("demo");
    expect(config.basePath).toBe("/data");
    expect(config.ioConcurrency).toBe(8);
    expect(Object.isFrozen(config)).toBe(true);
    const again = DemoConfig.fromDict(config.toDict());
    expect(again.toDict()).toEqual(config.toDict());
    expect(config.toDict()).toMatchObject({ type: "demo", base_path: "/data", io_concurrency: 8 });
  });

  it("type may be omitted in fromDict but must match when given", () => {
    expect(DemoConfig.fromDict({ base_path: "/x" }).type).toBe("demo");
    expect(parseError({ ...ok, type: "fs" }).field).toBe("type");
  });

  it.each([
    [{ type: "demo" }, "base_path", /is required/],
    [{ ...ok, base_path: "" }, "base_path", /must not be empty/],
    [{ ...ok, base_path: 5 }, "base_path", /string/],
    [{ ...ok, io_concurrency: 1.5 }, "io_concurrency", /integer|int/],
    [{ ...ok, io_concurrency: 0 }, "io_concurrency", /1|positive|>/],
  ])("rejects %j naming %s", (dict, field, message) => {
    const error = parseError(dict);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
    expect(error.help).toBe(DemoConfig.help());
  });

  it.each([
    ["base_pth", "base_path"],
    ["basePath", "base_path"],
    ["io_concurency", "io_concurrency"],
    ["persist_enable", "persist_enabled"],
    ["evictoin", "eviction"],
    ["base", "base_path"],
    ["io_concurrency_limit", "io_concurrency"],
  ])("an unknown key %s names the closest valid key %s", (bad, good) => {
    const error = parseError({ ...ok, [bad]: 1 });
    expect(error.field).toBe(bad);
    expect(error.message).toContain(`did you mean "${good}"`);
    expect(error.hint).toContain(good);
  });

  it("an unknown key far from every valid key lists the valid keys", () => {
    const error = parseError({ ...ok, completely_unrelated_setting: 1 });
    expect(error.message).toContain(
      "valid keys: type, base_path, io_concurrency, eviction, persist_enabled, shared",
    );
  });

  it.each([null, [], "demo", 42, true])("a non-object config (%j) is CONFIG_INVALID", (value) => {
    expect(parseError(value).message).toMatch(/must be a JSON object/);
  });

  it("an adapter schema may not redefine a shared or reserved key", () => {
    for (const reserved of ["type", ...SHARED_CONFIG_KEYS]) {
      expect(() =>
        defineL2AdapterConfig("bad", z.object({ [reserved]: z.string() }), { summary: "x", example: {} }),
      ).toThrow(expect.objectContaining({ code: "ADAPTER_INVALID" }));
    }
  });

  it("a refinement that throws is still a typed CONFIG_INVALID", () => {
    const Throwing = defineL2AdapterConfig(
      "throwing",
      z.object({
        n: z.number().refine(() => {
          throw new Error("schema bug");
        }),
      }),
      { summary: "x", example: { n: 1 } },
    );
    expect(() => Throwing.fromDict({ n: 1 })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });
});

describe("help and JSON Schema", () => {
  /** Every property of a JSON Schema object, nested ones as dotted paths. */
  function schemaFields(
    schema: Record<string, any>,
    prefix = "",
  ): Array<[string, Record<string, any>, boolean]> {
    const required = new Set<string>(schema.required ?? []);
    return Object.entries<Record<string, any>>(schema.properties ?? {}).flatMap(([name, prop]) => [
      [`${prefix}${name}`, prop, required.has(name)] as [string, Record<string, any>, boolean],
      ...(prop.type === "object" ? schemaFields(prop, `${prefix}${name}.`) : []),
    ]);
  }

  it("help lists every field of the JSON Schema with required/optional and its default", () => {
    const help = DemoConfig.help();
    const fields = schemaFields(DemoConfig.jsonSchema()).filter(([name]) => name !== "type");
    // The schema holds the adapter's fields, the shared ones and eviction's nested ones.
    expect(fields.map(([name]) => name).sort()).toEqual(
      [
        "base_path",
        "io_concurrency",
        "eviction",
        "eviction.eviction_policy",
        "eviction.trigger_watermark",
        "eviction.eviction_ratio",
        "persist_enabled",
        "shared",
        "affinity_tag",
        "serde",
        ...[
          "type",
          "key_provider",
          "master_key_path",
          "aes_bits",
          "bind_key",
          "max_workers",
          "delete_corrupt",
        ].map((k) => `serde.${k}`),
      ].sort(),
    );
    for (const [path, prop, required] of fields) {
      const name = path.split(".").pop()!;
      const line = help.split("\n").find((l) => l.trimStart().startsWith(`- ${name} (`));
      expect(line, `help has no line for ${path}`).toBeDefined();
      expect(line).toContain(required ? "required" : "optional");
      if (prop.default !== undefined) expect(line).toContain(`default ${JSON.stringify(prop.default)}`);
      if (prop.description) expect(line).toContain(prop.description);
    }
  });

  it("the JSON Schema describes the shared keys' defaults and ranges", () => {
    const schema = DemoConfig.jsonSchema() as Record<string, any>;
    expect(schema.properties.persist_enabled.default).toBe(true);
    expect(schema.properties.shared.default).toBe(false);
    expect(schema.properties.eviction.properties.eviction_policy.enum).toEqual([...EVICTION_POLICIES]);
    expect(schema.properties.eviction.properties.trigger_watermark.default).toBe(0.8);
    expect(schema.properties.eviction.properties.eviction_ratio.default).toBe(0.2);
    expect(schema.properties.eviction.required).toEqual(["eviction_policy"]);
    expect(schema.additionalProperties).toBe(false);
    // A copy each time: a caller cannot change the cached schema.
    schema.properties.shared.default = "changed";
    expect((DemoConfig.jsonSchema() as any).properties.shared.default).toBe(false);
  });

  it("the example shown in help parses", () => {
    const help = DemoConfig.help();
    const json = /--l2-adapter '(.*)'/.exec(help)?.[1];
    expect(json).toBeDefined();
    expect(DemoConfig.fromDict(JSON.parse(json!)).basePath).toBe("/tmp/demo");
  });
});

// ---- property: no input makes parsing fail with anything but the typed error -------------------------

const VALID_KEYS = ["type", "base_path", "io_concurrency", ...SHARED_CONFIG_KEYS];
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const fraction = (v: unknown) => v === undefined || (typeof v === "number" && v > 0 && v <= 1);

/** Independent statement of what the demo type accepts (the oracle). */
function isValidDemo(v: unknown): boolean {
  if (!isObject(v) || v.type !== "demo") return false;
  if (!Object.keys(v).every((k) => VALID_KEYS.includes(k))) return false;
  if (typeof v.base_path !== "string" || v.base_path.length === 0) return false;
  const io = v.io_concurrency;
  if (Object.hasOwn(v, "io_concurrency") && !(Number.isSafeInteger(io) && (io as number) > 0)) return false;
  for (const flag of ["persist_enabled", "shared"]) {
    if (Object.hasOwn(v, flag) && typeof v[flag] !== "boolean") return false;
  }
  if (Object.hasOwn(v, "eviction")) {
    const e = v.eviction;
    if (!isObject(e)) return false;
    if (
      !Object.keys(e).every((k) => ["eviction_policy", "trigger_watermark", "eviction_ratio"].includes(k))
    ) {
      return false;
    }
    if (!EVICTION_POLICIES.includes(e.eviction_policy as never)) return false;
    if (!fraction(e.trigger_watermark) || !fraction(e.eviction_ratio)) return false;
  }
  const tag = v.affinity_tag;
  if (Object.hasOwn(v, "affinity_tag") && !(typeof tag === "string" && tag.length > 0)) return false;
  if (Object.hasOwn(v, "serde") && !isValidSerde(v.serde)) return false;
  return true;
}

function isValidSerde(s: unknown): boolean {
  if (!isObject(s)) return false;
  const aes = s.type === "aesgcm" || s.type === "encrypt";
  if (s.type !== "checksum" && !aes) return false;
  const allowed = [
    "type",
    "max_workers",
    "delete_corrupt",
    ...(aes ? ["key_provider", "master_key_path", "aes_bits", "bind_key"] : []),
  ];
  if (!Object.keys(s).every((k) => allowed.includes(k))) return false;
  const has = (k: string) => Object.hasOwn(s, k);
  if (has("max_workers") && !(Number.isSafeInteger(s.max_workers) && (s.max_workers as number) > 0))
    return false;
  for (const flag of ["delete_corrupt", "bind_key"])
    if (has(flag) && typeof s[flag] !== "boolean") return false;
  if (!aes) return true;
  if (typeof s.master_key_path !== "string" || s.master_key_path.length === 0) return false;
  if (has("aes_bits") && s.aes_bits !== 128 && s.aes_bits !== 256) return false;
  return !has("key_provider") || s.key_provider === "hkdf";
}

const plausibleValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom("/data", "", 0, 1, 4, 0.5, 1.5, -1, true, false, null, "LRU", "demo"),
  fc.record(
    {
      eviction_policy: fc.constantFrom(...EVICTION_POLICIES, "ARC", 1),
      trigger_watermark: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constant(1), fc.string()),
      eviction_ratio: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constant(0.2)),
      evicton_ratio: fc.constant(0.2),
    },
    { requiredKeys: [] },
  ),
);
const plausibleConfig = fc
  .tuple(
    fc.constantFrom("demo", "demo", "demo", "plugin", "nope", 5, "__proto__", "constructor"),
    fc.dictionary(
      fc.constantFrom(...VALID_KEYS.slice(1), "base_pth", "__proto__", "toString", "x"),
      plausibleValue,
      {
        maxKeys: 6,
      },
    ),
    fc.boolean(),
  )
  .map(([type, rest, withPath]) => ({ ...(withPath ? { base_path: "/data" } : {}), ...rest, type }));

const nearValid = fc
  .record(
    {
      base_path: fc.constantFrom("/data", "x"),
      io_concurrency: fc.integer({ min: 1, max: 16 }),
      persist_enabled: fc.boolean(),
      shared: fc.boolean(),
      eviction: fc.record(
        {
          eviction_policy: fc.constantFrom(...EVICTION_POLICIES),
          trigger_watermark: fc.double({ min: 0.01, max: 1, noNaN: true }),
          eviction_ratio: fc.constantFrom(0.1, 1),
        },
        { requiredKeys: ["eviction_policy"] },
      ),
    },
    { requiredKeys: ["base_path"] },
  )
  .map((rest) => ({ type: "demo", ...rest }));
// A near-valid config with one key replaced by anything: the boundary where parsers slip.
const mutated = fc
  .tuple(nearValid, fc.constantFrom(...VALID_KEYS, "base_pth"), plausibleValue)
  .map(([config, k, v]) => ({ ...config, [k]: v }));

const anyInput = fc.oneof(fc.jsonValue(), fc.object(), plausibleConfig, nearValid, mutated);

describe("config parsing never throws anything but L2Error (property)", () => {
  const registry = createL2AdapterRegistry({
    discover: false,
    logger: silentLogger,
    types: [defineL2AdapterType({ configClass: DemoConfig, create: () => ({}) as never })],
  });

  it("DemoConfig.fromDict: any JSON value either parses (and is valid) or throws CONFIG_INVALID", () => {
    let parsed = 0;
    fc.assert(
      fc.property(anyInput, (input) => {
        const dict = isObject(input) && !Object.hasOwn(input, "type") ? { ...input, type: "demo" } : input;
        let config: L2AdapterConfigBase | undefined;
        try {
          config = DemoConfig.fromDict(dict);
        } catch (error) {
          expect(isL2Error(error, "CONFIG_INVALID"), String(error)).toBe(true);
          expect(isValidDemo(dict)).toBe(false);
          return;
        }
        expect(isValidDemo(dict), JSON.stringify(dict)).toBe(true);
        expect(config.type).toBe("demo");
        parsed++;
      }),
      { numRuns: 1500 },
    );
    // The generator reaches valid configs too, so both directions of the oracle are exercised.
    expect(parsed).toBeGreaterThan(20);
  });

  it("registry.parseConfig and parseArgs: reject only with L2Error, never resolve for invalid input", async () => {
    let resolved = 0;
    await fc.assert(
      fc.asyncProperty(anyInput, async (input) => {
        const outcomes = await Promise.allSettled([
          registry.parseConfig(input),
          registry.parseArgs([JSON.stringify(input) ?? "undefined"]),
        ]);
        for (const outcome of outcomes) {
          if (outcome.status === "rejected") {
            expect(isL2Error(outcome.reason), String(outcome.reason)).toBe(true);
            if (isValidDemo(input)) throw new Error(`valid input rejected: ${outcome.reason}`);
          } else {
            const type = (input as Record<string, unknown>).type;
            // A random input may happen to be a valid plugin config; everything else must be a valid demo.
            if (type !== "plugin") expect(isValidDemo(input), JSON.stringify(input)).toBe(true);
            resolved++;
          }
        }
      }),
      { numRuns: 800 },
    );
    expect(resolved).toBeGreaterThan(10);
  });

  it("parseArgs: arbitrary strings reject only with L2Error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 3 }), async (args) => {
        try {
          await registry.parseArgs(args);
        } catch (error) {
          expect(isL2Error(error), String(error)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("limits an author declares read in core's words, not zod's", () => {
  class Limits extends defineL2AdapterConfig(
    "limits",
    z.object({
      max_size_gb: z.number().min(0).default(1),
      ratio: z.number().gt(0).lt(1).default(0.5),
      workers: z.number().int().max(64).default(4),
      name: z.string().min(3).default("abc"),
      tags: z.array(z.string()).min(1).default(["a"]),
      mode: z.enum(["fast", "safe"]).default("safe"),
      step: z.number().multipleOf(4).default(4),
      own: z.number().min(1, { message: "needs one at least" }).default(1),
    }),
    { summary: "limits", example: {} },
  ) {}
  const message = (dict: Record<string, unknown>) => {
    try {
      Limits.fromDict({ type: "limits", ...dict });
    } catch (error) {
      return (error as L2Error).message;
    }
    throw new Error("expected a rejection");
  };

  it.each([
    [{ max_size_gb: -1 }, 'field "max_size_gb": must be >= 0 (got -1)'],
    [{ ratio: 0 }, 'field "ratio": must be > 0 (got 0)'],
    [{ ratio: 1 }, 'field "ratio": must be < 1 (got 1)'],
    [{ workers: 65 }, 'field "workers": must be <= 64 (got 65)'],
    [{ workers: 1.5 }, 'field "workers": must be an integer (got 1.5)'],
    [{ workers: "4" }, 'field "workers": must be a number (got "4")'],
    [{ name: "ab" }, 'field "name": must be at least 3 character(s) long (got "ab")'],
    [{ tags: [] }, 'field "tags": must have at least 1 item(s) (got an array)'],
    [{ mode: "slow" }, 'field "mode": must be one of "fast", "safe" (got "slow")'],
    [{ step: 3 }, 'field "step": must be a multiple of 4 (got 3)'],
    [{ own: 0 }, 'field "own": needs one at least (got 0)'],
  ])("%j -> %s", (dict, expected) => {
    expect(message(dict)).toBe(expected);
  });
});
