import { resolve } from "node:path";
import type { L2Adapter, L2AdapterContext } from "../adapter.js";
import {
  isL2AdapterTypeDefinition,
  type L2AdapterTypeDefinition,
  missingAdapterMethods,
  SUPPORTED_CONTRACTS,
} from "../adapter-type.js";
import type { L2AdapterConfigBase } from "../config/config-base.js";
import { L2Error } from "../errors.js";
import { createConsoleLogger, type L2Logger } from "../logger.js";
import type { PluginL2AdapterConfig } from "../plugin/plugin-config.js";
import { createPluginAdapterType, resolvePluginAdapter } from "../plugin/plugin-type.js";
import { wrapWithSerde } from "../serde/wrap.js";
import { attachSharedKeys } from "../wrappers/attach-shared-keys.js";
import {
  type DiscoveredType,
  discoverAdapterTypes,
  findUndeclaredProvider,
  type L2AdapterTypeInfo,
} from "./discovery.js";
import { importAdapterType } from "./load-type.js";
import { parseAdapterArgs, parseAdapterConfig } from "./parse-config.js";
import { incompatibleContract, unknownTypeError } from "./registry-errors.js";

export type { L2AdapterTypeInfo } from "./discovery.js";

/**
 * @deprecated Core no longer knows adapter package names: "npm install" hints come from the installed
 * packages' own `x-l2` fields. Kept, frozen, for code that imported it; nothing in core reads it.
 */
export const FIRST_PARTY_ADAPTER_PACKAGES: Readonly<Record<string, string>> = Object.freeze({
  mock: "@x/l2-mock",
  fs: "@x/l2-fs",
  pd: "@x/l2-pd",
});

export interface L2AdapterRegistryOptions {
  /** Application root whose package.json lists the installed adapters. Default: process.cwd(). */
  root?: string;
  /**
   * Further roots whose package.json dependencies are discovered after `root`'s, in order; a type the
   * application declares wins. A tool passes its own package here to offer its bundled adapters.
   */
  discoveryRoots?: readonly string[];
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

const PLUGIN_TYPE = "plugin";

/**
 * The adapter types an application can use: types registered in code plus types declared by the
 * installed dependencies of the discovery roots (read from package.json files only). Nothing is imported
 * until a type is needed; one broken package never breaks listing or any other type.
 */
export class L2AdapterRegistry {
  readonly root: string;
  /** Every root discovery reads, `root` first. */
  readonly discoveryRoots: readonly string[];
  readonly allowModulePaths: boolean;
  readonly logger: L2Logger;
  readonly #discover: boolean;
  /** Code types; the built-in plugin type is built on first use, since its config schema needs zod. */
  readonly #code = new Map<string, () => L2AdapterTypeDefinition<any>>();
  #plugin: L2AdapterTypeDefinition<any> | undefined;
  #discovered: Promise<Map<string, DiscoveredType>> | undefined;
  readonly #loads = new Map<string, Promise<L2AdapterTypeDefinition<any>>>();

  constructor(options: L2AdapterRegistryOptions = {}) {
    this.root = resolve(options.root ?? process.cwd());
    this.discoveryRoots = Object.freeze([
      this.root,
      ...(options.discoveryRoots ?? []).map((dir) => resolve(dir)).filter((dir) => dir !== this.root),
    ]);
    this.#discover = options.discover ?? true;
    this.allowModulePaths = options.allowModulePaths ?? false;
    this.logger = options.logger ?? createConsoleLogger("registry");
    this.#code.set(PLUGIN_TYPE, () => {
      this.#plugin ??= createPluginAdapterType({ root: this.root, allowModulePaths: this.allowModulePaths });
      return this.#plugin;
    });
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
      throw incompatibleContract(definition.type, definition.contract, "the definition");
    }
    if (this.#code.has(definition.type)) {
      throw new L2Error("ADAPTER_DUPLICATE", `adapter type "${definition.type}" is already registered`, {
        adapterType: definition.type,
      });
    }
    this.#code.set(definition.type, () => definition);
  }

  /** Every known type, sorted by name, with where it comes from; reads package.json files only. */
  async list(): Promise<L2AdapterTypeInfo[]> {
    const discovered = await this.#discovered_();
    const out = new Map<string, L2AdapterTypeInfo>();
    for (const [type, found] of discovered) out.set(type, found.info);
    for (const type of this.#code.keys()) {
      out.set(
        type,
        type === PLUGIN_TYPE ? { type, source: "code", builtIn: true } : { type, source: "code" },
      );
    }
    return [...out.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  /** Type names only. */
  async listTypeNames(): Promise<string[]> {
    return (await this.list()).map((info) => info.type);
  }

  /** The definition of `type`, importing its package on first use (once; a failure is not retried). */
  async get(type: string): Promise<L2AdapterTypeDefinition<any>> {
    const code = this.#code.get(type);
    if (code) return code();
    const found = (await this.#discovered_()).get(type);
    if (!found) {
      const provider = this.#discover ? await findUndeclaredProvider(type, this.root) : undefined;
      throw unknownTypeError(type, this.root, await this.listTypeNames(), provider);
    }
    const key = `${found.pkg.dir}\0${type}`;
    let load = this.#loads.get(key);
    if (!load) {
      load = importAdapterType(found);
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
  parseConfig(dict: unknown, position?: number): Promise<L2AdapterConfigBase> {
    return parseAdapterConfig((type) => this.get(type), dict, position);
  }

  /** The repeatable `--l2-adapter '<json>'` option: order kept (it is the priority), types may repeat. */
  parseArgs(args: readonly string[]): Promise<L2AdapterConfigBase[]> {
    return parseAdapterArgs((type) => this.get(type), args);
  }

  /**
   * Imports everything creating `config` needs, without creating the adapter: the type's package and,
   * for a `plugin` config, its module and export, with `adapter_params` parsed by the plugin's config.
   */
  async resolve(config: L2AdapterConfigBase): Promise<void> {
    const definition = await this.get(config.type);
    if (config.type === PLUGIN_TYPE && definition === this.#plugin) {
      await resolvePluginAdapter(config as PluginL2AdapterConfig, {
        root: this.root,
        allowModulePaths: this.allowModulePaths,
      });
    }
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
    // serde: the key file and hash addon are checked before the inner adapter opens anything.
    const wrap = parsed.serde ? await wrapWithSerde(parsed.serde, type, context.logger) : undefined;
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
    // Shared keys act on their own: serde frames sit under eviction and persistence (attached here,
    // honoured at close), which then count and delete framed objects.
    return attachSharedKeys(wrap ? wrap(adapter) : adapter, parsed, context.logger);
  }

  #discovered_(): Promise<Map<string, DiscoveredType>> {
    this.#discovered ??= (
      this.#discover ? discoverAdapterTypes(this.discoveryRoots, this.logger) : Promise.resolve(new Map())
    ).catch((error) => {
      this.logger.warn("adapter discovery failed; only types registered in code are available", {
        root: this.root,
        error: String(error),
      });
      return new Map<string, DiscoveredType>();
    });
    return this.#discovered;
  }
}
