import type { L2AdapterRegistry } from "@x/l2-core";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { formatError } from "../format-error.js";

/** `x-l2 describe <type>`: the type's help text, or its JSON Schema with --json-schema. */
export async function describeCommand(
  registry: L2AdapterRegistry,
  type: string,
  options: { jsonSchema?: boolean },
): Promise<number> {
  try {
    if (options.jsonSchema) {
      const schema = await registry.jsonSchema(type);
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    } else {
      const help = await registry.describe(type);
      process.stdout.write(help.endsWith("\n") ? help : `${help}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    process.stderr.write(formatError(error));
    return EXIT_USAGE;
  }
}
