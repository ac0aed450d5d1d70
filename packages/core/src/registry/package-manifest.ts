import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The package.json field an adapter package declares its types in. */
export const MANIFEST_FIELD = "x-l2";

export interface AdapterManifest {
  contract: unknown;
  adapters: Record<string, string>;
}

export interface PackageInfo {
  name: string;
  version: string;
  dir: string;
  json: Record<string, any>;
}

/** Reads and parses a package.json; undefined when it does not exist. */
export async function readPackageJson(file: string): Promise<Record<string, any> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const json = JSON.parse(text);
  return typeof json === "object" && json !== null ? json : undefined;
}

/**
 * Finds `<name>/package.json` the way Node resolves `<name>` from `root`, without importing anything.
 * Packages that do not export "./package.json" are found from their main entry.
 */
export async function resolvePackage(name: string, root: string): Promise<PackageInfo | undefined> {
  const require = createRequire(join(root, "package.json"));
  let file: string | undefined;
  try {
    file = require.resolve(`${name}/package.json`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") return undefined;
    file = (await findPackageJsonFromEntry(require, name)) ?? (await findInLookupPaths(require, name));
  }
  if (!file) return undefined;
  const json = await readPackageJson(file);
  if (!json) return undefined;
  return { name, version: String(json.version ?? "0.0.0"), dir: dirname(file), json };
}

async function findPackageJsonFromEntry(require: NodeJS.Require, name: string): Promise<string | undefined> {
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return undefined;
  }
  for (;;) {
    const candidate = join(dir, "package.json");
    const json = await readPackageJson(candidate).catch(() => undefined);
    if (json?.name === name) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * For a package whose exports offer neither "./package.json" nor a require-able main (an ESM-only
 * `{"import": ...}` map): the directories Node itself would search for `name`, in its order.
 */
async function findInLookupPaths(require: NodeJS.Require, name: string): Promise<string | undefined> {
  for (const dir of require.resolve.paths(name) ?? []) {
    const candidate = join(dir, name, "package.json");
    const json = await readPackageJson(candidate).catch(() => undefined);
    if (json?.name === name) return candidate;
  }
  return undefined;
}

/** Validates the shape of the `x-l2` field; returns a reason string when it is malformed. */
export function checkManifest(value: unknown): AdapterManifest | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `"${MANIFEST_FIELD}" must be an object like {"contract":1,"adapters":{"<type>":"<exports subpath>"}}`;
  }
  const { contract, adapters } = value as Record<string, unknown>;
  if (typeof adapters !== "object" || adapters === null || Array.isArray(adapters)) {
    return `"${MANIFEST_FIELD}.adapters" must map type names to exports subpaths`;
  }
  for (const [type, subpath] of Object.entries(adapters)) {
    if (typeof subpath !== "string" || !(subpath === "." || subpath.startsWith("./"))) {
      return `"${MANIFEST_FIELD}.adapters.${type}" must be an exports subpath such as "." or "./adapter"`;
    }
    if (!/^[a-z][a-z0-9_-]*$/.test(type)) {
      return `"${MANIFEST_FIELD}.adapters" type name "${type}" must be lowercase letters, digits, "-" or "_"`;
    }
  }
  return { contract, adapters: adapters as Record<string, string> };
}

/** Names of the application's direct dependencies, in package.json order. */
export function dependencyNames(appJson: Record<string, any>): string[] {
  const names = new Set<string>();
  for (const field of ["dependencies", "optionalDependencies", "devDependencies"]) {
    const deps = appJson[field];
    if (deps && typeof deps === "object") for (const name of Object.keys(deps)) names.add(name);
  }
  return [...names];
}
