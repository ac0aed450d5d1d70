import { cp, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = join(here, "fixtures");
const coreDir = join(here, "..", "..");

export interface TempApp {
  readonly root: string;
  cleanup(): Promise<void>;
}

/**
 * A real application directory outside the workspace: package.json, node_modules/@x/l2-core linked to
 * this package (its built dist), the fixture packages copied in as an installer would, and optionally
 * a second, nested copy of core for `second-copy-plugin`.
 */
export async function createTempApp(fixtures: readonly string[]): Promise<TempApp> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "x-l2-plugin-app-")));
  const modules = join(root, "node_modules");
  await mkdir(join(modules, "@x"), { recursive: true });
  await symlink(coreDir, join(modules, "@x", "l2-core"), "dir");
  const dependencies: Record<string, string> = { "@x/l2-core": "^0.1.0" };
  for (const name of fixtures) {
    await cp(join(fixturesDir, name), join(modules, name), { recursive: true });
    dependencies[name] = "1.0.0";
  }
  if (fixtures.includes("second-copy-plugin")) await installSecondCore(modules);
  await cp(join(fixturesDir, "local"), root, { recursive: true });
  await writeFile(
    join(root, "package.json"),
    JSON.stringify({ name: "plugin-test-app", private: true, type: "module", dependencies }, null, 2),
  );
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A byte-for-byte copy of core's package.json and dist, nested under the plugin like npm would. */
async function installSecondCore(modules: string): Promise<void> {
  const target = join(modules, "second-copy-plugin", "node_modules", "@x", "l2-core");
  await mkdir(target, { recursive: true });
  await cp(join(coreDir, "package.json"), join(target, "package.json"));
  await cp(join(coreDir, "dist"), join(target, "dist"), { recursive: true });
  // The copy's own dependencies, hoisted to the application as an installer would.
  for (const dep of ["zod", "fastest-levenshtein", "resolve.exports"]) {
    await symlink(await realpath(join(coreDir, "node_modules", dep)), join(modules, dep), "dir");
  }
}
