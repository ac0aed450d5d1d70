import { type L2Adapter, type L2AdapterRegistry, L2Error, silentLogger } from "@x/l2-core";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { formatError } from "../format-error.js";

/** A failure of one `--l2-adapter`, prefixed with its position (as parse errors already are). */
function at(position: number, type: string, error: unknown): unknown {
  if (!(error instanceof L2Error) || error.message.startsWith("--l2-adapter #")) return error;
  return new L2Error(error.code, `--l2-adapter #${position} (${type}): ${error.message}`, {
    adapterType: error.adapterType ?? type,
    field: error.field,
    position,
    hint: error.hint,
    help: error.help,
    cause: error,
  });
}

/**
 * `x-l2 check --l2-adapter '<json>' ...`: what a server would meet. Parses exactly as a server does
 * (registry.parseArgs, order kept), imports each type's package and, for a plugin, its module and export
 * with adapter_params parsed; with `--create` also creates each adapter, prints its status() and closes
 * it. Prints the normalized configs (and statuses) as JSON; any failure is exit 2 with the typed error.
 */
export async function checkCommand(
  registry: L2AdapterRegistry,
  adapters: readonly string[],
  options: { create?: boolean } = {},
): Promise<number> {
  if (adapters.length === 0) {
    process.stderr.write(
      `error [ARGUMENT_INVALID]: x-l2 check needs at least one --l2-adapter '<json>', for example --l2-adapter '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}'\n`,
    );
    return EXIT_USAGE;
  }
  try {
    const configs = await registry.parseArgs(adapters);
    for (const [i, config] of configs.entries()) {
      await registry.resolve(config).catch((error: unknown) => {
        throw at(i + 1, config.type, error);
      });
    }
    if (!options.create) {
      process.stdout.write(
        `${JSON.stringify(
          configs.map((config) => config.toDict()),
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    const results: { config: Record<string, unknown>; status: unknown }[] = [];
    for (const [i, config] of configs.entries()) {
      let adapter: L2Adapter;
      try {
        adapter = await registry.create(config, { logger: silentLogger });
      } catch (error) {
        throw at(i + 1, config.type, error);
      }
      try {
        results.push({ config: config.toDict(), status: await adapter.status() });
      } catch (error) {
        throw at(i + 1, config.type, error);
      } finally {
        await adapter.close();
      }
    }
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(formatError(error));
    return EXIT_USAGE;
  }
}
