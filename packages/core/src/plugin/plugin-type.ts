import type { L2Adapter, L2AdapterContext } from "../adapter.js";
import { defineL2AdapterType, type L2AdapterTypeDefinition, missingAdapterMethods } from "../adapter-type.js";
import { pickSharedKeys, SHARED_CONFIG_KEYS, sharedConfigToDict } from "../config/shared-config.js";
import { isL2Error, L2Error } from "../errors.js";
import { type L2Logger, silentLogger } from "../logger.js";
import { adapterClassProblem } from "./adapter-class.js";
import { loadPluginModule } from "./load-plugin-module.js";
import { getPluginConfigClass, type PluginL2AdapterConfig } from "./plugin-config.js";
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
    configClass: getPluginConfigClass(),
    create: (config, context) => createPluginAdapter(config, context, options),
  });
}

/** What a plugin config resolves to before anything is constructed. */
export interface ResolvedPlugin {
  readonly adapterClass: unknown;
  /** The parsed adapter_params (the plugin's config instance, or the frozen params themselves). */
  readonly adapterConfig: unknown;
  /** The file or URL imported. */
  readonly location: string;
}

/**
 * Imports the module a `plugin` config names, checks its export is an adapter class and parses
 * `adapter_params` with the plugin's config class: everything but constructing the adapter. Every
 * failure is an L2Error naming the module and the export.
 */
export async function resolvePluginAdapter(
  config: PluginL2AdapterConfig,
  options: PluginAdapterTypeOptions,
  logger: L2Logger = silentLogger,
): Promise<ResolvedPlugin> {
  const { modulePath, className, configClassName } = config;
  const adapterParams = config.adapterParams as Record<string, unknown>;
  const { moduleNamespace, location } = await loadPluginModule(modulePath, {
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
      adapterConfig = chosen.configClass.fromDict(withSharedKeys(config, adapterParams, chosen.configClass));
    } catch (error) {
      throw paramsError(error, `${chosen.source} of module "${modulePath}"`, chosen.configClass);
    }
  } else {
    adapterConfig = deepFreeze(cloneParams(adapterParams));
  }
  return { adapterClass, adapterConfig, location };
}

/** Creates the adapter a parsed `plugin` config names; every failure is an L2Error naming module and export. */
async function createPluginAdapter(
  config: PluginL2AdapterConfig,
  context: L2AdapterContext,
  options: PluginAdapterTypeOptions,
): Promise<L2Adapter> {
  const { modulePath, className } = config;
  const logger = context.logger ?? silentLogger;
  const { adapterClass, adapterConfig } = await resolvePluginAdapter(config, options, logger);
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
    `plugin: adapter_params rejected by ${rejectedBy}: ${inParams(error instanceof Error ? error.message : String(error))}`,
    {
      adapterType: "plugin",
      field: inner?.field ? `adapter_params.${inner.field}` : "adapter_params",
      hint: inner?.hint,
      help: helpText,
      cause: error,
    },
  );
}

/**
 * The params a plugin's config class parses. A class made with defineL2AdapterConfig also parses the
 * shared keys, so it receives the ones written next to `adapter_params` and its config says what
 * createL2Adapter acts on. Inside `adapter_params` they would reach the plugin's config but not the
 * registry, so they are refused there. Other classes get the params alone.
 */
function withSharedKeys(
  config: PluginL2AdapterConfig,
  adapterParams: Record<string, unknown>,
  configClass: PluginConfigClass,
): Record<string, unknown> {
  const params = cloneParams(adapterParams);
  if (typeof (configClass as { parseSharedConfig?: unknown }).parseSharedConfig !== "function") return params;
  const misplaced = Object.keys(pickSharedKeys(params));
  if (misplaced.length > 0) {
    const key = misplaced[0]!;
    throw new L2Error(
      "CONFIG_INVALID",
      `field "${key}": shared keys (${SHARED_CONFIG_KEYS.join(", ")}) go next to adapter_params, not inside it`,
      { adapterType: "plugin", field: key, hint: `move "${key}" out of adapter_params to the top level` },
    );
  }
  return { ...params, ...sharedConfigToDict(config) };
}

/** The plugin's message with its field names as paths from the plugin config, like the error's `.field`. */
function inParams(message: string): string {
  return message.replace(/\b(field|key) "(?!adapter_params\.)([^"]+)"/g, '$1 "adapter_params.$2"');
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
