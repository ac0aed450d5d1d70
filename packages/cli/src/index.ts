export {
  adapterKind,
  type BaselineFigures,
  type BaselineRatios,
  baselineRatios,
  measureBaselines,
} from "./bench/baseline.js";
export { measureFileRoundTrip } from "./bench/baseline-file.js";
export { measureMemcpy } from "./bench/baseline-memcpy.js";
export { LoopbackPeer } from "./bench/baseline-tcp.js";
export { type BenchOptions, DEFAULT_BENCH_OPTIONS } from "./bench/bench-options.js";
export { DEFAULT_FS_CONFIG, DEFAULT_MOCK_CONFIG } from "./bench/default-adapter.js";
export type { BenchOperation, OpSummary } from "./bench/op-stats.js";
export {
  createPatternScratch,
  fillPattern,
  PATTERN_PERIOD,
  patternSeed,
  verifyPattern,
} from "./bench/pattern.js";
export type { BenchReport } from "./bench/report.js";
export {
  type AdapterBenchResult,
  allocateBenchBuffers,
  BenchInterruptedError,
  runAdapterBench,
} from "./bench/run-adapter-bench.js";
export { formatSize, parseSize } from "./bench/size.js";
export { buildProgram, runCli } from "./cli.js";
export { createCliRegistry } from "./cli-registry.js";
export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
