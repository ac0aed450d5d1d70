import { createHash } from "node:crypto";
import { type L2AdapterRegistry, type L2Logger, ObjectKey } from "@x/l2-core";
import { type L2AdapterSpec, StorageManager } from "../storage-manager.js";
import type { StorePolicyName } from "../store-policy.js";

export interface TieredWorkloadOptions {
  /** L1 capacity in bytes (default 16 MiB: smaller than the working set, so L2 matters). */
  l1SizeBytes?: number | undefined;
  /** `--l2-adapter` specs in priority order (default: fs in ./.x-l2/cache). */
  l2?: readonly L2AdapterSpec[] | undefined;
  storePolicy?: StorePolicyName | undefined;
  prefetchLoadTimeoutMs?: number | undefined;
  prefetchMaxInFlight?: number | undefined;
  /** Bytes per chunk (default 256 KiB). */
  chunkSizeBytes?: number | undefined;
  /** Distinct shared prefixes, e.g. system prompts or documents (default 24). */
  prefixes?: number | undefined;
  /** Chunks per shared prefix (default 8). */
  prefixChunks?: number | undefined;
  /** Chunks unique to each request, after its prefix (default 1). */
  uniqueChunks?: number | undefined;
  /** Requests to run (default 300). */
  requests?: number | undefined;
  /** Zipf exponent of prefix popularity (default 1.1: a few prefixes are hot). */
  zipfExponent?: number | undefined;
  /** Requests running at once (default 4). */
  concurrency?: number | undefined;
  seed?: number | undefined;
  /** Model name of the keys (default "x-l2-bench/tiered"); the run's keys are namespaced by `seed`. */
  modelName?: string | undefined;
  registry?: L2AdapterRegistry | undefined;
  logger?: L2Logger | undefined;
  /** Called after each request: done, total. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface TieredWorkloadResult {
  readonly requests: number;
  readonly chunksRequested: number;
  /** Chunks usable without recomputation (prefetch prefix), over chunks requested. */
  readonly reuseRate: number;
  /** Chunks already in L1 when requested, over chunks requested. */
  readonly l1HitRate: number;
  readonly adapters: ReadonlyArray<{
    readonly id: number;
    readonly type: string;
    /** Chunks this adapter served, over chunks requested. */
    readonly hitRate: number;
    readonly hits: number;
    readonly bytesStored: number;
    readonly bytesLoaded: number;
  }>;
  readonly prefetchMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly bytesComputed: number;
  /** Computed chunks L1 could not take (full of objects still being stored): backpressure. */
  readonly putRejected: number;
  readonly bytesMoved: { readonly stored: number; readonly loaded: number };
  readonly wrongBytes: number;
  readonly elapsedMs: number;
  readonly deadlineHits: number;
}

/** A small deterministic PRNG (mulberry32), so a seed reproduces the same request sequence. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zipfSampler(n: number, s: number, random: () => number): () => number {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    cdf.push(acc);
  }
  return () => {
    const r = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Chunk content is a function of its key: the first bytes are its hash, the rest a fill derived from it. */
function content(key: ObjectKey, size: number): Uint8Array {
  const out = Buffer.allocUnsafe(size);
  const hash = key.chunkHash;
  out.fill(hash[0]! ^ hash[1]!);
  out.set(hash.subarray(0, Math.min(hash.length, size)));
  return out;
}

/** Every byte against the expected content (the check a benchmark must not skip). */
function matches(key: ObjectKey, bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(content(key, bytes.byteLength));
}

/**
 * A prefix-sharing request workload through a StorageManager: each request picks a shared prefix by Zipf
 * popularity and adds chunks of its own; it prefetches its chunks, reads the usable prefix from L1 (every
 * byte checked), and "computes" and puts the rest, which the manager stores to L2 in the background.
 * Reports L1 and per-adapter hit rates, prefetch latency and bytes moved.
 */
