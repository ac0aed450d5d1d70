import { L2Error } from "./errors.js";

/** The four parts packed into an ObjectKey's `kvRank`, each 0..255. */
export interface KvRankParts {
  worldSize: number;
  globalRank: number;
  localWorldSize: number;
  localRank: number;
}

function checkByte(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `kvRank: ${name} must be an integer from 0 to 255, got ${String(value)}`,
      {
        field: name,
      },
    );
  }
  return value;
}

/**
 * LMCache's packed rank: (worldSize << 24) | (globalRank << 16) | (localWorldSize << 8) | localRank.
 * TP=1, rank 0 is `kvRank(1, 0, 1, 0)` = 0x01000100.
 */
export function kvRank(
  worldSize: number,
  globalRank: number,
  localWorldSize: number,
  localRank: number,
): number {
  return (
    ((checkByte("worldSize", worldSize) << 24) |
      (checkByte("globalRank", globalRank) << 16) |
      (checkByte("localWorldSize", localWorldSize) << 8) |
      checkByte("localRank", localRank)) >>>
    0
  );
}

/** The inverse of {@link kvRank}. */
export function parseKvRank(rank: number): KvRankParts {
  return {
    worldSize: (rank >>> 24) & 0xff,
    globalRank: (rank >>> 16) & 0xff,
    localWorldSize: (rank >>> 8) & 0xff,
    localRank: rank & 0xff,
  };
}
