// The helpers every bench in the repository shares (x-l2 bench, packages/fs/bench, packages/pd/bench), so
// "median", "in flight" and "16m" mean the same everywhere. Plain functions, no dependency but core.
export { formatSize, parseSize } from "./bench/size.js";
export { gbPerSecond, median, percentile, runPool } from "./bench/stats.js";
