import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AdapterMedium } from "@x/l2-core";
import { fileRoundTrip } from "./baseline-file.js";
import { LoopbackPeer } from "./baseline-tcp.js";
import type { BenchOptions } from "./bench-options.js";
import { gbPerSecond, median } from "./stats.js";

/** What one side of a comparison did in one round. */
export interface BaselineRound {
  writeSeconds: number;
  readSeconds: number;
}

/** The baseline of one medium, run one round at a time between the adapter's rounds. */
export interface MediumBaseline {
  readonly medium: AdapterMedium;
  readonly writeName: string;
  readonly readName: string;
  /** Where the file baseline writes, else null. */
  readonly dir: string | null;
  round(index: number): Promise<BaselineRound>;
  stop(): Promise<void>;
}

/** Where the file baseline writes: beside the adapter's files when it has a base_path, else the temp dir. */
function baselineDir(config: Record<string, unknown>): string {
  const base = typeof config.base_path === "string" ? resolve(config.base_path) : tmpdir();
  return join(base, `.x-l2-baseline-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Writes dirty pages back (untimed) before a write pass, as packages/fs/bench does, so no write pass
 * pays for the previous one's writeback. Only where a `sync` command exists.
 */
export function flushPageCache(): void {
  if (process.platform !== "win32") spawnSync("sync", { stdio: "ignore" });
}

/**
 * The baseline for `medium`, doing per round exactly the adapter's work of one round: `numKeys` chunks
 * of `chunkSize` written (memcpy / temp file + rename / loopback TCP PUT) and read back (memcpy / read
 * into a reused buffer / TCP GET), with the bench's buffers, batch and in-flight count.
 */
export async function startMediumBaseline(
  medium: AdapterMedium,
  options: BenchOptions,
  config: Record<string, unknown>,
  buffers: { sources: readonly Buffer[]; targets: readonly Buffer[] },
): Promise<MediumBaseline> {
  const { sources, targets } = buffers;
  const count = options.numKeys;
  if (medium === "file") {
    const dir = baselineDir(config);
    return {
      medium,
      writeName: "file write tmp + rename",
      readName: "file read into reused buffer",
      dir,
      round: (index) =>
        fileRoundTrip(
          `${dir}-${index}`,
          sources,
          targets,
          count,
          Math.min(64, options.batch * options.inFlight),
          flushPageCache,
        ),
      stop: async () => {},
    };
  }
  if (medium === "network") {
    const peer = await LoopbackPeer.start(options.chunkSize, options.inFlight);
    return {
      medium,
      writeName: "tcp loopback put (2 processes)",
      readName: "tcp loopback get (2 processes)",
      dir: null,
      round: () => peer.measure(sources, targets, count, options.batch),
      stop: () => peer.stop(),
    };
  }
  const copy = (from: readonly Buffer[], to: readonly Buffer[]) => {
    const started = performance.now();
    for (let i = 0; i < count; i++) from[i]!.copy(to[i]!, 0);
    return (performance.now() - started) / 1000;
  };
  return {
    medium,
    writeName: "memcpy into reused buffer",
    readName: "memcpy into reused buffer",
    dir: null,
    round: async () => ({ writeSeconds: copy(sources, targets), readSeconds: copy(targets, sources) }),
    stop: async () => {},
  };
}

/** One direction of the comparison, as reported. */
export interface BaselineComparison {
  baseline: string;
  baseline_gb_per_s: number;
  /** Adapter GB/s over baseline GB/s, both medians over the same rounds. */
  ratio: number;
  adapter_bytes_per_round: number;
  baseline_bytes_per_round: number;
}

export interface BaselineReport {
  medium: AdapterMedium;
  /** False when the adapter type's package declares no `x-l2.media`: memory is assumed. */
  medium_declared: boolean;
  rounds: number;
  /** Baseline before the adapter in even rounds, after it in odd ones (B A A B ...). */
  order: "interleaved";
  /** Dirty pages written back (untimed) before every write pass of either side. */
  flushed_before_writes: boolean;
  file_dir: string | null;
  store: BaselineComparison;
  load: BaselineComparison;
}

export function baselineReport(
  baseline: MediumBaseline,
  declared: boolean,
  rounds: readonly BaselineRound[],
  bytesPerRound: number,
  adapter: { storeGbPerS: number; loadGbPerS: number },
  flushed: boolean,
): BaselineReport {
  const write = median(rounds.map((r) => gbPerSecond(bytesPerRound, r.writeSeconds)));
  const read = median(rounds.map((r) => gbPerSecond(bytesPerRound, r.readSeconds)));
  const side = (name: string, baselineGbPerS: number, adapterGbPerS: number): BaselineComparison => ({
    baseline: name,
    baseline_gb_per_s: baselineGbPerS,
    ratio: adapterGbPerS / baselineGbPerS,
    adapter_bytes_per_round: bytesPerRound,
    baseline_bytes_per_round: bytesPerRound,
  });
  return {
    medium: baseline.medium,
    medium_declared: declared,
    rounds: rounds.length,
    order: "interleaved",
    flushed_before_writes: flushed,
    file_dir: baseline.dir,
    store: side(baseline.writeName, write, adapter.storeGbPerS),
    load: side(baseline.readName, read, adapter.loadGbPerS),
  };
}
