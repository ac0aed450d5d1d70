import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createL2AdapterRegistry,
  isL2AdapterTypeDefinition,
  type L2AdapterTypeDefinition,
  L2Error,
  MANIFEST_FIELD,
  resolvePackageEntry,
  SUPPORTED_CONTRACTS,
  silentLogger,
} from "@x/l2-core";
import { expect } from "vitest";

export interface PackageConformanceOptions {
  /** Directory holding the adapter package's package.json (usually the package root). */
  packageDir: string;
}

/** One package rule; `run()` throws when the package breaks it. */
export interface PackageCase {
  readonly id: string;
  readonly rule: string;
  run(): Promise<void>;
}

const TYPE_NAME = /^[a-z][a-z0-9_-]*$/;

/** Reads package.json once per suite and imports each declared entry once. */
class PackageUnderTest {
  readonly dir: string;
  #json: Promise<Record<string, any>> | undefined;
  readonly #definitions = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  json(): Promise<Record<string, any>> {
    this.#json ??= readFile(join(this.dir, "package.json"), "utf8").then((text) => {
      const parsed = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null) throw new Error("package.json is not a JSON object");
      return parsed;
    });
    return this.#json;
  }

  /** The `x-l2.adapters` map; throws with the fix when the field is missing or malformed. */
  async adapters(): Promise<[type: string, subpath: string][]> {
    const json = await this.json();
    const manifest = json[MANIFEST_FIELD];
    const example = `"${MANIFEST_FIELD}": { "contract": 1, "adapters": { "<type>": "./adapter" } }`;
    if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
      throw new Error(`package.json has no "${MANIFEST_FIELD}" object; add ${example}`);
    }
    const adapters = manifest.adapters;
    if (typeof adapters !== "object" || adapters === null || Array.isArray(adapters)) {
      throw new Error(`package.json "${MANIFEST_FIELD}.adapters" must map type names to exports subpaths`);
    }
    const entries = Object.entries(adapters);
    if (entries.length === 0) throw new Error(`package.json "${MANIFEST_FIELD}.adapters" declares no type`);
    return entries.map(([type, subpath]) => [type, subpath as string]);
  }

  /**
   * The file `subpath` resolves to, by the same rule the registry imports it with (core's
   * resolvePackageEntry: "exports" with the node and import conditions), or undefined; the kit also
   * requires an "exports" map, which the registry does not.
   */
  async entryFile(subpath: string): Promise<string | undefined> {
    const json = await this.json();
    if (json.exports === undefined) return undefined;
    const target = resolvePackageEntry(json, subpath);
    return target === undefined ? undefined : resolvePath(this.dir, target);
  }

  definition(type: string, subpath: string): Promise<unknown> {
    let loaded = this.#definitions.get(type);
    if (!loaded) {
      loaded = (async () => {
        const file = await this.entryFile(subpath);
        if (file === undefined) throw new Error(`"${subpath}" is not in "exports"`);
        const mod = await import(/* @vite-ignore */ pathToFileURL(file).href);
        return mod.default;
      })();
      this.#definitions.set(type, loaded);
    }
    return loaded;
  }

  /** The branded definition of `type`; throws naming the rule it breaks. */
  async typedDefinition(type: string, subpath: string): Promise<L2AdapterTypeDefinition> {
    const definition = await this.definition(type, subpath);
    if (!isL2AdapterTypeDefinition(definition)) {
      throw new Error(
        `the default export of "${subpath}" is not an adapter type definition; export default defineL2AdapterType({ configClass, create })`,
      );
    }
    return definition;
  }
}

function eachAdapter(
  pkg: PackageUnderTest,
  check: (type: string, subpath: string) => Promise<void>,
): () => Promise<void> {
  return async () => {
    for (const [type, subpath] of await pkg.adapters()) await check(type, subpath);
  };
}

