import { readFile, realpath } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// Needed only when a type is loaded, not to list types, so required on first use (it ships CommonJS).
let resolveExports: typeof import("resolve.exports").exports | undefined;

/** An installed package: its name, version, real directory and parsed package.json. */
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
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
  const json = JSON.parse(text);
  return typeof json === "object" && json !== null && !Array.isArray(json) ? json : undefined;
}

/**
 * Finds the installed package `name` the way Node looks for it from `<root>/package.json`: the
 * application itself when it has that name and an "exports" map (self-reference), else the first
 * `node_modules/<name>` up the tree. Reads package.json only, so a package whose "exports" hides
 * package.json, or whose build output is missing, is still found (and then reported precisely).
 */
export async function findInstalledPackage(
  name: string,
  root: string,
  /** The root's package.json when the caller has read it already (discovery asks for many names). */
  rootJson?: Record<string, any>,
): Promise<PackageInfo | undefined> {
  const appFile = join(root, "package.json");
  const app = rootJson ?? (await readPackageJson(appFile).catch(() => undefined));
  if (app?.name === name && app.exports !== undefined) return info(name, appFile, app);
  for (const dir of createRequire(appFile).resolve.paths(name) ?? []) {
    const file = join(dir, name, "package.json");
    const json = await readPackageJson(file);
    if (json) return info(name, await realpath(file), json);
  }
  return undefined;
}

function info(name: string, file: string, json: Record<string, any>): PackageInfo {
  return { name, version: String(json.version ?? "0.0.0"), dir: dirname(file), json };
}

/**
 * The file (relative to the package directory) that Node imports for `subpath` ("." or "./x") of a
 * package: through its "exports" map with the node and import conditions when it has one, else its
 * "main" (or index.js) for ".", else the subpath itself. Node ignores the "module" field, so this does
 * too. Undefined when "exports" does not export the subpath.
 */
export function resolvePackageEntry(packageJson: Record<string, any>, subpath = "."): string | undefined {
  if (packageJson.exports !== undefined) {
    try {
      resolveExports ??= (
        createRequire(import.meta.url)("resolve.exports") as typeof import("resolve.exports")
      ).exports;
      return resolveExports(packageJson, subpath, { conditions: ["node", "import"] })?.[0];
    } catch {
      return undefined;
    }
  }
  if (subpath !== ".") return subpath;
  return typeof packageJson.main === "string" ? packageJson.main : "./index.js";
}
