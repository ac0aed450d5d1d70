import { Counter, Gauge, Histogram, Registry } from "prom-client";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label set of one adapter: its id (stable index), so two adapters of one type never collide. */
export interface AdapterLabels {
  readonly adapter: string;
  readonly type: string;
}

/** Every metric of one manager, in its own prom-client registry (never the global one). */
export class StorageMetrics {
  readonly registry = new Registry();
  readonly l2Hits: Counter<"adapter" | "type">;
  readonly l2Misses: Counter<"adapter" | "type">;
  readonly l2BytesStored: Counter<"adapter" | "type">;
  readonly l2BytesLoaded: Counter<"adapter" | "type">;
  readonly l2StoreSeconds: Histogram<"adapter" | "type">;
  readonly l2LoadSeconds: Histogram<"adapter" | "type">;
  readonly l2Evictions: Counter<"adapter" | "type">;
  readonly l2Failures: Counter<"adapter" | "type" | "op">;
  readonly l2SkippedUnhealthy: Counter<"adapter" | "type" | "op">;
  readonly l2QuotaRefused: Counter<"adapter" | "type">;
  readonly l2Demotions: Counter<"adapter" | "type">;
  readonly l2Promotions: Counter<"adapter" | "type">;
  readonly l1Hits: Counter;
  readonly l1Misses: Counter;
  readonly l1Evictions: Counter;
  readonly l1PutRejected: Counter;
  readonly prefetchRequests: Counter;
  readonly prefetchL1Hits: Counter;
  readonly prefetchDeadlineHits: Counter;
  readonly prefetchSeconds: Histogram;