/** The package rules as data, like `conformanceCases` for adapters. */
export function packageConformanceCases(options: PackageConformanceOptions): PackageCase[] {
  const dir = options?.packageDir;
  if (typeof dir !== "string" || !isAbsolute(dir)) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `packageDir must be an absolute path to the adapter package, got ${String(dir)}; e.g. fileURLToPath(new URL("..", import.meta.url))`,
      { field: "packageDir" },
    );
  }
  const pkg = new PackageUnderTest(dir);
  return [
    {
      id: "package.manifest",
      rule: `package.json has "${MANIFEST_FIELD}": { contract: ${SUPPORTED_CONTRACTS.join("|")}, adapters: { <type>: <exports subpath> } }`,
      async run() {
        const json = await pkg.json();
        const adapters = await pkg.adapters();
        const contract = json[MANIFEST_FIELD].contract;
        expect(
          SUPPORTED_CONTRACTS,
          `"${MANIFEST_FIELD}.contract" ${String(contract)} is supported by this core`,
        ).toContain(contract);
        for (const [type, subpath] of adapters) {
          expect(type, `type name "${type}" (lowercase letters, digits, "-" or "_")`).toMatch(TYPE_NAME);
          expect(
            typeof subpath === "string" && (subpath === "." || subpath.startsWith("./")),
            `"${MANIFEST_FIELD}.adapters.${type}" = ${JSON.stringify(subpath)} is an exports subpath like "./adapter"`,
          ).toBe(true);
        }
      },
    },
    {
      id: "package.exports-subpath",
      rule: "each declared subpath is exported (import/node conditions) by the package's exports map",
      run: eachAdapter(pkg, async (type, subpath) => {
        const file = await pkg.entryFile(subpath);
        if (file === undefined) {
          throw new Error(
            `"${MANIFEST_FIELD}.adapters.${type}" points at "${subpath}", which "exports" does not export; add it to "exports"`,
          );
        }
      }),
    },
    {
      id: "package.exports-package-json",
      rule: 'the exports map has "./package.json", so tools can read the manifest',
      async run() {
        const file = await pkg.entryFile("./package.json");
        expect(file, '"exports" has "./package.json": "./package.json"').toBe(join(pkg.dir, "package.json"));
      },
    },
    {
      id: "package.entry-built",
      rule: "the file each subpath resolves to exists (the package is built)",
      run: eachAdapter(pkg, async (type, subpath) => {
        const file = await pkg.entryFile(subpath);
        if (file === undefined) throw new Error(`"${subpath}" (type ${type}) is not exported`);
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile()) throw new Error(`type ${type}: ${file} does not exist; build the package first`);
      }),
    },
    {
      id: "package.definition-branded",
      rule: "each entry's default export is a definition made by defineL2AdapterType",
      run: eachAdapter(pkg, async (type, subpath) => {
        await pkg.typedDefinition(type, subpath);
      }),
    },
    {
      id: "package.definition-type",
      rule: "each definition's type equals the type name declared in package.json, with a supported contract",
      run: eachAdapter(pkg, async (type, subpath) => {
        const definition = await pkg.typedDefinition(type, subpath);
        expect(definition.type, `type of the definition behind "${MANIFEST_FIELD}.adapters.${type}"`).toBe(
          type,
        );
        expect(SUPPORTED_CONTRACTS, `contract ${definition.contract} of type ${type}`).toContain(
          definition.contract,
        );
      }),
    },
    {
      id: "package.help-and-schema",
      rule: "configClass.help() names the type and configClass.jsonSchema() is a JSON object",
      run: eachAdapter(pkg, async (type, subpath) => {
        const { configClass } = await pkg.typedDefinition(type, subpath);
        const help = configClass.help();
        expect(typeof help, `help() of ${type}`).toBe("string");
        expect(help, `help() of ${type} names the type`).toContain(type);
        const schema = configClass.jsonSchema();
        expect(
          typeof schema === "object" && schema !== null && !Array.isArray(schema),
          `jsonSchema() of ${type} is an object`,
        ).toBe(true);
        expect(() => JSON.stringify(schema), `jsonSchema() of ${type} is JSON-serialisable`).not.toThrow();
      }),
    },
    {
      id: "package.example-parses",
      rule: "the config example shown in help parses with configClass.fromDict",
      run: eachAdapter(pkg, async (type, subpath) => {
        const { configClass } = await pkg.typedDefinition(type, subpath);
        const example = configClass.example;
        expect(typeof example === "object" && example !== null, `configClass.example of ${type}`).toBe(true);
        const config = configClass.fromDict({ type, ...example });
        expect(config.type, `type of the parsed example of ${type}`).toBe(type);
      }),
    },
    {
      id: "package.discovery",
      rule: "the registry discovers and loads every declared type from the package root, without errors",
      async run() {
        const registry = createL2AdapterRegistry({ root: pkg.dir, logger: silentLogger });
        const listed = await registry.list();
        for (const [type] of await pkg.adapters()) {
          const info = listed.find((t) => t.type === type);
          expect(info, `type ${type} is listed by discovery`).toBeDefined();
          expect(info?.error, `discovery problem for type ${type}`).toBeUndefined();
          const definition = await registry.get(type);
          expect(definition.type, `type loaded by the registry for ${type}`).toBe(type);
        }
      },
    },
    {
      id: "package.peer-core",
      rule: "@x/l2-core is a peerDependency (never a plain dependency, which would load two cores)",
      async run() {
        const json = await pkg.json();
        expect(json.peerDependencies?.["@x/l2-core"], 'peerDependencies["@x/l2-core"]').toBeTypeOf("string");
        expect(
          json.dependencies?.["@x/l2-core"],
          'dependencies["@x/l2-core"] (must be absent)',
        ).toBeUndefined();
      },
    },
  ];
}

export const PACKAGE_CASE_IDS: readonly string[] = Object.freeze(
  packageConformanceCases({ packageDir: "/" }).map((c) => c.id),
);
