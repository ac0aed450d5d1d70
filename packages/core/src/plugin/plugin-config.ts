import type { L2AdapterConfigBase } from "../config/config-base.js";
import { defineL2AdapterConfig } from "../config/define-config.js";
import { loadZod } from "../config/zod.js";
import { MODULE_SPECIFIER_HELP, parseModuleSpecifier } from "./module-specifier.js";

/** A parsed `plugin` config: LMCache's keys in camelCase plus the shared ones. */
export interface PluginL2AdapterConfig extends L2AdapterConfigBase {
  readonly modulePath: string;
  readonly className: string;
  readonly adapterParams: Record<string, unknown>;
  readonly configClassName?: string | undefined;
}

function buildPluginConfigClass() {
  const z = loadZod();
  return defineL2AdapterConfig(
    "plugin",
    z.object({
      module_path: z
        .string()
        .min(1, { message: "must not be empty" })
        .refine((value) => value.length === 0 || parseModuleSpecifier(value) !== undefined, {
          message: `must be ${MODULE_SPECIFIER_HELP}`,
        })
        .describe("the module that exports the adapter class: an installed package name (or subpath export)"),
      class_name: z
        .string()
        .min(1, { message: "must not be empty" })
        .describe("name of the export that is the adapter class"),
      adapter_params: z
        .record(z.string(), z.unknown(), { message: "must be a JSON object" })
        .default({})
        .describe("parameters for the adapter, parsed by its config class when the adapter is created"),
      config_class_name: z
        .string()
        .min(1, { message: "must not be empty" })
        .optional()
        .describe(
          'export of the module that parses adapter_params (default: "<class_name>Config", then the class\'s static configClass, else the raw object)',
        ),
    }),
    {
      summary:
        "loads an adapter class exported by an installed package that does not declare its own type; shared keys (eviction, persist_enabled, shared) go next to adapter_params",
      example: {
        module_path: "kvstash-l2-inmemory",
        class_name: "InMemoryL2Adapter",
        adapter_params: { max_size_gb: 1, mock_bandwidth_gb: 20 },
      },
    },
  );
}

let pluginConfigClass: ReturnType<typeof buildPluginConfigClass> | undefined;

/**
 * `{"type":"plugin","module_path","class_name","adapter_params","config_class_name"}`, LMCache's keys.
 * Parsing checks only the structure; `adapter_params` are checked by the plugin's own config when the
 * adapter is created, because that needs the plugin's code. Built on first use (it needs zod).
 */
export function getPluginConfigClass(): ReturnType<typeof buildPluginConfigClass> {
  pluginConfigClass ??= buildPluginConfigClass();
  return pluginConfigClass;
}
