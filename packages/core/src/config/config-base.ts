import { z } from "zod";
import { L2Error } from "../errors.js";
import { DEFAULT_AFFINITY_TAG, parseSerdeConfig, type SerdeConfig } from "../serde/serde-config.js";
import { type CamelCased, toCamelCase } from "./case.js";
import { closestKey } from "./closest-key.js";
import { type EvictionConfig, SHARED_CONFIG_KEYS, sharedConfigShape } from "./eviction.js";
import { renderHelp } from "./help.js";
import { keysAt } from "./schema-walk.js";

/** The keys every adapter type accepts, parsed by the framework for all of them. */
export interface SharedAdapterConfig {
  /** Parsed `eviction` block; null = no eviction. */
  readonly eviction: EvictionConfig | null;
  /** `persist_enabled`, default true. */
  readonly persistEnabled: boolean;
  /** `shared`, default false. */
  readonly shared: boolean;
  /** Parsed `serde` block; null = objects are stored as raw bytes. */
  readonly serde?: SerdeConfig | null;
  /** `affinity_tag`, default "_default": the L1 tier this adapter is bound to. */
  readonly affinityTag?: string;
}

const sharedSchema = z.strictObject(sharedConfigShape);

/**
 * Base of every adapter config. Instances are frozen after parsing and carry the adapter's own fields
 * in camelCase plus the shared ones.
 */
export abstract class L2AdapterConfigBase implements SharedAdapterConfig {
  /** The adapter type this config is for. */
  readonly type: string;
  readonly eviction: EvictionConfig | null;
  readonly persistEnabled: boolean;
  readonly shared: boolean;
  readonly serde: SerdeConfig | null;
  readonly affinityTag: string;

  constructor(type: string, shared: SharedAdapterConfig) {
    this.type = type;
    this.eviction = shared.eviction;
    this.persistEnabled = shared.persistEnabled;
    this.shared = shared.shared;
    this.serde = shared.serde ?? null;
    this.affinityTag = shared.affinityTag ?? DEFAULT_AFFINITY_TAG;
  }

  /** The JSON form (snake_case keys, `type` included) that `fromDict` accepts back. */
  toDict(): Record<string, unknown> {
    return { type: this.type, ...this.sharedToDict() };
  }

  /**
   * The shared-key hook: parses `eviction`, `persist_enabled` and `shared` out of a config dict. Every
   * `fromDict` runs it; adapter types never parse these keys themselves.
   */
  static parseSharedConfig(dict: Record<string, unknown>, type = "?"): SharedAdapterConfig {
    const input: Record<string, unknown> = {};
    for (const key of SHARED_CONFIG_KEYS) if (Object.hasOwn(dict, key)) input[key] = dict[key];
    const parsed = sharedSchema.safeParse(input);
    if (!parsed.success) throw configError(type, parsed.error, dict, sharedSchema);
    const e = parsed.data.eviction;
    return {
      eviction: e
        ? Object.freeze({
            policy: e.eviction_policy,
            triggerWatermark: e.trigger_watermark,
            evictionRatio: e.eviction_ratio,
          })
        : null,
      persistEnabled: parsed.data.persist_enabled,
      shared: parsed.data.shared,
      serde: input.serde === undefined ? null : parseSerdeConfig(input.serde, type),
      affinityTag: parsed.data.affinity_tag,
    };
  }

  /** The shared keys back in JSON form (only those that differ from "absent"). */
  protected sharedToDict(): Record<string, unknown> {
    const out: Record<string, unknown> = { persist_enabled: this.persistEnabled, shared: this.shared };
    if (this.affinityTag !== DEFAULT_AFFINITY_TAG) out.affinity_tag = this.affinityTag;
    if (this.serde) out.serde = { ...this.serde.raw };
    if (this.eviction) {
      out.eviction = {
        eviction_policy: this.eviction.policy,
        trigger_watermark: this.eviction.triggerWatermark,
        eviction_ratio: this.eviction.evictionRatio,
      };
    }
    return out;
  }
}

