import type { ObjectKey } from "@x/l2-core";
import type { AdapterSlot } from "./adapter-slot.js";

export const STORE_POLICIES = ["default", "skip_l1", "striped", "tiered"] as const;
/**
 * default: every adapter, keep L1 (LMCache). skip_l1: every adapter, then drop from L1. striped: each key to
 * exactly one adapter by hash (LMCache PR #4260). tiered: the first (fastest) adapter only; eviction there
 * demotes to the next, and a hit in a slower one is promoted (see the README).
 */
export type StorePolicyName = (typeof STORE_POLICIES)[number];

/** FNV-1a over the key's canonical id: stable across processes, so a restart stripes the same way. */
export function stripeHash(key: ObjectKey): number {
  let h = 0x811c9dc5;
  const id = key.id;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Which adapters store `key`. `slots` is every attached, non-draining adapter in priority order; a slot
 * that is not routable (unhealthy) is skipped, and for striped / tiered its share moves to the next healthy
 * one, so a failing adapter never strands a key in L1 only.
 */
export function selectStoreTargets(
  policy: StorePolicyName,
  key: ObjectKey,
  slots: readonly AdapterSlot[],
): { targets: AdapterSlot[]; skipped: AdapterSlot[] } {
  const skipped = slots.filter((s) => !s.routable);
  if (policy === "default" || policy === "skip_l1")
    return { targets: slots.filter((s) => s.routable), skipped };
  if (slots.length === 0) return { targets: [], skipped };
  const start = policy === "striped" ? stripeHash(key) % slots.length : 0;
  for (let n = 0; n < slots.length; n++) {
    const slot = slots[(start + n) % slots.length]!;
    if (slot.routable) return { targets: [slot], skipped: n === 0 ? [] : [slots[start]!] };
  }
  return { targets: [], skipped: [slots[start]!] };
}