  constructor(l1: () => { usedBytes: number; capacityBytes: number; objects: number }) {
    const r = [this.registry];
    const adapterLabels = ["adapter", "type"] as const;
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers: r });
    this.l2Hits = counter("x_l2_l2_hits_total", "keys an L2 adapter served to a prefetch", adapterLabels);
    this.l2Misses = counter(
      "x_l2_l2_misses_total",
      "keys a prefetch looked up in an L2 adapter and it lacked",
      adapterLabels,
    );
    this.l2BytesStored = counter(
      "x_l2_l2_stored_bytes_total",
      "bytes stored to an L2 adapter",
      adapterLabels,
    );
    this.l2BytesLoaded = counter(
      "x_l2_l2_loaded_bytes_total",
      "bytes loaded from an L2 adapter",
      adapterLabels,
    );
    this.l2StoreSeconds = new Histogram({
      name: "x_l2_l2_store_seconds",
      help: "duration of one store batch to an L2 adapter",
      labelNames: adapterLabels,
      buckets: LATENCY_BUCKETS,
      registers: r,
    });
    this.l2LoadSeconds = new Histogram({
      name: "x_l2_l2_load_seconds",
      help: "duration of one load batch from an L2 adapter",
      labelNames: adapterLabels,
      buckets: LATENCY_BUCKETS,
      registers: r,
    });
    this.l2Evictions = counter(
      "x_l2_l2_evictions_total",
      "keys an L2 adapter deleted (eviction)",
      adapterLabels,
    );
    this.l2Failures = counter("x_l2_l2_failures_total", "failed L2 calls, by operation", [
      ...adapterLabels,
      "op",
    ]);
    this.l2SkippedUnhealthy = counter(
      "x_l2_l2_skipped_unhealthy_total",
      "calls not routed to an adapter because it was unhealthy",
      [...adapterLabels, "op"],
    );
    this.l2QuotaRefused = counter(
      "x_l2_l2_quota_refused_total",
      "keys refused at admission by a hard per-salt quota",
      adapterLabels,
    );
    this.l2Demotions = counter(
      "x_l2_l2_demotions_total",
      "keys moved from this adapter to the next one instead of being discarded (tiered)",
      adapterLabels,
    );
    this.l2Promotions = counter(
      "x_l2_l2_promotions_total",
      "keys copied up to the fastest adapter after a hit in this one (tiered)",
      adapterLabels,
    );
    this.l1Hits = counter("x_l2_l1_hits_total", "keys get found in L1", []);
    this.l1Misses = counter("x_l2_l1_misses_total", "keys get did not find in L1", []);
    this.l1Evictions = counter("x_l2_l1_evictions_total", "objects evicted from L1", []);
    this.l1PutRejected = counter("x_l2_l1_put_rejected_total", "keys a put could not place in L1", []);
    this.prefetchRequests = counter("x_l2_prefetch_requests_total", "prefetch requests", []);
    this.prefetchL1Hits = counter(
      "x_l2_prefetch_l1_hits_total",
      "keys a prefetch found already in L1 (no L2 traffic)",
      [],
    );
    this.prefetchDeadlineHits = counter(
      "x_l2_prefetch_deadline_hits_total",
      "prefetches answered at their load deadline with the prefix usable by then",
      [],
    );
    this.prefetchSeconds = new Histogram({
      name: "x_l2_prefetch_seconds",
      help: "time from prefetch() to its answer",
      buckets: LATENCY_BUCKETS,
      registers: r,
    });
    new Gauge({
      name: "x_l2_l1_used_bytes",
      help: "bytes held in L1",
      registers: r,
      collect() {
        this.set(l1().usedBytes);
      },
    });
    new Gauge({
      name: "x_l2_l1_capacity_bytes",
      help: "L1 capacity",
      registers: r,
      collect() {
        this.set(l1().capacityBytes);
      },
    });
    new Gauge({
      name: "x_l2_l1_objects",
      help: "objects held in L1",
      registers: r,
      collect() {
        this.set(l1().objects);
      },
    });
  }

  /** Prometheus text exposition format. */
  prometheusText(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface HistogramSnapshot {
  readonly count: number;
  readonly sumSeconds: number;
  /** Upper bound in seconds (`+Inf` as Infinity) -> cumulative count. */
  readonly buckets: ReadonlyArray<readonly [number, number]>;
}

export interface AdapterMetricsSnapshot {
  readonly id: number;
  readonly type: string;
  readonly hits: number;
  readonly misses: number;
  readonly bytesStored: number;
  readonly bytesLoaded: number;
  readonly storeLatency: HistogramSnapshot;
  readonly loadLatency: HistogramSnapshot;
  readonly evictions: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly skippedWhileUnhealthy: Readonly<Record<string, number>>;
  readonly quotaRefused: number;
  readonly demotions: number;
  readonly promotions: number;
}

export interface StorageMetricsSnapshot {
  readonly l1: {
    readonly capacityBytes: number;
    readonly usedBytes: number;
    readonly objects: number;
    readonly hits: number;
    readonly misses: number;
    readonly evictions: number;
    readonly putRejected: number;
  };
  readonly adapters: readonly AdapterMetricsSnapshot[];
  readonly prefetch: {
    readonly requests: number;
    /** Keys a prefetch found already in L1. */
    readonly l1Hits: number;
    readonly deadlineHits: number;
    readonly latency: HistogramSnapshot;
  };
}

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

/** Builds the JSON snapshot from the registry, grouped by adapter id. */
export async function snapshotMetrics(
  metrics: StorageMetrics,
  l1: { usedBytes: number; capacityBytes: number; objects: number },
  adapters: readonly { id: number; type: string }[],
): Promise<StorageMetricsSnapshot> {
  const all = new Map<string, Values>();
  for (const m of await metrics.registry.getMetricsAsJSON()) all.set(m.name, m.values as Values);
  const sum = (name: string, match: Record<string, string> = {}) =>
    (all.get(name) ?? [])
      .filter((v) => Object.entries(match).every(([k, want]) => String(v.labels[k]) === want))
      .reduce((acc, v) => acc + v.value, 0);
  const byOp = (name: string, adapter: string) => {
    const out: Record<string, number> = {};
    for (const v of all.get(name) ?? []) {
      if (String(v.labels.adapter) !== adapter) continue;
      const op = String(v.labels.op);
      out[op] = (out[op] ?? 0) + v.value;
    }
    return out;
  };
  const histogram = (name: string, match: Record<string, string> = {}): HistogramSnapshot => {
    const values = (all.get(name) ?? []).filter((v) =>
      Object.entries(match).every(([k, want]) => String(v.labels[k]) === want),
    );
    const buckets: [number, number][] = [];
    let count = 0;
    let sumSeconds = 0;
    for (const v of values) {
      if (v.metricName?.endsWith("_bucket")) {
        const le = v.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels.le);
        buckets.push([le, v.value]);
      } else if (v.metricName?.endsWith("_count")) count = v.value;
      else if (v.metricName?.endsWith("_sum")) sumSeconds = v.value;
    }
    return { count, sumSeconds, buckets };
  };
  return {
    l1: {
      ...l1,
      hits: sum("x_l2_l1_hits_total"),
      misses: sum("x_l2_l1_misses_total"),
      evictions: sum("x_l2_l1_evictions_total"),
      putRejected: sum("x_l2_l1_put_rejected_total"),
    },
    adapters: adapters.map(({ id, type }) => {
      const a = { adapter: String(id) };
      return {
        id,
        type,
        hits: sum("x_l2_l2_hits_total", a),
        misses: sum("x_l2_l2_misses_total", a),
        bytesStored: sum("x_l2_l2_stored_bytes_total", a),
        bytesLoaded: sum("x_l2_l2_loaded_bytes_total", a),
        storeLatency: histogram("x_l2_l2_store_seconds", a),
        loadLatency: histogram("x_l2_l2_load_seconds", a),
        evictions: sum("x_l2_l2_evictions_total", a),
        failures: byOp("x_l2_l2_failures_total", String(id)),
        skippedWhileUnhealthy: byOp("x_l2_l2_skipped_unhealthy_total", String(id)),
        quotaRefused: sum("x_l2_l2_quota_refused_total", a),
        demotions: sum("x_l2_l2_demotions_total", a),
        promotions: sum("x_l2_l2_promotions_total", a),
      };
    }),
    prefetch: {
      requests: sum("x_l2_prefetch_requests_total"),
      l1Hits: sum("x_l2_prefetch_l1_hits_total"),
      deadlineHits: sum("x_l2_prefetch_deadline_hits_total"),
      latency: histogram("x_l2_prefetch_seconds"),
    },
  };
}
