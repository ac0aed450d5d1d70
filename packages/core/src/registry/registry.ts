import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { exports as resolveExports } from "resolve.exports";
import type { L2Adapter, L2AdapterContext } from "../adapter.js";
import {
  isL2AdapterTypeDefinition,
  type L2AdapterTypeDefinition,
  missingAdapterMethods,
  SUPPORTED_CONTRACTS,
} from "../adapter-type.js";
import type { L2AdapterConfigBase } from "../config/config-base.js";
import { isL2Error, L2Error, type L2ErrorCode } from "../errors.js";
import { createConsoleLogger, type L2Logger } from "../logger.js";
import { createPluginAdapterType } from "../plugin/plugin-type.js";
import { attachSharedKeys } from "../wrappers/attach-shared-keys.js";
import { classifyImportError } from "./load-error.js";
import {
  checkManifest,
  dependencyNames,
  MANIFEST_FIELD,
  type PackageInfo,
  readPackageJson,
  resolvePackage,
} from "./package-manifest.js";

/** First-party types and the package that provides each: used for "npm install" hints only. */
export const FIRST_PARTY_ADAPTER_PACKAGES: Readonly<Record<string, string>> = Object.freeze({
  mock: "@x/l2-mock",
  fs: "@x/l2-fs",
  pd: "@x/l2-pd",
});

export interface L2AdapterTypeInfo {
  readonly type: string;
  /** "code": registered with registerL2AdapterType; "package": declared in an installed package.json. */
  readonly source: "code" | "package";
  readonly packageName?: string | undefined;
  readonly version?: string | undefined;
  /** The exports subpath whose default export defines the type. */
  readonly entry?: string | undefined;
  /** A problem known without importing anything (bad manifest, incompatible contract, duplicate type). */
  readonly error?: { readonly code: L2ErrorCode; readonly message: string } | undefined;
}

export interface L2AdapterRegistryOptions {
  /** Application root whose package.json lists the installed adapters. Default: process.cwd(). */
  root?: string;
  /** Read installed packages' package.json files. Default true. */
  discover?: boolean;
  /** Types registered up front, as if by `register`. */
  types?: readonly L2AdapterTypeDefinition<any>[];
  /**
   * Lets the `plugin` type load a file path or URL in `module_path`; otherwise only package names
   * resolvable from `root` are accepted, because loading a module named in a config string runs code.
   */
  allowModulePaths?: boolean;
  logger?: L2Logger;
}

export interface CreateL2AdapterOptions {
  logger?: L2Logger;
  l1MemoryDesc?: L2AdapterContext["l1MemoryDesc"];
  tpRank?: number;
}

interface DiscoveredType {
  info: L2AdapterTypeInfo;
  pkg: PackageInfo;
}

/** Created by the registry for the built-in `plugin` type and any other code-level extension. */
export type RegistryExtension = (registry: L2AdapterRegistry) => void;
const extensions: RegistryExtension[] = [];

/** Lets core modules (such as the plugin type) attach themselves to every new registry. */
export function addRegistryExtension(extension: RegistryExtension): void {
  extensions.push(extension);
}

/**
 * The adapter types an application can use: types registered in code plus types declared by the
 * application's installed dependencies (read from package.json files only). Nothing is imported until a
 * type is needed; one broken package never breaks listing or any other type.
 */
export class L2AdapterRegistry {
  readonly root: string;
  readonly allowModulePaths: boolean;
  readonly logger: L2Logger;
  readonly #discover: boolean;
  readonly #code = new Map<string, L2AdapterTypeDefinition<any>>();
  #discovered: Promise<Map<string, DiscoveredType>> | undefined;
  readonly #loads = new Map<string, Promise<L2AdapterTypeDefinition<any>>>();

