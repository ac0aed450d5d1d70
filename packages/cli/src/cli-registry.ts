import { createRequire } from "node:module";
import { resolve } from "node:path";
import { createConsoleLogger, L2AdapterRegistry, type L2AdapterTypeInfo } from "@x/l2-core";
import { mockAdapterType } from "@x/l2-mock";

const require = createRequire(import.meta.url);

export interface CliRegistry {
  readonly registry: L2AdapterRegistry;
  /** Where a type the CLI registered itself comes from (for `x-l2 types`). */
  readonly bundled: ReadonlyMap<string, { packageName: string; version: string; note: string }>;
}

function packageVersion(name: string): string {
  try {
    return String((require(`${name}/package.json`) as { version?: unknown }).version ?? "?");
  } catch {
    return "?";
  }
}

/**
 * The registry the CLI works with: rooted at `root` (the application whose package.json lists its
 * adapters), plus the mock type from the CLI's own dependency when the application does not provide
 * one, so `x-l2 bench` always has an adapter that needs nothing installed.
 */
export async function createCliRegistry(
  root: string = process.cwd(),
  options: { allowModulePaths?: boolean } = {},
): Promise<CliRegistry> {
  const registry = new L2AdapterRegistry({
    root: resolve(root),
    allowModulePaths: options.allowModulePaths ?? false,
    logger: createConsoleLogger("registry"),
  });
  const bundled = new Map<string, { packageName: string; version: string; note: string }>();
  bundled.set("plugin", {
    packageName: "@x/l2-core",
    version: packageVersion("@x/l2-core"),
    note: "built into @x/l2-core",
  });
  const names = await registry.listTypeNames();
  if (!names.includes(mockAdapterType.type)) {
    registry.register(mockAdapterType);
    bundled.set(mockAdapterType.type, {
      packageName: "@x/l2-mock",
      version: packageVersion("@x/l2-mock"),
      note: "bundled with x-l2",
    });
  }
  return { registry, bundled };
}

/** One row of `x-l2 types`, JSON-friendly. */
export interface TypeRow {
  type: string;
  source: L2AdapterTypeInfo["source"];
  package: string | null;
  version: string | null;
  entry: string | null;
  note: string | null;
  problem: { code: string; message: string } | null;
}

export async function listTypeRows(cli: CliRegistry): Promise<TypeRow[]> {
  const infos = await cli.registry.list();
  return infos.map((info) => {
    const bundled = info.source === "code" ? cli.bundled.get(info.type) : undefined;
    return {
      type: info.type,
      source: info.source,
      package: info.packageName ?? bundled?.packageName ?? null,
      version: info.version ?? bundled?.version ?? null,
      entry: info.entry ?? null,
      note: bundled?.note ?? null,
      problem: info.error ? { code: info.error.code, message: info.error.message } : null,
    };
  });
}
