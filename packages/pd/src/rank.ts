import { L2Error, type ObjectKey, parseKvRank } from "@x/l2-core";

/** The TP rank a key goes to: the worker's own rank when the context names one, else the key's global rank. */
export function rankOfKey(key: ObjectKey, tpRank: number | undefined): number {
  return tpRank ?? parseKvRank(key.kvRank).globalRank;
}

export function checkRank(rank: number, portCount: number, source: string): number {
  if (!Number.isInteger(rank) || rank < 0 || rank >= portCount) {
    throw new L2Error(
      "CONFIG_INVALID",
      `TP rank ${rank} (from ${source}) has no port: peer_init_port/peer_alloc_port list ${portCount} rank(s)`,
      { adapterType: "pd", field: "peer_init_port", hint: "list one init and one alloc port per TP rank" },
    );
  }
  return rank;
}