/** What the registry needs from a config class: parse, help and schema, all static. */
export interface L2AdapterConfigClassLike<C extends L2AdapterConfigBase = L2AdapterConfigBase> {
  readonly type: string;
  readonly summary: string;
  readonly example: Readonly<Record<string, unknown>>;
  fromDict(dict: unknown): C;
  help(): string;
  jsonSchema(): Record<string, unknown>;
}

export interface L2AdapterConfigClass<P> extends L2AdapterConfigClassLike<L2AdapterConfigBase & P> {
  new (params: P, shared: SharedAdapterConfig): L2AdapterConfigBase & P;
  /** The adapter's own schema (snake_case keys, without the shared ones). */
  readonly schema: z.ZodObject;
}

export interface DefineConfigOptions {
  /** One line saying what the adapter is. */
  summary: string;
  /** A valid config without `type`, shown in help and used by tests. */
  example: Record<string, unknown>;
}

type AnyObjectSchema = z.ZodObject<any>;

/**
 * Creates the config class of an adapter type from a zod object schema whose keys are the JSON keys
 * (snake_case, as in LMCache). Unknown keys are errors that name the closest valid key; wrong types and
 * ranges are errors that name the field; help and JSON Schema are derived from the same schema.
 *
 * ```ts
 * export class MyConfig extends defineL2AdapterConfig("my", z.object({ base_path: z.string() }), {...}) {}
 * MyConfig.fromDict({ type: "my", base_path: "/x" }).basePath
 * ```
 */
export function defineL2AdapterConfig<S extends AnyObjectSchema>(
  type: string,
  schema: S,
  options: DefineConfigOptions,
): L2AdapterConfigClass<CamelCased<z.output<S>>> {
  const ownKeys = Object.keys(schema.shape);
  const clash = ownKeys.find((k) => k === "type" || SHARED_CONFIG_KEYS.includes(k));
  if (clash) {
    throw new L2Error("ADAPTER_INVALID", `config of type "${type}" redefines the reserved key "${clash}"`, {
      adapterType: type,
    });
  }
  const validKeys = ["type", ...ownKeys, ...SHARED_CONFIG_KEYS];
  const documentSchema = z.strictObject({ type: z.literal(type), ...schema.shape, ...sharedConfigShape });
  let cachedHelp: string | undefined;
  let cachedJsonSchema: Record<string, unknown> | undefined;

  class Config extends L2AdapterConfigBase {
    static readonly type = type;
    static readonly summary = options.summary;
    static readonly example = Object.freeze({ ...options.example });
    static readonly schema = schema;

    constructor(params: Record<string, unknown>, shared: SharedAdapterConfig) {
      super(type, shared);
      Object.assign(this, params);
    }

    static fromDict(this: new (p: any, s: SharedAdapterConfig) => L2AdapterConfigBase, dict: unknown) {
      if (typeof dict !== "object" || dict === null || Array.isArray(dict)) {
        throw new L2Error(
          "CONFIG_INVALID",
          `config for type "${type}" must be a JSON object, got ${describeValue(dict)}`,
          { adapterType: type, help: Config.help() },
        );
      }
      const record = dict as Record<string, unknown>;
      if (Object.hasOwn(record, "type") && record.type !== type) {
        throw new L2Error(
          "CONFIG_INVALID",
          `field "type": expected "${type}", got ${describeValue(record.type)}`,
          {
            adapterType: type,
            field: "type",
            help: Config.help(),
          },
        );
      }
      for (const key of Object.keys(record)) {
        if (!validKeys.includes(key)) throw unknownKeyError(type, key, validKeys, Config.help());
      }
      const shared = L2AdapterConfigBase.parseSharedConfig(record, type);
      const own: Record<string, unknown> = {};
      for (const key of ownKeys) if (Object.hasOwn(record, key)) own[key] = record[key];
      let parsed: ReturnType<S["safeParse"]>;
      try {
        parsed = schema.safeParse(own) as ReturnType<S["safeParse"]>;
      } catch (error) {
        // A refinement that throws is a bug in the adapter's schema, still reported as a config error.
        throw new L2Error(
          "CONFIG_INVALID",
          `config for type "${type}" could not be checked: ${String(error)}`,
          {
            adapterType: type,
            cause: error,
            help: Config.help(),
          },
        );
      }
      if (!parsed.success) throw configError(type, parsed.error, record, schema, Config.help());
      const params: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(parsed.data as Record<string, unknown>)) {
        params[toCamelCase(key)] = value;
      }
      return Object.freeze(new this(params, shared));
    }

    static help(): string {
      cachedHelp ??= renderHelp({
        type,
        summary: options.summary,
        jsonSchema: Config.jsonSchema() as Record<string, any>,
        sharedKeys: SHARED_CONFIG_KEYS,
        example: options.example,
      });
      return cachedHelp;
    }

    static jsonSchema(): Record<string, unknown> {
      cachedJsonSchema ??= z.toJSONSchema(documentSchema, { io: "input", unrepresentable: "any" }) as Record<
        string,
        unknown
      >;
      return structuredClone(cachedJsonSchema);
    }

    override toDict(): Record<string, unknown> {
      const out: Record<string, unknown> = { type };
      const self = this as unknown as Record<string, unknown>;
      for (const key of ownKeys) {
        const value = self[toCamelCase(key)];
        if (value !== undefined) out[key] = value;
      }
      return { ...out, ...this.sharedToDict() };
    }
  }
  return Config as unknown as L2AdapterConfigClass<CamelCased<z.output<S>>>;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  try {
    const json = JSON.stringify(value);
    return json === undefined ? typeof value : json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return typeof value;
  }
}

