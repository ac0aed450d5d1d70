import { createConsoleLogger, type L2AdapterRegistry, L2Error } from "@x/l2-core";
import { MAX_BENCH_MEMORY_BYTES } from "../bench/bench-options.js";
import { isConfigurationError } from "../bench/configuration-error.js";
import { type ChosenConfig, chooseDefaultConfig } from "../bench/default-adapter.js";
import { createRequestProgress } from "../bench/progress.js";
import { formatSize } from "../bench/size.js";
import { TIERED_WORKLOAD_SHAPE, type TieredBenchOptions } from "../bench/tiered-options.js";
import { formatTieredReport, tieredReport } from "../bench/tiered-report.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { formatError } from "../format-error.js";

export interface TieredBenchCommandOptions extends TieredBenchOptions {
  l2Adapter: string[];
  json: boolean;
}

function usage(message: string, field: string): L2Error {
  return new L2Error("ARGUMENT_INVALID", message, { field });
}

/**
 * `x-l2 bench --tiered`: a prefix-sharing request workload through a StorageManager (L1 + the
 * --l2-adapter list in priority order). Exit 0 when every chunk read back had its bytes, 1 when not or
 * when the run failed, 2 when the command line or a config was wrong.
 */
export async function benchTieredCommand(
  registry: L2AdapterRegistry,
  options: TieredBenchCommandOptions,
): Promise<number> {
  if (options.l1Size > MAX_BENCH_MEMORY_BYTES) {
    process.stderr.write(
      formatError(
        usage(
          `--l1-size ${formatSize(options.l1Size)} is more than the ${formatSize(MAX_BENCH_MEMORY_BYTES)} limit; lower --l1-size`,
          "--l1-size",
        ),
      ),
    );
    return EXIT_USAGE;
  }
  if (options.chunkSize > options.l1Size) {
    process.stderr.write(
      formatError(
        usage(
          `--l1-size ${formatSize(options.l1Size)} cannot hold one ${formatSize(options.chunkSize)} chunk; raise --l1-size or lower --chunk-size`,
          "--l1-size",
        ),
      ),
    );
    return EXIT_USAGE;
  }
  // Loaded only here, so `x-l2 types` and the classic bench never pay for the storage tier.
  const storage = await import("@x/l2-storage");
  if (!(storage.STORE_POLICIES as readonly string[]).includes(options.storePolicy)) {
    process.stderr.write(
      formatError(
        usage(
          `--store-policy: unknown policy ${JSON.stringify(options.storePolicy)}; use one of ${storage.STORE_POLICIES.join(", ")}`,
          "--store-policy",
        ),
      ),
    );
    return EXIT_USAGE;
  }
  let chosen: { configs: ChosenConfig["config"][]; source: ChosenConfig["source"]; fallbackReason?: string };
  try {
    if (options.l2Adapter.length === 0) {
      const fallback = await chooseDefaultConfig(registry);
      chosen = { configs: [fallback.config], source: "default", ...pickReason(fallback) };
    } else {
      chosen = { configs: await registry.parseArgs(options.l2Adapter), source: "argument" };
    }
  } catch (error) {
    process.stderr.write(formatError(error));
    return EXIT_USAGE;
  }
  if (!options.json) process.stderr.write("x-l2 bench --tiered: running\n");
  const progress = createRequestProgress(!options.json);
  let result: Awaited<ReturnType<typeof storage.runTieredWorkload>>;
  try {
    result = await storage.runTieredWorkload({
      l1SizeBytes: options.l1Size,
      l2: chosen.configs,
      chunkSizeBytes: options.chunkSize,
      requests: options.requests,
      storePolicy: options.storePolicy as (typeof storage.STORE_POLICIES)[number],
      prefetchLoadTimeoutMs: options.prefetchTimeoutMs,
      ...TIERED_WORKLOAD_SHAPE,
      registry,
      logger: createConsoleLogger("storage"),
      onProgress: progress.onProgress,
    });
  } catch (error) {
    progress.stop();
    process.stderr.write(formatError(error));
    return isConfigurationError(error) ? EXIT_USAGE : EXIT_FAILURE;
  }
  progress.stop();
  const report = tieredReport(
    options,
    chosen.configs.map((config) => config.toDict()),
    chosen,
    result,
  );
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatTieredReport(report));
  return report.ok ? EXIT_OK : EXIT_FAILURE;
}

function pickReason(chosen: ChosenConfig): { fallbackReason?: string } {
  return chosen.fallbackReason === undefined ? {} : { fallbackReason: chosen.fallbackReason };
}
