import type { L2AdapterTypeDefinition } from "../adapter-type.js";
import type { L2AdapterConfigBase } from "../config/config-base.js";
import { L2Error } from "../errors.js";
import { parseErrorAt } from "./registry-errors.js";

type GetType = (type: string) => Promise<L2AdapterTypeDefinition<any>>;

function safeHelp(definition: L2AdapterTypeDefinition<any>): string | undefined {
  try {
    return definition.configClass.help();
  } catch {
    return undefined;
  }
}

/** Parses one adapter config dict (already JSON-decoded) with its type's config class. */
export async function parseAdapterConfig(
  getType: GetType,
  dict: unknown,
  position?: number,
): Promise<L2AdapterConfigBase> {
  const where = position === undefined ? "adapter config" : `--l2-adapter #${position}`;
  if (typeof dict !== "object" || dict === null || Array.isArray(dict)) {
    throw new L2Error("CONFIG_INVALID", `${where}: expected a JSON object like {"type":"fs",...}`, {
      position,
    });
  }
  const type = (dict as Record<string, unknown>).type;
  if (typeof type !== "string" || type.length === 0) {
    throw new L2Error("CONFIG_INVALID", `${where}: missing "type" field (a string naming the adapter type)`, {
      position,
      field: "type",
    });
  }
  let definition: L2AdapterTypeDefinition<any>;
  try {
    definition = await getType(type);
  } catch (error) {
    throw parseErrorAt(error, where, type, position);
  }
  let config: L2AdapterConfigBase;
  try {
    config = definition.configClass.fromDict(dict);
  } catch (error) {
    throw parseErrorAt(error, `${where} (${type})`, type, position, safeHelp(definition));
  }
  if (typeof config !== "object" || config === null || config.type !== type) {
    throw new L2Error(
      "ADAPTER_INVALID",
      `${where} (${type}): the config class returned an object without type "${type}"`,
      { adapterType: type, position },
    );
  }
  return config;
}

/** The repeatable `--l2-adapter '<json>'` option: order kept (it is the priority), types may repeat. */
export async function parseAdapterArgs(
  getType: GetType,
  args: readonly string[],
): Promise<L2AdapterConfigBase[]> {
  if (!Array.isArray(args)) {
    throw new L2Error("ARGUMENT_INVALID", "parseL2AdapterArgs needs an array of JSON strings");
  }
  const configs: L2AdapterConfigBase[] = [];
  for (const [i, arg] of args.entries()) {
    const position = i + 1;
    let dict: unknown;
    try {
      if (typeof arg !== "string") throw new Error(`expected a string, got ${typeof arg}`);
      dict = JSON.parse(arg);
    } catch (error) {
      throw new L2Error(
        "CONFIG_INVALID",
        `--l2-adapter #${position}: invalid JSON: ${(error as Error).message}`,
        {
          position,
          cause: error,
          hint: `pass a JSON object, for example --l2-adapter '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}'`,
        },
      );
    }
    configs.push(await parseAdapterConfig(getType, dict, position));
  }
  return configs;
}
