import { isL2Error, type L2AdapterConfigBase, type L2AdapterRegistry } from "@x/l2-core";

/** What `x-l2 bench` uses without --l2-adapter, in order: files under ./.x-l2/cache, else the mock. */
export const DEFAULT_FS_CONFIG = Object.freeze({ type: "fs", base_path: "./.x-l2/cache" });
export const DEFAULT_MOCK_CONFIG = Object.freeze({ type: "mock", max_size_gb: 4, mock_bandwidth_gb: 100 });

export interface ChosenConfig {
  config: L2AdapterConfigBase;
  /** "argument" when given with --l2-adapter, "default" for the embedded default. */
  source: "argument" | "default";
  /** Why the fs default was not used, when it was not. */
  fallbackReason?: string;
}

/**
 * The embedded default: the fs adapter when the registry can load type "fs", else the mock adapter
 * (which the CLI always has). The reason for falling back is reported, never hidden.
 */
export async function chooseDefaultConfig(registry: L2AdapterRegistry): Promise<ChosenConfig> {
  try {
    await registry.get(DEFAULT_FS_CONFIG.type);
    return { config: await registry.parseConfig({ ...DEFAULT_FS_CONFIG }), source: "default" };
  } catch (error) {
    const reason = isL2Error(error) ? `${error.code}: ${error.message}` : String(error);
    return {
      config: await registry.parseConfig({ ...DEFAULT_MOCK_CONFIG }),
      source: "default",
      fallbackReason: `fs adapter not available (${reason})`,
    };
  }
}
