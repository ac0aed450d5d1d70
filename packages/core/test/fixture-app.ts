import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const coreDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const mockDir = join(coreDir, "..", "mock");

/** Global list each fixture module appends its name to when it is evaluated: the lazy-loading probe. */
export const EVALUATED = "__x_l2_evaluated";
export function evaluated(): string[] {
  const g = globalThis as Record<string, unknown>;
  g[EVALUATED] ??= [];
  return g[EVALUATED] as string[];
}

export interface FixturePackage {
  name: string;
  /** package.json fields besides name/version/type (x-l2, exports, ...), or raw text for a malformed one. */
  json: Record<string, unknown> | string;
  /** Files relative to the package directory. */
  files?: Record<string, string>;
  /** Listed in the application's dependencies (default true). */
  dependency?: boolean;
}

export interface FixtureApp {
  root: string;
  packageDir(name: string): string;
  cleanup(): Promise<void>;
}

/**
 * A real application directory in os.tmpdir(): its package.json lists the fixture packages, which are
 * written into node_modules as an installer would. node_modules/@x/l2-core links to this package (its
 * built dist) and @x/l2-mock to the mock package, so fixture modules import the real core.
 */
export async function createFixtureApp(
  packages: readonly FixturePackage[],
  options: { withMock?: boolean; extraDependencies?: Record<string, string> } = {},
): Promise<FixtureApp> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "x-l2-registry-app-")));
  const modules = join(root, "node_modules");
  await mkdir(join(modules, "@x"), { recursive: true });
  await symlink(coreDir, join(modules, "@x", "l2-core"), "dir");
  const dependencies: Record<string, string> = { "@x/l2-core": "^0.1.0", ...options.extraDependencies };
  if (options.withMock) {
    await symlink(mockDir, join(modules, "@x", "l2-mock"), "dir");
    dependencies["@x/l2-mock"] = "^0.1.0";
  }
  for (const pkg of packages) {
    const dir = join(modules, pkg.name);
    await mkdir(dir, { recursive: true });
    const json =
      typeof pkg.json === "string"
        ? pkg.json
        : JSON.stringify({ name: pkg.name, version: "1.0.0", type: "module", ...pkg.json }, null, 2);
    await writeFile(join(dir, "package.json"), json);
    for (const [file, text] of Object.entries(pkg.files ?? {})) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), text);
    }
    if (pkg.dependency !== false) dependencies[pkg.name] = "1.0.0";
  }
  await writeFile(
    join(root, "package.json"),
    JSON.stringify({ name: "registry-test-app", private: true, type: "module", dependencies }, null, 2),
  );
  return {
    root,
    packageDir: (name) => join(modules, name),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Module text that records its evaluation, then runs `body`. */
export function probeModule(name: string, body: string): string {
  return `(globalThis.${EVALUATED} ??= []).push(${JSON.stringify(name)});\n${body}\n`;
}

/** A working adapter type module built with the real @x/l2-core. */
export function workingTypeModule(name: string, type: string): string {
  return probeModule(
    name,
    `import { Bitmap, defineL2AdapterConfig, defineL2AdapterType, L2AdapterBase, z } from "@x/l2-core";
class Config extends defineL2AdapterConfig(${JSON.stringify(type)},
  z.object({ slots: z.number().int().positive().describe("how many objects fit") }),
  { summary: "fixture adapter ${type}", example: { slots: 4 } }) {}
class MapAdapter extends L2AdapterBase {
  #objects = new Map();
  constructor(config, context) { super({ type: context.typeName, logger: context.logger }); this.slots = config.slots; }
  async _store(keys, objects) {
    let bytesWritten = 0;
    keys.forEach((k, i) => { if (!this.#objects.has(k.id)) { this.#objects.set(k.id, new Uint8Array(objects[i])); bytesWritten += objects[i].byteLength; } });
    return { ok: true, bytesWritten };
  }
  async _lookupAndLock(keys) { return Bitmap.fromBooleans(keys.map((k) => this.#objects.has(k.id))); }
  _unlock() {}
  async _load(keys, targets) {
    return Bitmap.fromBooleans(keys.map((k, i) => { const o = this.#objects.get(k.id); if (!o || o.byteLength !== targets[i].byteLength) return false; targets[i].set(o); return true; }));
  }
  async _delete(keys) { for (const k of keys) this.#objects.delete(k.id); }
}
export default defineL2AdapterType({ configClass: Config, create: (config, context) => new MapAdapter(config, context) });`,
  );
}

/** A definition as a plain object carrying the brand, without importing core (another copy's shape). */
export function plainDefinitionModule(name: string, type: string, contract = 1): string {
  return probeModule(
    name,
    `const configClass = {
  type: ${JSON.stringify(type)}, summary: "plain", example: {},
  fromDict(dict) { if (typeof dict !== "object" || dict === null) throw new Error("not an object"); return Object.freeze({ type: ${JSON.stringify(type)}, toDict: () => ({ type: ${JSON.stringify(type)} }) }); },
  help() { return "L2 adapter type ${type}: plain"; },
  jsonSchema() { return { type: "object" }; },
};
export default { [Symbol.for("x-l2.adapter-type")]: true, type: ${JSON.stringify(type)}, contract: ${contract}, summary: "plain", configClass, create() { return {}; } };`,
  );
}

/** package.json fields for a package declaring `types` (type → file) through the x-l2 field. */
export function adapterPackageJson(
  types: Record<string, string>,
  contract: unknown = 1,
): Record<string, unknown> {
  const exports: Record<string, string> = { "./package.json": "./package.json" };
  const adapters: Record<string, string> = {};
  for (const [type, file] of Object.entries(types)) {
    exports[`./${type}`] = `./${file}`;
    adapters[type] = `./${type}`;
  }
  return { exports, "x-l2": { contract, adapters } };
}
