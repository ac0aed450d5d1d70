import {
  type AdapterMedium,
  createConsoleLogger,
  isL2Error,
  type L2Adapter,
  type L2AdapterRegistry,
  L2Error,
} from "@x/l2-core";
import {
  type BaselineRound,
  baselineReport,
  flushPageCache,
  type MediumBaseline,
  startMediumBaseline,
} from "../bench/baseline.js";
import { type BenchOptions, MAX_BENCH_MEMORY_BYTES } from "../bench/bench-options.js";
import { type ChosenConfig, chooseDefaultConfig } from "../bench/default-adapter.js";
import { createProgressHooks } from "../bench/progress.js";
import { type BenchReport, formatBenchReport, optionsJson } from "../bench/report.js";
import { allocateBenchBuffers, BenchInterruptedError, runAdapterBench } from "../bench/run-adapter-bench.js";
import { formatSize } from "../bench/size.js";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { formatError } from "../format-error.js";

export interface BenchCommandOptions extends BenchOptions {
  l2Adapter: string[];
  json: boolean;
  baseline: boolean;
}

/**
 * A creation failure caused by what the user asked for (a plugin module not allowed, missing or not an
 * adapter; params rejected; a package not installed) rather than by the run: exit 2, like a parse error.
 */
function isConfigurationError(error: unknown): boolean {
  const code: string = isL2Error(error) ? error.code : "";
  return (
    code.startsWith("PLUGIN_") ||
    code === "CONFIG_INVALID" ||
    code === "ARGUMENT_INVALID" ||
    (code.startsWith("ADAPTER_") && code !== "ADAPTER_CLOSED")
  );
}

async function chooseConfig(registry: L2AdapterRegistry, adapters: readonly string[]): Promise<ChosenConfig> {
  if (adapters.length === 0) return chooseDefaultConfig(registry);
  if (adapters.length > 1) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `x-l2 bench measures one adapter at a time; got ${adapters.length} --l2-adapter options (run it once per adapter)`,
      { field: "--l2-adapter" },
    );
  }
  const [config] = await registry.parseArgs(adapters);
  return { config: config!, source: "argument" };
}

/**
 * `x-l2 bench`: store/lookup/load/delete rounds against one adapter, byte verification, optional
 * same-run machine baselines. Exit 0 when every operation did what it should, 1 when not, 2 when the
 * command line or config was wrong.
 */
export async function benchCommand(
  registry: L2AdapterRegistry,
  options: BenchCommandOptions,
): Promise<number> {
  const memory = 2 * options.numKeys * options.chunkSize;
  if (memory > MAX_BENCH_MEMORY_BYTES) {
    process.stderr.write(
      formatError(
        new L2Error(
          "ARGUMENT_INVALID",
          `--num-keys x --chunk-size needs ${formatSize(memory)} of buffers (one source and one target per key), more than the ${formatSize(MAX_BENCH_MEMORY_BYTES)} limit; lower --num-keys or --chunk-size`,
          { field: "--num-keys" },
        ),
      ),
    );
    return EXIT_USAGE;
  }
  let chosen: ChosenConfig;
  try {
    chosen = await chooseConfig(registry, options.l2Adapter);
  } catch (error) {
    process.stderr.write(formatError(error));
    return EXIT_USAGE;
  }
  const configDict = chosen.config.toDict();
  const say = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };

  let adapter: L2Adapter;
  try {
    adapter = await registry.create(chosen.config, { logger: createConsoleLogger(chosen.config.type) });
  } catch (error) {
    process.stderr.write(formatError(error));
    return isConfigurationError(error) ? EXIT_USAGE : EXIT_FAILURE;
  }
  // The adapter and its config are named once, in the report; stderr only says the run started.
  say("x-l2 bench: running (Ctrl-C stops it and deletes this round's keys)");
  const buffers = allocateBenchBuffers(options.numKeys, options.chunkSize);
  let medium: AdapterMedium = "memory";
  let declared = false;
  let baseline: MediumBaseline | undefined;
  const baselineRounds: BaselineRound[] = [];
  if (options.baseline) {
    const info = (await registry.list()).find((entry) => entry.type === chosen.config.type);
    declared = info?.medium !== undefined;
    medium = info?.medium ?? "memory";
    try {
      baseline = await startMediumBaseline(medium, options, configDict, buffers);
    } catch (error) {
      await adapter.close().catch(() => {});
      process.stderr.write(formatError(error));
      return EXIT_FAILURE;
    }
  }
  // Same work, interleaved: one baseline round per adapter round, before it in even rounds and after it in
  // odd ones, so load from other processes and page-cache writeback hit both sides alike.
  const flush = baseline?.medium === "file";
  const runBaseline = async (round: number) => {
    if (baseline) baselineRounds.push(await baseline.round(round));
  };
  const progress = createProgressHooks(!options.json);
  // Ctrl-C: finish the pending calls, delete this round's keys, close the adapter, exit 130.
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once("SIGINT", onSigint);
  let result: Awaited<ReturnType<typeof runAdapterBench>>;
  try {
    result = await runAdapterBench(adapter, options, buffers, {
      ...progress.hooks,
      signal: interrupt.signal,
      beforeRound: (round) => (round % 2 === 0 ? runBaseline(round) : Promise.resolve()),
      afterRound: (round) => (round % 2 === 1 ? runBaseline(round) : Promise.resolve()),
      ...(flush ? { beforeStore: flushPageCache } : {}),
    });
  } catch (error) {
    progress.stop();
    await adapter.close().catch(() => {});
    await baseline?.stop().catch(() => {});
    if (error instanceof BenchInterruptedError) {
      process.stderr.write(
        `x-l2 bench: interrupted; this round's keys were deleted and the adapter closed\n`,
      );
      return EXIT_INTERRUPTED;
    }
    process.stderr.write(formatError(error));
    return EXIT_FAILURE;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  progress.stop();
  await adapter.close();
  await baseline?.stop();

  const baselineJson: BenchReport["baseline"] = baseline
    ? baselineReport(
        baseline,
        declared,
        baselineRounds,
        options.numKeys * options.chunkSize,
        { storeGbPerS: result.operations.store.gb_per_s, loadGbPerS: result.operations.load.gb_per_s },
        flush,
      )
    : null;

  const report: BenchReport = {
    adapter: {
      type: chosen.config.type,
      config: configDict,
      source: chosen.source,
      fallback_reason: chosen.fallbackReason ?? null,
    },
    options: optionsJson(options),
    operations: result.operations,
    lookup: result.lookup,
    problems: result.problems,
    verification: result.verification,
    baseline: baselineJson,
    ok: result.ok,
  };
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatBenchReport(report));
  return result.ok ? EXIT_OK : EXIT_FAILURE;
}
