/** What one bench run does; the CLI flags map 1:1 onto these. */
export interface BenchOptions {
  numKeys: number;
  chunkSize: number;
  batch: number;
  inFlight: number;
  /** Fraction (0..1) of each lookup batch that exists; the rest are keys never stored. */
  lookupMaxHitRate: number;
  rounds: number;
  verify: boolean;
}

export const DEFAULT_BENCH_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  numKeys: 256,
  chunkSize: 1024 * 1024,
  batch: 16,
  inFlight: 4,
  lookupMaxHitRate: 0.5,
  rounds: 3,
  verify: true,
});

/** Source and target buffers are allocated once for all keys: 2 x num-keys x chunk-size bytes. */
export const MAX_BENCH_MEMORY_BYTES = 8 * 1024 ** 3;
