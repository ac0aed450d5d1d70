import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type PackageInfo, readPackageJson } from "../registry/package-manifest.js";

/**
 * Finds the installed package `name` the way Node looks for it from `<root>/package.json`: the
 * application itself when it has that name (self-reference), else the first `node_modules/<name>` up the
 * tree. Reads package.json only, so a package whose "exports" hides package.json, or whose build output
 * is missing, is still found (and then reported precisely).
 */
export async function findInstalledPackage(name: string, root: string): Promise<PackageInfo | undefined> {
  const appFile = join(root, "package.json");
  const app = await readPackageJson(appFile).catch(() => undefined);
  if (app?.name === name && app.exports !== undefined) return info(name, appFile, app);
  const require = createRequire(appFile);
  for (const dir of require.resolve.paths(name) ?? []) {
    const file = join(dir, name, "package.json");
    const json = await readPackageJson(file);
    if (json) return info(name, file, json);
  }
  return undefined;
}

function info(name: string, file: string, json: Record<string, any>): PackageInfo {
  return { name, version: String(json.version ?? "0.0.0"), dir: dirname(file), json };
}
