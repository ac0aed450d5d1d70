import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { SUPPORTED_CONTRACTS } from "../adapter-type.js";
import type { L2ErrorCode } from "../errors.js";
import type { L2Logger } from "../logger.js";
import { findInstalledPackage, type PackageInfo, readPackageJson } from "./installed-package.js";
import { type AdapterMedium, checkManifest, dependencyNames, MANIFEST_FIELD } from "./manifest.js";
import { incompatibleContract } from "./registry-errors.js";

export interface L2AdapterTypeInfo {
  readonly type: string;
  /** "code": registered with registerL2AdapterType; "package": declared in an installed package.json. */
  readonly source: "code" | "package";
  /** True for the types @x/l2-core itself provides (`plugin`). */
  readonly builtIn?: boolean | undefined;
  readonly packageName?: string | undefined;
  readonly version?: string | undefined;
  /** The exports subpath whose default export defines the type. */
  readonly entry?: string | undefined;
  /** What the type stores on, when its package declares it (`x-l2.media`). */
  readonly medium?: AdapterMedium | undefined;
  /** Set when a further discovery root (not the application) led to the package: that root. */
  readonly discoveryRoot?: string | undefined;
  /** A problem known without importing anything (bad manifest, incompatible contract, duplicate type). */
  readonly error?: { readonly code: L2ErrorCode; readonly message: string } | undefined;
}

/** A type declared by an installed package, not imported yet. */
export interface DiscoveredType {
  readonly info: L2AdapterTypeInfo;
  readonly pkg: PackageInfo;
  /** The root whose package.json led to the package. */
  readonly root: string;
}

/** The packages one root offers: itself when it is an adapter package, then its direct dependencies. */
async function adapterPackagesOf(
  root: string,
  includeDev: boolean,
  logger: L2Logger,
): Promise<PackageInfo[]> {
  let appJson: Record<string, any> | undefined;
  try {
    appJson = await readPackageJson(join(root, "package.json"));
  } catch (error) {
    logger.warn("cannot read a discovery root's package.json; no adapter packages discovered from it", {
      root,
      error: String(error),
    });
  }
  if (!appJson) return [];
  const packages: PackageInfo[] = [];
  // The application itself may be an adapter package (an author running its own tests).
  if (appJson[MANIFEST_FIELD] !== undefined && typeof appJson.name === "string") {
    packages.push({
      name: appJson.name,
      version: String(appJson.version ?? "0.0.0"),
      dir: root,
      json: appJson,
    });
  }
  const deps = await Promise.all(
    dependencyNames(appJson, includeDev).map((name) =>
      findInstalledPackage(name, root, appJson).catch(() => undefined),
    ),
  );
  for (const pkg of deps) if (pkg && pkg.json[MANIFEST_FIELD] !== undefined) packages.push(pkg);
  return packages;
}

/**
 * Reads the package.json files of each root and its direct dependencies (nothing is imported). Roots
 * are searched in order and the first declaration of a type wins: the application's own choice beats a
 * tool's bundled default. Two packages of one root declaring a type is worth a warning.
 */
export async function discoverAdapterTypes(
  roots: readonly string[],
  logger: L2Logger,
): Promise<Map<string, DiscoveredType>> {
  const found = new Map<string, DiscoveredType>();
  // A further root (a tool's own package) offers what it ships with: its dev dependencies are not installed
  // alongside it, and in a workspace they would add types the application never chose.
  const perRoot = await Promise.all(roots.map((root, i) => adapterPackagesOf(root, i === 0, logger)));
  for (const [i, packages] of perRoot.entries()) {
    const root = roots[i]!;
    for (const pkg of packages) {
      const manifest = checkManifest(pkg.json[MANIFEST_FIELD]);
      const base = {
        source: "package" as const,
        packageName: pkg.name,
        version: pkg.version,
        ...(i > 0 ? { discoveryRoot: root } : {}),
      };
      if (typeof manifest === "string") {
        const type = `${pkg.name} (invalid manifest)`;
        if (!found.has(type)) {
          found.set(type, {
            pkg,
            root,
            info: { ...base, type, error: { code: "ADAPTER_INVALID", message: `${pkg.name}: ${manifest}` } },
          });
        }
        continue;
      }
      for (const [type, entry] of Object.entries(manifest.adapters)) {
        let error: L2AdapterTypeInfo["error"];
        if (!SUPPORTED_CONTRACTS.includes(manifest.contract as number)) {
          const e = incompatibleContract(type, manifest.contract, pkg.name);
          error = { code: e.code, message: e.message };
        }
        const previous = found.get(type);
        if (previous) {
          if (previous.root === root && previous.pkg.dir !== pkg.dir) {
            logger.warn(
              `adapter type "${type}" is declared by ${previous.info.packageName} and ${pkg.name}; using the first`,
            );
          }
          continue;
        }
        const medium = manifest.media[type];
        found.set(type, {
          pkg,
          root,
          info: { ...base, type, entry, ...(medium ? { medium } : {}), error },
        });
      }
    }
  }
  return found;
}

/**
 * For the message of an unknown type: an installed package under `<root>/node_modules` that declares
 * it, though the application does not depend on it. Read only on that error path.
 */
export async function findUndeclaredProvider(type: string, root: string): Promise<string | undefined> {
  const modules = join(root, "node_modules");
  const names: string[] = [];
  const list = async (dir: string) => readdir(dir).catch(() => [] as string[]);
  for (const entry of await list(modules)) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@"))
      for (const sub of await list(join(modules, entry))) names.push(`${entry}/${sub}`);
    else names.push(entry);
  }
  for (const name of names.slice(0, 5000)) {
    const json = await readPackageJson(join(modules, name, "package.json")).catch(() => undefined);
    const adapters = json?.[MANIFEST_FIELD]?.adapters;
    if (adapters && typeof adapters === "object" && Object.hasOwn(adapters, type)) return name;
  }
  return undefined;
}