function unknownKeyError(type: string, key: string, valid: readonly string[], help?: string): L2Error {
  const suggestion = closestKey(key, valid);
  return new L2Error(
    "CONFIG_INVALID",
    `unknown key "${key}" for type "${type}"${suggestion ? `; did you mean "${suggestion}"?` : `; valid keys: ${valid.join(", ")}`}`,
    {
      adapterType: type,
      field: key,
      hint: suggestion ? `rename "${key}" to "${suggestion}"` : undefined,
      help,
    },
  );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: any = root;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = current[part as any];
  }
  return current;
}

/** Turns zod issues into one typed error naming the field, the value and what is expected. */
export function configError(
  type: string,
  error: z.ZodError,
  input: unknown,
  schema: z.ZodType,
  help?: string,
): L2Error {
  const messages: string[] = [];
  let firstField: string | undefined;
  for (const issue of error.issues.slice(0, 5)) {
    const field = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const valid = keysAt(schema, issue.path);
      for (const key of issue.keys) {
        const full = field ? `${field}.${key}` : key;
        firstField ??= full;
        const suggestion = closestKey(key, valid);
        messages.push(
          `unknown key "${full}"${suggestion ? `; did you mean "${suggestion}"?` : `; valid keys: ${valid.join(", ")}`}`,
        );
      }
      continue;
    }
    firstField ??= field;
    const value = valueAt(input, issue.path);
    // A missing key is reported as missing whatever check failed on it (type, enum, custom message).
    const text =
      value === undefined
        ? `is required (${issue.message.replace(/^Invalid input: /, "").replace(/, received undefined$/, "")})`
        : `${issue.message.replace(/^Invalid input: /, "")} (got ${describeValue(value)})`;
    messages.push(`field "${field}": ${text}`);
  }
  return new L2Error("CONFIG_INVALID", messages.join("; "), {
    adapterType: type,
    field: firstField,
    help,
    cause: error,
  });
}