  constructor(options: L2AdapterRegistryOptions = {}) {
    this.root = options.root ?? process.cwd();
    this.#discover = options.discover ?? true;
    this.allowModulePaths = options.allowModulePaths ?? false;
    this.logger = options.logger ?? createConsoleLogger("registry");
    // Built in: every registry can load plugin classes, with this registry's root and permission.
    this.register(createPluginAdapterType({ root: this.root, allowModulePaths: this.allowModulePaths }));
    for (const extension of extensions) extension(this);
    for (const definition of options.types ?? []) this.register(definition);
  }

  /** Registers a type in code. A second registration of the same type name is an error. */
  register(definition: L2AdapterTypeDefinition<any>): void {
    if (!isL2AdapterTypeDefinition(definition)) {
      throw new L2Error(
        "ADAPTER_INVALID",
        "registerL2AdapterType needs a definition made by defineL2AdapterType",
      );
    }
    if (!SUPPORTED_CONTRACTS.includes(definition.contract)) {
      throw incompatible(definition.type, definition.contract, "the definition");
    }
    if (this.#code.has(definition.type)) {
      throw new L2Error("ADAPTER_DUPLICATE", `adapter type "${definition.type}" is already registered`, {
        adapterType: definition.type,
      });
    }
    this.#code.set(definition.type, definition);
  }

  /** Every known type, sorted by name, with where it comes from; reads package.json files only. */
  async list(): Promise<L2AdapterTypeInfo[]> {
    const discovered = await this.#discovered_();
    const out = new Map<string, L2AdapterTypeInfo>();
    for (const [type, found] of discovered) out.set(type, found.info);
    for (const type of this.#code.keys()) out.set(type, { type, source: "code" });
    return [...out.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  /** Type names only. */
  async listTypeNames(): Promise<string[]> {
    return (await this.list()).map((info) => info.type);
  }

  /** The definition of `type`, importing its package on first use (once; a failure is not retried). */
  async get(type: string): Promise<L2AdapterTypeDefinition<any>> {
    const code = this.#code.get(type);
    if (code) return code;
    const found = (await this.#discovered_()).get(type);
    if (!found) throw await this.#unknown(type);
    const key = `${found.pkg.dir}\0${type}`;
    let load = this.#loads.get(key);
    if (!load) {
      load = this.#load(type, found);
      this.#loads.set(key, load);
    }
    return load;
  }

  /** The type's help: every field with type, default and required/optional, plus an example. */
  async describe(type: string): Promise<string> {
    return (await this.get(type)).configClass.help();
  }

  async jsonSchema(type: string): Promise<Record<string, unknown>> {
    return (await this.get(type)).configClass.jsonSchema();
  }

  /** Parses one adapter config dict (already JSON-decoded). `position` is for error messages. */
  async parseConfig(dict: unknown, position?: number): Promise<L2AdapterConfigBase> {
    const where = position === undefined ? "adapter config" : `--l2-adapter #${position}`;
    if (typeof dict !== "object" || dict === null || Array.isArray(dict)) {
      throw new L2Error("CONFIG_INVALID", `${where}: expected a JSON object like {"type":"fs",...}`, {
        position,
      });
    }
    const type = (dict as Record<string, unknown>).type;
    if (typeof type !== "string" || type.length === 0) {
      throw new L2Error(
        "CONFIG_INVALID",
        `${where}: missing "type" field (a string naming the adapter type)`,
        {
          position,
          field: "type",
        },
      );
    }
    let definition: L2AdapterTypeDefinition<any>;
    try {
      definition = await this.get(type);
    } catch (error) {
      throw rewrap(error, where, type, position);
    }
    let config: L2AdapterConfigBase;
    try {
      config = definition.configClass.fromDict(dict);
    } catch (error) {
      throw rewrap(error, `${where} (${type})`, type, position, safeHelp(definition));
    }
    if (typeof config !== "object" || config === null || config.type !== type) {
      throw new L2Error(
        "ADAPTER_INVALID",
        `${where} (${type}): the config class returned an object without type "${type}"`,
        {
          adapterType: type,
          position,
        },
      );
    }
    return config;
  }

  /** The repeatable `--l2-adapter '<json>'` option: order kept (it is the priority), types may repeat. */
  async parseArgs(args: readonly string[]): Promise<L2AdapterConfigBase[]> {
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
      configs.push(await this.parseConfig(dict, position));
    }
    return configs;
  }

  /** Builds an adapter from a parsed config (or a config dict, which is parsed first). */
  async create(
    config: L2AdapterConfigBase | Record<string, unknown>,
    options: CreateL2AdapterOptions = {},
  ): Promise<L2Adapter> {
    const parsed =
      typeof (config as L2AdapterConfigBase)?.toDict === "function"
        ? (config as L2AdapterConfigBase)
        : await this.parseConfig(config);
    const type = parsed.type;
    const definition = await this.get(type);
    const context: L2AdapterContext = {
      logger: options.logger ?? createConsoleLogger(type),
      typeName: type,
      l1MemoryDesc: options.l1MemoryDesc,
      tpRank: options.tpRank,
    };
    const adapter = await definition.create(parsed, context);
    const missing = missingAdapterMethods(adapter);
    if (missing.length > 0) {
      throw new L2Error(
        "ADAPTER_INVALID",
        `adapter type "${type}" created an object without ${missing.join(", ")}`,
        {
          adapterType: type,
        },
      );
    }
    return attachSharedKeys(adapter, parsed, context.logger);
  }

  // ---- discovery -----------------------------------------------------------------------------------

  #discovered_(): Promise<Map<string, DiscoveredType>> {
    this.#discovered ??= this.#discoverAll().catch((error) => {
      this.logger.warn("adapter discovery failed; only types registered in code are available", {
        root: this.root,
        error: String(error),
      });
      return new Map();
    });
    return this.#discovered;
  }

