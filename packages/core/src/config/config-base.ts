import { DEFAULT_AFFINITY_TAG, parseSerdeConfig, type SerdeConfig } from "../serde/serde-config.js";
import { CORE_PARSE_OPTIONS, configError } from "./config-error.js";
import type { EvictionConfig } from "./eviction.js";
import {
  pickSharedKeys,
  type SharedAdapterConfig,
  sharedConfigSchema,
  sharedConfigToDict,
} from "./shared-config.js";

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
   * The shared-key hook: parses `eviction`, `persist_enabled`, `shared`, `serde` and `affinity_tag` out of
   * a config dict. Every
   * `fromDict` runs it; adapter types never parse these keys themselves.
   */
  static parseSharedConfig(dict: Record<string, unknown>, type = "?"): SharedAdapterConfig {
    const input = pickSharedKeys(dict);
    const schema = sharedConfigSchema();
    const parsed = schema.safeParse(input, CORE_PARSE_OPTIONS);
    if (!parsed.success) throw configError(type, parsed.error, dict, schema);
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

  /** The shared keys back in JSON form. */
  protected sharedToDict(): Record<string, unknown> {
    return sharedConfigToDict(this);
  }
}

// The config class shapes live with defineL2AdapterConfig; re-exported for modules typed against this file.
export type { L2AdapterConfigClassLike } from "./define-config.js";
export type { SharedAdapterConfig } from "./shared-config.js";
