import cliProgress from "cli-progress";
import type { AdapterBenchHooks } from "./run-adapter-bench.js";

/** A progress bar on stderr, only when stderr is a terminal; otherwise no hooks at all. */
export function createProgressHooks(enabled: boolean): { hooks: AdapterBenchHooks; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { hooks: {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "bench [{bar}] {percentage}% | round {round} {operation} | {value}/{total} calls",
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    hooks: {
      onStart(total) {
        bar.start(total, 0, { round: 1, operation: "store" });
        started = true;
      },
      onCall(operation, round) {
        bar.increment(1, { round: round + 1, operation });
      },
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** The same bar for `bench --tiered`, counting finished requests; no-op unless stderr is a terminal. */
export function createRequestProgress(enabled: boolean): {
  onProgress: ((done: number, total: number) => void) | undefined;
  stop(): void;
} {
  if (!enabled || !process.stderr.isTTY) return { onProgress: undefined, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "bench --tiered [{bar}] {percentage}% | {value}/{total} requests",
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