  async #discoverAll(): Promise<Map<string, DiscoveredType>> {
    const found = new Map<string, DiscoveredType>();
    if (!this.#discover) return found;
    let appJson: Record<string, any> | undefined;
    try {
      appJson = await readPackageJson(join(this.root, "package.json"));
    } catch (error) {
      this.logger.warn("cannot read the application's package.json; no adapter packages discovered", {
        error: String(error),
      });
    }
    if (!appJson) return found;
    // The application itself may be an adapter package (an author running its own tests).
    const packages: PackageInfo[] = [];
    if (appJson[MANIFEST_FIELD] !== undefined && typeof appJson.name === "string") {
      packages.push({
        name: appJson.name,
        version: String(appJson.version ?? "0.0.0"),
        dir: this.root,
        json: appJson,
      });
    }
    const deps = await Promise.all(
      dependencyNames(appJson).map((name) => resolvePackage(name, this.root).catch(() => undefined)),
    );
    for (const pkg of deps) if (pkg && pkg.json[MANIFEST_FIELD] !== undefined) packages.push(pkg);

    for (const pkg of packages) {
      const manifest = checkManifest(pkg.json[MANIFEST_FIELD]);
      const base = { source: "package" as const, packageName: pkg.name, version: pkg.version };
      if (typeof manifest === "string") {
        const type = `${pkg.name} (invalid manifest)`;
        found.set(type, {
          pkg,
          info: { ...base, type, error: { code: "ADAPTER_INVALID", message: `${pkg.name}: ${manifest}` } },
        });
        continue;
      }
      for (const [type, entry] of Object.entries(manifest.adapters)) {
        let error: L2AdapterTypeInfo["error"];
        if (!SUPPORTED_CONTRACTS.includes(manifest.contract as number)) {
          const e = incompatible(type, manifest.contract, pkg.name);
          error = { code: e.code, message: e.message };
        }
        const previous = found.get(type);
        if (previous) {
          this.logger.warn(
            `adapter type "${type}" is declared by ${previous.info.packageName} and ${pkg.name}; using the first`,
          );
          continue;
        }
        found.set(type, { pkg, info: { ...base, type, entry, error } });
      }
    }
    return found;
  }

