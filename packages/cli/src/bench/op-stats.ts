import { gbPerSecond, median, percentile } from "./stats.js";

export type BenchOperation = "store" | "lookup" | "load" | "delete";
export const BENCH_OPERATIONS: readonly BenchOperation[] = ["store", "lookup", "load", "delete"];

/** Measurements of one operation over all rounds. */
export class OpStats {
  calls = 0;
  keys = 0;
  bytes = 0;
  readonly latenciesMs: number[] = [];
  /** Per round: [seconds, bytes, calls, keys] of the whole phase (wall clock, all in-flight batches). */
  readonly phases: { seconds: number; bytes: number; calls: number; keys: number }[] = [];

  record(latencyMs: number, keys: number, bytes: number): void {
    this.calls += 1;
    this.keys += keys;
    this.bytes += bytes;
    this.latenciesMs.push(latencyMs);
  }

  summary(): OpSummary {
    const rate = (pick: (p: OpStats["phases"][number]) => number) =>
      median(this.phases.map((p) => (p.seconds > 0 ? pick(p) / p.seconds : Number.NaN)));
    return {
      calls: this.calls,
      keys: this.keys,
      bytes: this.bytes,
      gb_per_s: this.bytes > 0 ? median(this.phases.map((p) => gbPerSecond(p.bytes, p.seconds))) : Number.NaN,
      calls_per_s: rate((p) => p.calls),
      keys_per_s: rate((p) => p.keys),
      p50_ms: percentile(this.latenciesMs, 50),
      p99_ms: percentile(this.latenciesMs, 99),
      round_gb_per_s: this.phases.map((p) => gbPerSecond(p.bytes, p.seconds)),
    };
  }
}

/** JSON form; rates are medians over rounds, latencies are percentiles over every call of every round. */
export interface OpSummary {
  calls: number;
  keys: number;
  bytes: number;
  gb_per_s: number;
  calls_per_s: number;
  keys_per_s: number;
  p50_ms: number;
  p99_ms: number;
  round_gb_per_s: number[];
}
