import type { TieredWorkloadResult } from "@x/l2-storage";
import { formatTable } from "../text-table.js";
import { formatSize } from "./size.js";
import { TIERED_WORKLOAD_SHAPE, type TieredBenchOptions } from "./tiered-options.js";

/** The whole `x-l2 bench --tiered --json` document (snake_case, like the rest of the CLI's JSON). */
export interface TieredBenchReport {
  mode: "tiered";
  source: "argument" | "default";
  fallback_reason: string | null;
  options: {
    l1_size: number;
    chunk_size: number;
    requests: number;
    store_policy: string;
    prefetch_timeout_ms: number | null;
    prefixes: number;
    prefix_chunks: number;
    unique_chunks: number;
    zipf_exponent: number;
    concurrency: number;
    seed: number;
  };
  requests: number;
  chunks_requested: number;
  /** Chunks usable without recomputation, over chunks requested. */
  reuse_rate: number;
  l1_hit_rate: number;
  adapters: Array<{
    id: number;
    type: string;
    config: Record<string, unknown>;
    hit_rate: number;
    hits: number;
    bytes_stored: number;
    bytes_loaded: number;
  }>;
  prefetch_ms: { p50: number; p99: number; max: number };
  bytes_moved: { stored: number; loaded: number };
  bytes_computed: number;
  put_rejected: number;
  deadline_hits: number;
  /** Chunks read back from L1 whose bytes were not what was put (the workload's wrongBytes). */
  wrong_chunks: number;
  elapsed_ms: number;
  ok: boolean;
}

export function tieredReport(
  options: TieredBenchOptions,
  configs: readonly Record<string, unknown>[],
  chosen: { source: "argument" | "default"; fallbackReason?: string | undefined },
  result: TieredWorkloadResult,
): TieredBenchReport {
  const s = TIERED_WORKLOAD_SHAPE;
  return {
    mode: "tiered",
    source: chosen.source,
    fallback_reason: chosen.fallbackReason ?? null,
    options: {
      l1_size: options.l1Size,
      chunk_size: options.chunkSize,
      requests: options.requests,
      store_policy: options.storePolicy,
      prefetch_timeout_ms: options.prefetchTimeoutMs ?? null,
      prefixes: s.prefixes,
      prefix_chunks: s.prefixChunks,
      unique_chunks: s.uniqueChunks,
      zipf_exponent: s.zipfExponent,
      concurrency: s.concurrency,
      seed: s.seed,
    },
    requests: result.requests,
    chunks_requested: result.chunksRequested,
    reuse_rate: result.reuseRate,
    l1_hit_rate: result.l1HitRate,
    // The manager attaches adapters in --l2-adapter order, so position i is the i-th config.
    adapters: result.adapters.map((a, i) => ({
      id: a.id,
      type: a.type,
      config: configs[i] ?? {},
      hit_rate: a.hitRate,
      hits: a.hits,
      bytes_stored: a.bytesStored,
      bytes_loaded: a.bytesLoaded,
    })),
    prefetch_ms: { ...result.prefetchMs },
    bytes_moved: { ...result.bytesMoved },
    bytes_computed: result.bytesComputed,
    put_rejected: result.putRejected,
    deadline_hits: result.deadlineHits,
    wrong_chunks: result.wrongBytes,
    elapsed_ms: result.elapsedMs,
    ok: result.wrongBytes === 0,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
const ms = (x: number) => `${x.toFixed(2)} ms`;

/** The human summary printed after a tiered run. */
export function formatTieredReport(r: TieredBenchReport): string {
  const o = r.options;
  const lines: string[] = [];
  const chain = r.adapters.map((a) => `#${a.id} ${a.type} ${JSON.stringify(a.config)}`).join(", ");
  lines.push(
    `L1 ${formatSize(o.l1_size)} + L2 ${chain}${r.source === "default" ? " (embedded default)" : ""}, store policy ${o.store_policy}, prefetch deadline ${o.prefetch_timeout_ms === null ? "none" : `${o.prefetch_timeout_ms} ms`}`,
  );
  if (r.fallback_reason) lines.push(`  using the mock adapter: ${r.fallback_reason}`);
  lines.push(
    `${r.requests} requests, each one of ${o.prefixes} shared prefixes (${o.prefix_chunks} chunks, Zipf ${o.zipf_exponent}) + ${o.unique_chunks} own chunk(s); ${formatSize(o.chunk_size)} chunks, ${o.concurrency} requests at once, seed ${o.seed}`,
  );
  lines.push(`${r.chunks_requested} chunks requested in ${(r.elapsed_ms / 1000).toFixed(2)} s`);
  lines.push("");
  lines.push(`reused without recompute  ${pct(r.reuse_rate)}`);
  lines.push(`L1 hit rate               ${pct(r.l1_hit_rate)}`);
  lines.push("");
  lines.push(
    formatTable(
      ["L2", "TYPE", "HIT RATE", "HITS", "STORED", "LOADED"],
      r.adapters.map((a) => [
        `#${a.id}`,
        a.type,
        pct(a.hit_rate),
        String(a.hits),
        mib(a.bytes_stored),
        mib(a.bytes_loaded),
      ]),
    ).trimEnd(),
  );
  lines.push("");
  lines.push(
    `prefetch latency          p50 ${ms(r.prefetch_ms.p50)}  p99 ${ms(r.prefetch_ms.p99)}  max ${ms(r.prefetch_ms.max)}`,
  );
  lines.push(
    `bytes moved               ${mib(r.bytes_moved.stored)} stored to L2, ${mib(r.bytes_moved.loaded)} loaded from L2; ${mib(r.bytes_computed)} recomputed`,
  );
  lines.push(`puts refused by a full L1 ${r.put_rejected}; prefetch deadline hits ${r.deadline_hits}`);
  lines.push(
    r.ok
      ? "verification: every chunk read from L1 matched its bytes"
      : `verification FAILED: ${r.wrong_chunks} chunk(s) read back with wrong bytes`,
  );
  return `${lines.join("\n")}\n`;
}
