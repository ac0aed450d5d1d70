import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { L2Error } from "../errors.js";
import {
  findInstalledPackage,
  type PackageInfo,
  resolvePackageEntry,
} from "../registry/installed-package.js";
import { missingSpecifier } from "../registry/registry-errors.js";
import { type ModuleSpecifier, parseModuleSpecifier } from "./module-specifier.js";

export interface LoadPluginModuleOptions {
  /** Application root; package names resolve from `<root>/package.json`. */
  root: string;
  /** Whether `module_path` may be a file path or URL. */
  allowModulePaths: boolean;
}

export interface LoadedPluginModule {
  readonly moduleNamespace: Record<string, unknown>;
  /** The file or URL that was imported, for messages. */
  readonly location: string;
}

const TYPE = "plugin";

/**
 * Imports the module a plugin config names. A package name is resolved from the application root and
 * its "exports" map (conditions node + import), then imported by file URL, so the module comes from the
 * application's node_modules and not from wherever this copy of core is installed.
 */
export async function loadPluginModule(
  modulePath: string,
  options: LoadPluginModuleOptions,
): Promise<LoadedPluginModule> {
  const specifier = parseModuleSpecifier(modulePath);
  if (specifier === undefined) {
    throw new L2Error(
      "CONFIG_INVALID",
      `plugin: module_path "${modulePath}" is neither a package name nor a file path or URL`,
      { adapterType: TYPE, field: "module_path" },
    );
  }
  const location = await locate(modulePath, specifier, options);
  let moduleNamespace: Record<string, unknown>;
  try {
    moduleNamespace = await import(/* webpackIgnore: true */ /* @vite-ignore */ location);
  } catch (error) {
    throw classifyPluginImportError(error, modulePath, location, specifier);
  }
  return { moduleNamespace, location };
}

async function locate(
  modulePath: string,
  specifier: ModuleSpecifier,
  options: LoadPluginModuleOptions,
): Promise<string> {
  if (specifier.kind !== "package") {
    if (!options.allowModulePaths) {
      const what = specifier.kind === "path" ? "a file path" : "a URL";
      throw new L2Error(
        "PLUGIN_MODULE_NOT_ALLOWED",
        `plugin: module_path "${modulePath}" is ${what}; loading a file named in a config runs its code, so only installed package names are accepted unless module paths are allowed`,
        {
          adapterType: TYPE,
          field: "module_path",
          hint: "install the plugin as a package and use its package name, or allow module paths (x-l2 --allow-module-paths, or createL2AdapterRegistry({ allowModulePaths: true }))",
        },
      );
    }
    if (specifier.kind === "url") return specifier.url;
    const file = isAbsolute(specifier.path) ? specifier.path : resolve(options.root, specifier.path);
    return pathToFileURL(file).href;
  }
  const { packageName, subpath } = specifier;
  let pkg: PackageInfo | undefined;
  try {
    pkg = await findInstalledPackage(packageName, options.root);
  } catch (error) {
    throw new L2Error(
      "ADAPTER_LOAD_FAILED",
      `plugin: module "${modulePath}": cannot read the package.json of ${packageName}: ${error instanceof Error ? error.message : String(error)}`,
      { adapterType: TYPE, field: "module_path", cause: error },
    );
  }
  if (!pkg) {
    throw new L2Error(
      "PLUGIN_MODULE_NOT_FOUND",
      `plugin: module "${modulePath}" is not installed: package ${packageName} cannot be resolved from ${join(options.root, "package.json")}; run: npm install ${packageName}`,
      { adapterType: TYPE, field: "module_path", hint: `npm install ${packageName}` },
    );
  }
  const target = resolvePackageEntry(pkg.json, subpath);
  if (!target) {
    throw new L2Error(
      "PLUGIN_MODULE_NOT_FOUND",
      `plugin: module "${modulePath}": package ${packageName}@${pkg.version} does not export "${subpath}" in its "exports" map`,
      { adapterType: TYPE, field: "module_path", hint: `use a subpath that ${packageName} exports` },
    );
  }
  return pathToFileURL(join(pkg.dir, target)).href;
}

function classifyPluginImportError(
  error: unknown,
  modulePath: string,
  location: string,
  specifier: ModuleSpecifier,
): L2Error {
  const missing = missingSpecifier(error);
  const file = location.startsWith("file:") ? fileURLToPath(location) : location;
  if (missing !== undefined) {
    if (missing === file || missing === location || missing === "") {
      return new L2Error(
        "PLUGIN_MODULE_NOT_FOUND",
        `plugin: module "${modulePath}" resolves to ${file}, which does not exist${specifier.kind === "package" ? ` (is ${specifier.packageName} built and completely installed?)` : ""}`,
        { adapterType: TYPE, field: "module_path", cause: error },
      );
    }
    const dependency = parseModuleSpecifier(missing);
    const install = dependency?.kind === "package" ? dependency.packageName : undefined;
    return new L2Error(
      "PLUGIN_DEPENDENCY_MISSING",
      `plugin: module "${modulePath}" imports "${missing}", which is not installed${install ? `; run: npm install ${install}` : ""}`,
      {
        adapterType: TYPE,
        field: "module_path",
        cause: error,
        hint: install ? `npm install ${install}` : `reinstall the package that provides "${modulePath}"`,
      },
    );
  }
  return new L2Error(
    "ADAPTER_LOAD_FAILED",
    `plugin: loading module "${modulePath}" failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    { adapterType: TYPE, field: "module_path", cause: error },
  );
}
