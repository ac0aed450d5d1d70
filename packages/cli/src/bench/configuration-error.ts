import { isL2Error } from "@x/l2-core";

/**
 * A creation failure caused by what the user asked for (a plugin module not allowed, missing or not an
 * adapter; params rejected; a package not installed) rather than by the run: exit 2, like a parse error.
 */
export function isConfigurationError(error: unknown): boolean {
  const code: string = isL2Error(error) ? error.code : "";
  return (
    code.startsWith("PLUGIN_") ||
    code === "CONFIG_INVALID" ||
    code === "ARGUMENT_INVALID" ||
    (code.startsWith("ADAPTER_") && code !== "ADAPTER_CLOSED")
  );
}
