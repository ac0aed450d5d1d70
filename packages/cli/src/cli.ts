import { createRequire } from "node:module";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DEFAULT_BENCH_OPTIONS } from "./bench/bench-options.js";
import { DEFAULT_FS_CONFIG, DEFAULT_MOCK_CONFIG } from "./bench/default-adapter.js";
import { formatSize, parseSize } from "./bench/size.js";
import { createCliRegistry } from "./cli-registry.js";
import { benchCommand } from "./commands/bench.js";
import { checkCommand } from "./commands/check.js";
import { describeCommand } from "./commands/describe.js";
import { typesCommand } from "./commands/types.js";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

function integer(min: number, name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be a whole number >= ${min}.`);
    }
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError("must be a number from 0 to 1, e.g. 0.5.");
  }
  return n;
}

function size(value: string): number {
  try {
    return parseSize(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

interface GlobalOptions {
  root?: string;
  allowModulePaths?: boolean;
}

/** Builds the `x-l2` program; each action stores its exit status in `status.code`. */
function buildProgram(status: { code: number }): Command {
  const program = new Command("x-l2")
    .description("List, describe, check and benchmark x-l2 L2 storage adapters")
    .version(version)
    .option("--root <dir>", "application root whose package.json lists the installed adapters", process.cwd())
    .option(
      "--allow-module-paths",
      "let the plugin type load a file path or URL in module_path (runs that code)",
      false,
    )
    .showSuggestionAfterError()
    .exitOverride();

  const registryFor = (command: Command) => {
    const globals = command.optsWithGlobals() as GlobalOptions;
    return createCliRegistry(globals.root, { allowModulePaths: globals.allowModulePaths === true });
  };

  program
    .command("types")
    .description("adapter types this application can use, with package, version and any known problem")
    .option("--json", "machine-readable output", false)
    .action(async (options: { json: boolean }, command: Command) => {
      status.code = await typesCommand(registryFor(command), options);
    });

  program
    .command("describe")
    .description("an adapter type's config fields (type, default, required or optional)")
    .argument("<type>", "adapter type, e.g. mock, fs")
    .option("--json-schema", "print the config's JSON Schema instead", false)
    .action(async (type: string, options: { jsonSchema: boolean }, command: Command) => {
      status.code = await describeCommand(registryFor(command), type, options);
    });

  program
    .command("check")
    .description(
      "parse --l2-adapter options as a server would, import each type's package (a plugin's module and export) and print the normalized configs",
    )
    .option(
      "--l2-adapter <json>",
      "adapter config as JSON; repeat for several (order is priority)",
      collect,
      [],
    )
    .option("--create", "also create each adapter, print its status() and close it", false)
    .action(async (options: { l2Adapter: string[]; create: boolean }, command: Command) => {
      status.code = await checkCommand(registryFor(command), options.l2Adapter, { create: options.create });
    });

  const d = DEFAULT_BENCH_OPTIONS;
  program
    .command("bench")
    .description("store / lookup / load / delete rounds against one adapter, verifying every loaded byte")
    .addOption(
      new Option("--l2-adapter <json>", "adapter config as JSON")
        .argParser(collect)
        .default([], "embedded default"),
    )
    .addHelpText(
      "after",
      `\nWithout --l2-adapter: ${JSON.stringify(DEFAULT_FS_CONFIG)} when the fs adapter is installed, else ${JSON.stringify(DEFAULT_MOCK_CONFIG)}.`,
    )
    .option("--num-keys <n>", "chunks stored per round", integer(1, "--num-keys"), d.numKeys)
    .addOption(
      new Option("--chunk-size <size>", "bytes per chunk: 65536, 64KiB, 1MiB, 4MiB ...")
        .argParser(size)
        .default(d.chunkSize, formatSize(d.chunkSize)),
    )
    .option("--batch <n>", "keys per adapter call", integer(1, "--batch"), d.batch)
    .option("--in-flight <n>", "adapter calls pending at once", integer(1, "--in-flight"), d.inFlight)
    .option(
      "--lookup-max-hit-rate <r>",
      "fraction (0..1) of each lookup batch that exists",
      fraction,
      d.lookupMaxHitRate,
    )
    .option("--rounds <n>", "rounds (each stores fresh keys)", integer(1, "--rounds"), d.rounds)
    .option("--no-verify", "skip checking every loaded byte")
    .option("--json", "machine-readable report on stdout", false)
    .option(
      "--baseline",
      "also run the same work on the adapter's medium without an adapter (memcpy, files or loopback TCP), interleaved with its rounds, and print ratios",
      false,
    )
    .action(async (options: Parameters<typeof benchCommand>[1], command: Command) => {
      status.code = await benchCommand(registryFor(command), options);
    });

  return program;
}

/** Runs the command line (argv without node and script); returns the exit status. */
export async function runCli(args: readonly string[]): Promise<number> {
  const status = { code: EXIT_OK };
  const program = buildProgram(status);
  try {
    await program.parseAsync([...args], { from: "user" });
    return status.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version asked for: success. Everything else commander rejects is a usage error,
      // already explained on stderr by commander.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT_OK;
      return EXIT_USAGE;
    }
    throw error;
  }
}
