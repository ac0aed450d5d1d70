import { formatTable } from "../text-table.js";
import type { BaselineReport } from "./baseline.js";
import type { BenchOptions } from "./bench-options.js";
import { BENCH_OPERATIONS, type BenchOperation, type OpSummary } from "./op-stats.js";
import type { AdapterBenchResult } from "./run-adapter-bench.js";
import { formatSize } from "./size.js";

/** The whole `x-l2 bench --json` document. */
export interface BenchReport {
  adapter: {
    type: string;
    config: Record<string, unknown>;
    source: "argument" | "default";
    fallback_reason: string | null;
  };
  options: {
    num_keys: number;
    chunk_size: number;
    batch: number;
    in_flight: number;
    lookup_max_hit_rate: number;
    rounds: number;
    verify: boolean;
  };
  operations: Record<BenchOperation, OpSummary>;
  lookup: AdapterBenchResult["lookup"];
  problems: AdapterBenchResult["problems"];
  verification: AdapterBenchResult["verification"];
  baseline: BaselineReport | null;
  ok: boolean;
}

export function optionsJson(options: BenchOptions): BenchReport["options"] {
  return {
    num_keys: options.numKeys,
    chunk_size: options.chunkSize,
    batch: options.batch,
    in_flight: options.inFlight,
    lookup_max_hit_rate: options.lookupMaxHitRate,
    rounds: options.rounds,
    verify: options.verify,
  };
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const gb = (value: number) => (Number.isFinite(value) ? value.toFixed(value >= 10 ? 1 : 2) : "-");
const rate = (value: number) => (Number.isFinite(value) ? Math.round(value).toString() : "-");

/** The human summary printed after a bench run. */
export function formatBenchReport(report: BenchReport): string {
  const o = report.options;
  const lines: string[] = [];
  lines.push(
    `adapter: ${report.adapter.type} ${JSON.stringify(report.adapter.config)}${report.adapter.source === "default" ? " (embedded default)" : ""}`,
  );
  if (report.adapter.fallback_reason)
    lines.push(`  using the mock adapter: ${report.adapter.fallback_reason}`);
  lines.push(
    `${o.num_keys} keys x ${formatSize(o.chunk_size)}, batch ${o.batch}, in-flight ${o.in_flight}, lookup hit rate <= ${o.lookup_max_hit_rate}, ${o.rounds} round(s), verify ${o.verify ? "on" : "off"}`,
  );
  lines.push("");
  const ratioFor = (op: BenchOperation) => {
    if (op === "store") return report.baseline?.store;
    if (op === "load") return report.baseline?.load;
    return undefined;
  };
  const header = ["op", "calls", "keys", "GB/s", "calls/s", "keys/s", "p50 ms", "p99 ms"];
  if (report.baseline) header.push("x baseline");
  const rows = BENCH_OPERATIONS.map((op) => {
    const s = report.operations[op];
    const row = [
      op,
      String(s.calls),
      String(s.keys),
      gb(s.gb_per_s),
      rate(s.calls_per_s),
      rate(s.keys_per_s),
      fixed(s.p50_ms, 3),
      fixed(s.p99_ms, 3),
    ];
    if (report.baseline) {
      const ratio = ratioFor(op);
      row.push(ratio ? fixed(ratio.ratio, 2) : "-");
    }
    return row;
  });
  lines.push(formatTable(header, rows).trimEnd());
  lines.push("GB/s, calls/s and keys/s: median over rounds of each phase; p50/p99: over every call.");
  lines.push(
    `lookup: ${report.lookup.hits}/${report.lookup.keys_asked} keys hit (${report.lookup.hits_expected} expected)`,
  );
  const v = report.verification;
  lines.push(
    v.enabled
      ? `verification: ${v.ok ? "ok" : "FAILED"}: ${v.checked_keys - v.mismatched_keys - v.missed_keys}/${v.checked_keys} keys intact (${v.bytes_verified} bytes checked), ${v.mismatched_keys} corrupted, ${v.missed_keys} missing`
      : "verification: off (--no-verify)",
  );
  const p = report.problems;
  const issues = Object.entries(p).filter(([, count]) => count > 0);
  if (issues.length > 0)
    lines.push(`problems: ${issues.map(([name, count]) => `${name}=${count}`).join(", ")}`);
  if (report.baseline) {
    const b = report.baseline;
    lines.push("");
    lines.push(
      `baseline: ${b.medium} medium${b.medium_declared ? "" : " (the type declares no x-l2.media; memory assumed)"}, the same work as the adapter, one round between each of its ${b.rounds} rounds (B A A B ...), medians over rounds${b.flushed_before_writes ? "; dirty pages written back before every write pass" : ""}:`,
    );
    lines.push(
      formatTable(
        ["op", "adapter bytes/round", "baseline", "baseline bytes/round", "baseline GB/s", "ratio"],
        (["store", "load"] as const).map((op) => {
          const c = b[op];
          return [
            op,
            formatSize(c.adapter_bytes_per_round),
            c.baseline,
            formatSize(c.baseline_bytes_per_round),
            gb(c.baseline_gb_per_s),
            fixed(c.ratio, 2),
          ];
        }),
      ).trimEnd(),
    );
    if (b.file_dir) lines.push(`file baseline directory: ${b.file_dir}-<round> (removed)`);
  }
  lines.push(report.ok ? "result: ok" : "result: FAILED");
  return `${lines.join("\n")}\n`;
}
