import type { L2Adapter, L2AdapterContext } from "../adapter.js";
import { defineL2AdapterType, type L2AdapterTypeDefinition, missingAdapterMethods } from "../adapter-type.js";
import { isL2Error, L2Error } from "../errors.js";
import { silentLogger } from "../logger.js";
import { type AdapterClass, adapterClassProblem } from "./adapter-class.js";
import { loadPluginModule } from "./load-plugin-module.js";
import { PluginL2AdapterConfig } from "./plugin-config.js";
import { chooseConfigClass, describeExports, type PluginConfigClass } from "./plugin-config-class.js";

export interface PluginAdapterTypeOptions {
  /** Application root: package names in `module_path` resolve from `<root>/package.json`. */
  root: string;
  /** Accept file paths and URLs in `module_path` (they run arbitrary code named by a config string). */
  allowModulePaths?: boolean;
}

const PARAM_ERROR_CODES = new Set(["CONFIG_INVALID", "ARGUMENT_INVALID", "PLUGIN_PARAMS_INVALID"]);

/**
 * The built-in `plugin` type of one registry: loads `class_name` from `module_path`, turns
 * `adapter_params` into its config, and constructs it with `(config, context)`.
 */
export function createPluginAdapterType(
  options: PluginAdapterTypeOptions,
): L2AdapterTypeDefinition<PluginL2AdapterConfig> {
  return defineL2AdapterType({
    configClass: PluginL2AdapterConfig,
    create: (config, context) => createPluginAdapter(config, context, options),
  });
}

/** Creates the adapter a parsed `plugin` config names; every failure is an L2Error naming module and export. */
export async function createPluginAdapter(
  config: PluginL2AdapterConfig,
  context: L2AdapterContext,
  options: PluginAdapterTypeOptions,
): Promise<L2Adapter> {
  const { modulePath, className, configClassName } = config;
  const adapterParams = config.adapterParams as Record<string, unknown>;
  const logger = context.logger ?? silentLogger;
  const { moduleNamespace } = await loadPluginModule(modulePath, {
    root: options.root,
    allowModulePaths: options.allowModulePaths ?? false,
  });

  if (!Object.hasOwn(moduleNamespace, className)) {
    throw new L2Error(
      "PLUGIN_EXPORT_NOT_FOUND",
      `plugin: module "${modulePath}" has no export "${className}"; ${describeExports(moduleNamespace, className)}`,
      { adapterType: "plugin", field: "class_name" },
    );
  }
  const adapterClass = moduleNamespace[className];
  const problem = adapterClassProblem(adapterClass);
  if (problem !== undefined) {
    throw new L2Error(
      "PLUGIN_NOT_AN_ADAPTER",
      `plugin: export "${className}" of module "${modulePath}" is not an adapter class: ${problem}`,
      {
        adapterType: "plugin",
        field: "class_name",
        hint: "export a class implementing the L2Adapter methods (extend L2AdapterBase from @x/l2-core)",
      },
    );
  }

  const chosen = chooseConfigClass(
    moduleNamespace,
    adapterClass,
    { modulePath, className, configClassName },
    logger,
  );
  let adapterConfig: unknown;
  if (chosen.configClass) {
    try {
      adapterConfig = chosen.configClass.fromDict(cloneParams(adapterParams));
    } catch (error) {
      throw paramsError(error, `${chosen.source} of module "${modulePath}"`, chosen.configClass);
    }
  } else {
    adapterConfig = deepFreeze(cloneParams(adapterParams));
  }

  // Only what exists: an adapter may test `"l1MemoryDesc" in context`.
  const pluginContext: L2AdapterContext = Object.freeze({
    logger,
    typeName: context.typeName ?? "plugin",
    ...(context.l1MemoryDesc !== undefined ? { l1MemoryDesc: context.l1MemoryDesc } : {}),
    ...(context.tpRank !== undefined ? { tpRank: context.tpRank } : {}),
  });
  let adapter: unknown;
  try {
    adapter = new (adapterClass as unknown as new (c: unknown, x: L2AdapterContext) => unknown)(
      adapterConfig,
      pluginContext,
    );
  } catch (error) {
    if (isL2Error(error) && PARAM_ERROR_CODES.has(error.code)) {
      throw paramsError(error, `the constructor of "${className}" from module "${modulePath}"`);
    }
    throw new L2Error(
      isL2Error(error) ? error.code : "ADAPTER_LOAD_FAILED",
      `plugin: constructing "${className}" from module "${modulePath}" failed: ${error instanceof Error ? error.message : String(error)}`,
      { adapterType: "plugin", cause: error },
    );
  }
  const missing = missingAdapterMethods(adapter);
  if (missing.length > 0) {
    throw new L2Error(
      "PLUGIN_NOT_AN_ADAPTER",
      `plugin: "${className}" from module "${modulePath}" constructed an object without ${missing.join(", ")}`,
      { adapterType: "plugin", field: "class_name" },
    );
  }
  return adapter as L2Adapter;
}

function paramsError(error: unknown, rejectedBy: string, configClass?: PluginConfigClass): L2Error {
  const inner = isL2Error(error) ? error : undefined;
  let helpText = inner?.help;
  if (helpText === undefined && typeof configClass?.help === "function") {
    try {
      helpText = configClass.help();
    } catch {
      helpText = undefined;
    }
  }
  return new L2Error(
    "PLUGIN_PARAMS_INVALID",
    `plugin: adapter_params rejected by ${rejectedBy}: ${error instanceof Error ? error.message : String(error)}`,
    {
      adapterType: "plugin",
      field: inner?.field ? `adapter_params.${inner.field}` : "adapter_params",
      hint: inner?.hint,
      help: helpText,
      cause: error,
    },
  );
}

/** A copy the adapter may keep; params from JSON always clone, programmatic ones may hold functions. */
function cloneParams(params: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(params);
  } catch {
    return { ...params };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export type { AdapterClass };
