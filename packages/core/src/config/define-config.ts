import type { z as Zod } from "zod";
import { L2Error } from "../errors.js";
import { type CamelCased, toCamelCase } from "./case.js";
import { L2AdapterConfigBase } from "./config-base.js";
import { CORE_PARSE_OPTIONS, configError, describeValue, unknownKeyError } from "./config-error.js";
import { renderHelp } from "./help.js";
import { SHARED_CONFIG_KEYS, type SharedAdapterConfig, sharedConfigShape } from "./shared-config.js";
import { loadZod } from "./zod.js";

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
  readonly schema: Zod.ZodObject;
}

export interface DefineConfigOptions {
  /** One line saying what the adapter is. */
  summary: string;
  /** A valid config without `type`, shown in help and used by tests. */
  example: Record<string, unknown>;
}

type AnyObjectSchema = Zod.ZodObject<any>;

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
): L2AdapterConfigClass<CamelCased<Zod.output<S>>> {
  const ownKeys = Object.keys(schema.shape);
  const clash = ownKeys.find((k) => k === "type" || SHARED_CONFIG_KEYS.includes(k));
  if (clash) {
    throw new L2Error("ADAPTER_INVALID", `config of type "${type}" redefines the reserved key "${clash}"`, {
      adapterType: type,
    });
  }
  const validKeys = ["type", ...ownKeys, ...SHARED_CONFIG_KEYS];
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
          { adapterType: type, field: "type", help: Config.help() },
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
        parsed = schema.safeParse(own, CORE_PARSE_OPTIONS) as ReturnType<S["safeParse"]>;
      } catch (error) {
        // A refinement that throws is a bug in the adapter's schema, still reported as a config error.
        throw new L2Error(
          "CONFIG_INVALID",
          `config for type "${type}" could not be checked: ${String(error)}`,
          { adapterType: type, cause: error, help: Config.help() },
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
      if (cachedJsonSchema === undefined) {
        const z = loadZod();
        const document = z.strictObject({ type: z.literal(type), ...schema.shape, ...sharedConfigShape() });
        cachedJsonSchema = z.toJSONSchema(document, { io: "input", unrepresentable: "any" }) as Record<
          string,
          unknown
        >;
      }
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
  return Config as unknown as L2AdapterConfigClass<CamelCased<Zod.output<S>>>;
}
