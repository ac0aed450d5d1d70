import { sep } from "node:path";
import { SUPPORTED_CONTRACTS } from "../adapter-type.js";
import { isL2Error, L2Error } from "../errors.js";

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

export function incompatibleContract(type: string, contract: unknown, where: string): L2Error {
  return new L2Error(
    "ADAPTER_INCOMPATIBLE",
    `adapter type "${type}": ${where} implements adapter contract ${JSON.stringify(contract)}, this @x/l2-core supports ${SUPPORTED_CONTRACTS.join(", ")}`,
    { adapterType: type, hint: "install versions of the adapter and @x/l2-core that share a contract" },
  );
}

/** A type no discovery root declares; `provider` is an installed package that declares it, if any. */
export function unknownTypeError(
  type: string,
  root: string,
  known: readonly string[],
  provider: string | undefined,
): L2Error {
  if (provider) {
    return new L2Error(
      "ADAPTER_NOT_INSTALLED",
      `adapter type "${type}" is provided by ${provider}, which is installed but not a dependency of ${root}; run: npm install ${provider}`,
      { adapterType: type, hint: `npm install ${provider}` },
    );
  }
  return new L2Error(
    "ADAPTER_UNKNOWN",
    `unknown adapter type "${type}"; known types: ${known.length ? known.join(", ") : "(none)"}`,
    {
      adapterType: type,
      hint: "install the package that provides it and add it to your package.json dependencies",
    },
  );
}

/** An error of parsing one config, prefixed with where it was (`--l2-adapter #2 (fs)`). */
export function parseErrorAt(
  error: unknown,
  where: string,
  type: string,
  position?: number,
  help?: string,
): L2Error {
  if (isL2Error(error)) {
    return new L2Error(error.code, `${where}: ${error.message}`, {
      adapterType: error.adapterType ?? type,
      field: error.field,
      position,
      hint: error.hint,
      help: error.help ?? help,
      cause: error,
    });
  }
  return new L2Error(
    "CONFIG_INVALID",
    `${where}: ${error instanceof Error ? error.message : String(error)}`,
    {
      adapterType: type,
      position,
      help,
      cause: error,
    },
  );
}
