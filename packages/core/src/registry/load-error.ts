import { sep } from "node:path";
import { L2Error } from "../errors.js";

const MISSING = /Cannot find (?:package|module) '([^']+)'/;

/** The specifier Node could not find, when `error` is a module-not-found error. */
export function missingSpecifier(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return undefined;
  return MISSING.exec(String((error as Error).message))?.[1] ?? "";
}

/**
 * Classifies an import failure of `packageName`'s entry `entryFile`: the package (or its entry) itself
 * missing is ADAPTER_NOT_INSTALLED, any other missing module ADAPTER_DEPENDENCY_MISSING, anything else
 * ADAPTER_LOAD_FAILED.
 */
export function classifyImportError(
  error: unknown,
  type: string,
  packageName: string,
  entryFile: string,
  packageDir?: string,
): L2Error {
  const missing = missingSpecifier(error);
  if (missing !== undefined) {
    // A file of the package itself (an entry or a chunk it imports) means an incomplete install or build.
    const isSelf =
      missing === packageName ||
      missing.startsWith(`${packageName}/`) ||
      missing === entryFile ||
      missing.endsWith(entryFile) ||
      (packageDir !== undefined && missing.startsWith(`${packageDir}${sep}`));
    if (isSelf) {
      return new L2Error(
        "ADAPTER_NOT_INSTALLED",
        `adapter type "${type}": package ${packageName} is not installed or not built (missing ${missing}); run: npm install ${packageName}`,
        { adapterType: type, cause: error, hint: `npm install ${packageName}` },
      );
    }
    return new L2Error(
      "ADAPTER_DEPENDENCY_MISSING",
      `adapter type "${type}": package ${packageName} needs "${missing}", which is not installed; install it next to ${packageName}`,
      {
        adapterType: type,
        cause: error,
        hint: `npm install ${missing.startsWith("/") ? packageName : missing}`,
      },
    );
  }
  return new L2Error(
    "ADAPTER_LOAD_FAILED",
    `adapter type "${type}": loading ${packageName} failed: ${error instanceof Error ? error.message : String(error)}`,
    { adapterType: type, cause: error },
  );
}
