import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createConsoleLogger, L2AdapterRegistry, type L2AdapterTypeInfo } from "@x/l2-core";

/** The CLI's own package directory (dist/..): its dependencies are the adapters x-l2 ships with. */
const CLI_PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

/**
 * The registry the CLI works with: rooted at `root` (the application whose package.json lists its
 * adapters), then the CLI's own package, so the mock it depends on is found by the same discovery when
 * the application provides none.
 */
export function createCliRegistry(
  root: string = process.cwd(),
  options: { allowModulePaths?: boolean } = {},
): L2AdapterRegistry {
  return new L2AdapterRegistry({
    root: resolve(root),
    discoveryRoots: [CLI_PACKAGE_DIR],
    allowModulePaths: options.allowModulePaths ?? false,
    logger: createConsoleLogger("registry"),
  });
}

/** One row of `x-l2 types`, JSON-friendly. */
export interface TypeRow {
  type: string;
  source: L2AdapterTypeInfo["source"];
  package: string | null;
  version: string | null;
  entry: string | null;
  medium: string | null;
  note: string | null;
  problem: { code: string; message: string } | null;
}

function coreVersion(): string | null {
  try {
    return String(createRequire(import.meta.url)("@x/l2-core/package.json").version);
  } catch {
    return null;
  }
}

export async function listTypeRows(registry: L2AdapterRegistry): Promise<TypeRow[]> {
  const infos = await registry.list();
  return infos.map((info) => {
    const bundled = info.discoveryRoot !== undefined;
    return {
      type: info.type,
      source: info.source,
      package: info.packageName ?? (info.builtIn ? "@x/l2-core" : null),
      version: info.version ?? (info.builtIn ? coreVersion() : null),
      entry: info.entry ?? null,
      medium: info.medium ?? null,
      note: info.builtIn ? "built into @x/l2-core" : bundled ? "bundled with x-l2" : null,
      problem: info.error ? { code: info.error.code, message: info.error.message } : null,
    };
  });
}
