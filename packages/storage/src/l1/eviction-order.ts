/**
 * The order in which L1 offers unlocked objects for eviction. The store tells it what happened; it never
 * decides whether an object may go (locks do), only which goes first.
 */
export interface L1EvictionOrder {
  readonly name: L1EvictionPolicyName;
  inserted(id: string, sizeBytes: number): void;
  accessed(id: string): void;
  /** The object left L1 (evicted or deleted); `evicted` says whether eviction chose it. */
  removed(id: string, evicted: boolean): void;
  /** Candidate ids, best victim first. Called only when room is needed. */
  victims(): Iterable<string>;
}

export const L1_EVICTION_POLICIES = ["LRU", "ARC"] as const;
export type L1EvictionPolicyName = (typeof L1_EVICTION_POLICIES)[number];