export async function runTieredWorkload(options: TieredWorkloadOptions = {}): Promise<TieredWorkloadResult> {
  const chunk = options.chunkSizeBytes ?? 256 * 1024;
  const prefixes = options.prefixes ?? 24;
  const prefixChunks = options.prefixChunks ?? 8;
  const uniqueChunks = options.uniqueChunks ?? 1;
  const requests = options.requests ?? 300;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const seed = options.seed ?? 1;
  const modelName = options.modelName ?? "x-l2-bench/tiered";
  const random = rng(seed);
  const pickPrefix = zipfSampler(prefixes, options.zipfExponent ?? 1.1, random);
  const manager = await StorageManager.open({
    l1SizeBytes: options.l1SizeBytes ?? 16 * 2 ** 20,
    l2: options.l2 ?? [JSON.stringify({ type: "fs", base_path: "./.x-l2/cache" })],
    storePolicy: options.storePolicy,
    prefetchLoadTimeoutMs: options.prefetchLoadTimeoutMs,
    prefetchMaxInFlight: options.prefetchMaxInFlight,
    objectSizeBytes: chunk,
    registry: options.registry,
    logger: options.logger,
  });
  const makeKey = (label: string) =>
    new ObjectKey({
      chunkHash: createHash("sha256").update(`${seed}:${label}`).digest().subarray(0, 16),
      modelName,
      kvRank: 0,
    });
  const plan = Array.from({ length: requests }, (_, r) => {
    const p = pickPrefix();
    const keys: ObjectKey[] = [];
    for (let c = 0; c < prefixChunks; c++) keys.push(makeKey(`prefix-${p}-${c}`));
    for (let c = 0; c < uniqueChunks; c++) keys.push(makeKey(`request-${r}-${c}`));
    return keys;
  });
  const latencies: number[] = [];
  let reused = 0;
  let requested = 0;
  let computed = 0;
  let wrong = 0;
  let done = 0;
  const started = performance.now();
  try {
    const runOne = async (keys: ObjectKey[]) => {
      const t0 = performance.now();
      const count = await manager.prefetch(keys);
      latencies.push(performance.now() - t0);
      const usable = keys.slice(0, count);
      const targets = usable.map(() => new Uint8Array(chunk));
      const hits = manager.get(usable, targets);
      // A counted key evicted before this read is recomputed, as an engine would.
      let lead = 0;
      usable.forEach((key, i) => {
        if (hits.test(i) && !matches(key, targets[i]!)) wrong++;
      });
      while (lead < usable.length && hits.test(lead)) lead++;
      const missing = keys.slice(lead);
      computed += missing.length * chunk;
      manager.put(
        missing,
        missing.map((k) => content(k, chunk)),
      );
      reused += lead;
      requested += keys.length;
      options.onProgress?.(++done, requests);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < plan.length) await runOne(plan[next++]!);
      }),
    );
    await manager.flush();
    const metrics = await manager.metrics();
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      requests,
      chunksRequested: requested,
      reuseRate: requested ? reused / requested : 0,
      l1HitRate: requested ? metrics.prefetch.l1Hits / requested : 0,
      adapters: metrics.adapters.map((a) => ({
        id: a.id,
        type: a.type,
        hitRate: requested ? a.hits / requested : 0,
        hits: a.hits,
        bytesStored: a.bytesStored,
        bytesLoaded: a.bytesLoaded,
      })),
      prefetchMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
      bytesComputed: computed,
      putRejected: metrics.l1.putRejected,
      bytesMoved: {
        stored: metrics.adapters.reduce((s, a) => s + a.bytesStored, 0),
        loaded: metrics.adapters.reduce((s, a) => s + a.bytesLoaded, 0),
      },
      wrongBytes: wrong,
      elapsedMs: performance.now() - started,
      deadlineHits: metrics.prefetch.deadlineHits,
    };
  } finally {
    await manager.close();
  }
}
