import {
  affinityTagSchema,
  DEFAULT_AFFINITY_TAG,
  type SerdeConfig,
  serdeSchema,
} from "../serde/serde-config.js";
import { type EvictionConfig, evictionSchema } from "./eviction.js";
import { loadZod } from "./zod.js";

/** The keys every adapter type accepts besides its own, parsed by the framework for all of them. */
export const SHARED_CONFIG_KEYS: readonly string[] = Object.freeze([
  "eviction",
  "persist_enabled",
  "shared",
  "serde",
  "affinity_tag",
]);

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
  /** `affinity_tag`, default "_default": the L1 tier this adapter is bound to (carried, not used by L2). */
  readonly affinityTag?: string;
}

function buildSharedShape() {
  const z = loadZod();
  return {
    eviction: evictionSchema().optional(),
    persist_enabled: z
      .boolean()
      .default(true)
      .describe("keep stored data when the adapter shuts down (false: the adapter may delete it)"),
    shared: z
      .boolean()
      .default(false)
      .describe("the storage is shared by several adapter instances (one directory, bucket or server)"),
    // serde: per-type kwargs are checked by parseSerdeConfig (src/serde), which also refuses tensor serdes.
    serde: serdeSchema().optional(),
    affinity_tag: affinityTagSchema(),
  };
}

let shape: ReturnType<typeof buildSharedShape> | undefined;
let schema: ReturnType<typeof buildSchema> | undefined;
const buildSchema = () => loadZod().strictObject(sharedConfigShape());

/** The shared keys' zod shape (snake_case), built on first use. */
export function sharedConfigShape(): ReturnType<typeof buildSharedShape> {
  shape ??= buildSharedShape();
  return shape;
}

/** The shared keys' strict object schema, built on first use. */
export function sharedConfigSchema(): ReturnType<typeof buildSchema> {
  schema ??= buildSchema();
  return schema;
}

/** The shared keys of a dict, in the dict's JSON form (only those present). */
export function pickSharedKeys(dict: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SHARED_CONFIG_KEYS) if (Object.hasOwn(dict, key)) out[key] = dict[key];
  return out;
}

/** The shared keys back in JSON form. */
export function sharedConfigToDict(shared: SharedAdapterConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { persist_enabled: shared.persistEnabled, shared: shared.shared };
  if (shared.affinityTag !== undefined && shared.affinityTag !== DEFAULT_AFFINITY_TAG) {
    out.affinity_tag = shared.affinityTag;
  }
  if (shared.serde) out.serde = { ...shared.serde.raw };
  if (shared.eviction) {
    out.eviction = {
      eviction_policy: shared.eviction.policy,
      trigger_watermark: shared.eviction.triggerWatermark,
      eviction_ratio: shared.eviction.evictionRatio,
    };
  }
  return out;
}
