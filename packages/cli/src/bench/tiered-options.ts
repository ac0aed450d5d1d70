/** What one `x-l2 bench --tiered` run does; the flags map onto the first five, the rest are fixed. */
export interface TieredBenchOptions {
  l1Size: number;
  chunkSize: number;
  requests: number;
  storePolicy: string;
  /** No deadline when undefined. */
  prefetchTimeoutMs: number | undefined;
}

/**
 * Defaults sized so the working set (24 prefixes x 8 chunks + 1 chunk per request, 256 KiB each: about
 * 120 MiB) is several times L1, so a cold run must both store to and load from L2, and a default run stays
 * within seconds on a laptop.
 */
export const DEFAULT_TIERED_OPTIONS: Readonly<Omit<TieredBenchOptions, "prefetchTimeoutMs">> = Object.freeze({
  l1Size: 16 * 1024 ** 2,
  chunkSize: 256 * 1024,
  requests: 300,
  storePolicy: "default",
});

/** The workload's shape, passed explicitly so the report states what ran. */
export const TIERED_WORKLOAD_SHAPE = Object.freeze({
  prefixes: 24,
  prefixChunks: 8,
  uniqueChunks: 1,
  zipfExponent: 1.1,
  concurrency: 4,
  seed: 1,
});

/** bench's flags that mean nothing to --tiered, and --tiered's that mean nothing without it. */
export const CLASSIC_ONLY_FLAGS = Object.freeze({
  numKeys: "--num-keys",
  batch: "--batch",
  inFlight: "--in-flight",
  lookupMaxHitRate: "--lookup-max-hit-rate",
  rounds: "--rounds",
  verify: "--no-verify",
  baseline: "--baseline",
});
export const TIERED_ONLY_FLAGS = Object.freeze({
  l1Size: "--l1-size",
  requests: "--requests",
  storePolicy: "--store-policy",
  prefetchTimeoutMs: "--prefetch-timeout-ms",
});
