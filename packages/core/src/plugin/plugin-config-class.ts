import { closestKey } from "../config/closest-key.js";
import { L2Error } from "../errors.js";
import type { L2Logger } from "../logger.js";

/** What a plugin's config class must offer: a static `fromDict(params)`; `help()` is used when present. */
export interface PluginConfigClass {
  fromDict(dict: unknown): unknown;
  help?(): string;
  readonly name?: string;
}

export interface ChosenConfigClass {
  readonly configClass: PluginConfigClass | undefined;
  /** Where it came from, for messages: `export "X"`, `static configClass of "Y"` or `raw params`. */
  readonly source: string;
}

function isPluginConfigClass(value: unknown): value is PluginConfigClass {
  return (
    (typeof value === "function" || (typeof value === "object" && value !== null)) &&
    typeof (value as { fromDict?: unknown }).fromDict === "function"
  );
}

/**
 * Picks the class that turns `adapter_params` into the adapter's config, first match wins:
 * 1. the export named by `config_class_name` (must exist and have a static fromDict, else an error);
 * 2. an export named `<class_name>Config` with a static fromDict;
 * 3. the adapter class's static `configClass`, when it has a fromDict;
 * 4. none: the adapter receives the params object itself.
 * Implicit candidates without fromDict are skipped (logged at debug), as in LMCache.
 */
export function chooseConfigClass(
  moduleNamespace: Record<string, unknown>,
  adapterClass: unknown,
  names: { modulePath: string; className: string; configClassName: string | undefined },
  logger: L2Logger,
): ChosenConfigClass {
  const { modulePath, className, configClassName } = names;
  if (configClassName !== undefined) {
    const candidate = moduleNamespace[configClassName];
    if (candidate === undefined) {
      throw new L2Error(
        "PLUGIN_EXPORT_NOT_FOUND",
        `plugin: module "${modulePath}" has no export "${configClassName}" (config_class_name); ${describeExports(moduleNamespace, configClassName)}`,
        { adapterType: "plugin", field: "config_class_name" },
      );
    }
    if (!isPluginConfigClass(candidate)) {
      throw new L2Error(
        "PLUGIN_EXPORT_NOT_FOUND",
        `plugin: export "${configClassName}" of module "${modulePath}" (config_class_name) is not a config class: it has no static fromDict`,
        {
          adapterType: "plugin",
          field: "config_class_name",
          hint: "name a class made with defineL2AdapterConfig, or leave config_class_name out",
        },
      );
    }
    return { configClass: candidate, source: `export "${configClassName}"` };
  }
  const conventional = `${className}Config`;
  const byName = moduleNamespace[conventional];
  if (isPluginConfigClass(byName)) return { configClass: byName, source: `export "${conventional}"` };
  if (byName !== undefined) {
    logger.debug(`plugin: export "${conventional}" of "${modulePath}" has no static fromDict; not used`);
  }
  const attached = (adapterClass as { configClass?: unknown }).configClass;
  if (isPluginConfigClass(attached)) {
    return { configClass: attached, source: `static configClass of "${className}"` };
  }
  if (attached !== undefined) {
    logger.debug(`plugin: ${className}.configClass of "${modulePath}" has no static fromDict; not used`);
  }
  return { configClass: undefined, source: "raw params" };
}

/**
 * For messages about a missing export `wanted`: the closest export name when it looks like a typo, then
 * every export, sorted ("(none)" when there are none).
 */
export function describeExports(moduleNamespace: Record<string, unknown>, wanted: string): string {
  const names = Object.keys(moduleNamespace).sort();
  const suggestion = closestKey(wanted, names);
  const list = `its exports: ${names.length > 0 ? names.join(", ") : "(none)"}`;
  return suggestion ? `did you mean "${suggestion}"? ${list}` : list;
}