  async #load(type: string, found: DiscoveredType): Promise<L2AdapterTypeDefinition<any>> {
    const { pkg, info } = found;
    if (info.error) throw new L2Error(info.error.code, info.error.message, { adapterType: type });
    const entry = info.entry ?? ".";
    let target: string | undefined;
    try {
      target = pkg.json.exports
        ? resolveExports(pkg.json, entry, { conditions: ["node", "import"] })?.[0]
        : entry === "."
          ? (pkg.json.module ?? pkg.json.main ?? "./index.js")
          : entry;
    } catch {
      target = undefined;
    }
    if (!target) {
      throw new L2Error(
        "ADAPTER_INVALID",
        `adapter type "${type}": ${pkg.name} declares entry "${entry}" but its "exports" map does not export it`,
        { adapterType: type, hint: `add "${entry}" to the "exports" of ${pkg.name}` },
      );
    }
    const file = join(pkg.dir, target);
    let mod: Record<string, unknown>;
    try {
      mod = await import(/* webpackIgnore: true */ /* @vite-ignore */ pathToFileURL(file).href);
    } catch (error) {
      throw classifyImportError(error, type, pkg.name, file, pkg.dir);
    }
    const definition = mod.default;
    if (!isL2AdapterTypeDefinition(definition)) {
      throw new L2Error(
        "ADAPTER_INVALID",
        `adapter type "${type}": the default export of ${pkg.name}${entry === "." ? "" : entry.slice(1)} is not an adapter type definition`,
        { adapterType: type, hint: "export default defineL2AdapterType({ configClass, create })" },
      );
    }
    if (definition.type !== type) {
      throw new L2Error(
        "ADAPTER_INVALID",
        `adapter type "${type}": ${pkg.name} declares "${type}" in package.json but its definition is of type "${definition.type}"`,
        { adapterType: type },
      );
    }
    if (!SUPPORTED_CONTRACTS.includes(definition.contract))
      throw incompatible(type, definition.contract, pkg.name);
    return definition;
  }

  async #unknown(type: string): Promise<L2Error> {
    // Own keys only: "constructor" or "toString" must not find Object.prototype members.
    const pkgName = Object.hasOwn(FIRST_PARTY_ADAPTER_PACKAGES, type)
      ? FIRST_PARTY_ADAPTER_PACKAGES[type]
      : undefined;
    if (pkgName) {
      return new L2Error(
        "ADAPTER_NOT_INSTALLED",
        `adapter type "${type}" is provided by ${pkgName}, which is not a dependency of ${this.root}; run: npm install ${pkgName}`,
        { adapterType: type, hint: `npm install ${pkgName}` },
      );
    }
    const known = await this.listTypeNames();
    return new L2Error(
      "ADAPTER_UNKNOWN",
      `unknown adapter type "${type}"; known types: ${known.length ? known.join(", ") : "(none)"}`,
      {
        adapterType: type,
        hint: "install the package that provides it and add it to your package.json dependencies",
      },
    );
  }
}

function incompatible(type: string, contract: unknown, where: string): L2Error {
  return new L2Error(
    "ADAPTER_INCOMPATIBLE",
    `adapter type "${type}": ${where} implements adapter contract ${JSON.stringify(contract)}, this @x/l2-core supports ${SUPPORTED_CONTRACTS.join(", ")}`,
    { adapterType: type, hint: "install versions of the adapter and @x/l2-core that share a contract" },
  );
}

function safeHelp(definition: L2AdapterTypeDefinition<any>): string | undefined {
  try {
    return definition.configClass.help();
  } catch {
    return undefined;
  }
}

function rewrap(error: unknown, where: string, type: string, position?: number, help?: string): L2Error {
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
