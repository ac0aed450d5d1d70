import type { CliRegistry } from "../cli-registry.js";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { formatError } from "../format-error.js";

/**
 * `x-l2 check --l2-adapter '<json>' ...`: parses exactly as a server would (registry.parseArgs, order
 * kept) and prints the normalized configs; a bad one prints its positional error and the type's help.
 */
export async function checkCommand(cli: CliRegistry, adapters: readonly string[]): Promise<number> {
  if (adapters.length === 0) {
    process.stderr.write(
      `error [ARGUMENT_INVALID]: x-l2 check needs at least one --l2-adapter '<json>', for example --l2-adapter '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}'\n`,
    );
    return EXIT_USAGE;
  }
  try {
    const configs = await cli.registry.parseArgs(adapters);
    process.stdout.write(
      `${JSON.stringify(
        configs.map((config) => config.toDict()),
        null,
        2,
      )}\n`,
    );
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(formatError(error));
    return EXIT_USAGE;
  }
}
