import { loadZod } from "./zod.js";

export const EVICTION_POLICIES = ["LRU", "IsolatedLRU", "noop"] as const;
export type EvictionPolicyName = (typeof EVICTION_POLICIES)[number];

/** The parsed `eviction` block shared by every adapter type. */
export interface EvictionConfig {
  readonly policy: EvictionPolicyName;
  /** Usage fraction at which eviction starts, in (0, 1]. */
  readonly triggerWatermark: number;
  /** Fraction of tracked bytes removed per eviction round, in (0, 1]. */
  readonly evictionRatio: number;
}

/** The `eviction` block's schema (snake_case keys, as in LMCache); built on first use. */
export function evictionSchema() {
  const z = loadZod();
  const fraction = (fallback: number) =>
    z
      .number()
      .gt(0, { message: "must be greater than 0 and at most 1" })
      .lte(1, { message: "must be greater than 0 and at most 1" })
      .default(fallback);
  return z
    .strictObject({
      eviction_policy: z
        .enum(EVICTION_POLICIES, { message: `must be one of ${EVICTION_POLICIES.join(", ")}` })
        .describe("LRU (global, by usage watermark), IsolatedLRU (per cache salt, against quotas) or noop"),
      trigger_watermark: fraction(0.8).describe("usage fraction that starts eviction"),
      eviction_ratio: fraction(0.2).describe("fraction of tracked bytes evicted per round"),
    })
    .describe("L2 eviction; absent = no eviction");
}
