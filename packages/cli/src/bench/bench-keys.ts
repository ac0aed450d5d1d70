import { kvRank, ObjectKey } from "@x/l2-core";

const BENCH_MODEL = "x-l2-bench/model";
const RANK = kvRank(1, 0, 1, 0);

/**
 * Keys of one bench run: a random run id keeps them apart from anything already stored (a reused fs
 * directory), the round keeps rounds apart (each round stores new keys), and `present` separates keys
 * that are stored from the ones lookups ask for to produce misses.
 */
export function benchKey(run: number, round: number, index: number, present: boolean): ObjectKey {
  const hash = Buffer.alloc(16);
  hash.writeUInt32BE(run >>> 0, 0);
  hash.writeUInt32BE(round >>> 0, 4);
  hash.writeUInt32BE(index >>> 0, 8);
  hash.writeUInt32BE(present ? 0x5eed0001 : 0xabce0000, 12);
  return new ObjectKey({ chunkHash: hash, modelName: BENCH_MODEL, kvRank: RANK });
}
