import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const coreDir = fileURLToPath(new URL("../../../core", import.meta.url));

/** How a fixture adapter package differs from a correct one. */
export interface FixtureChanges {
  /** Edits the package.json object in place. */
  packageJson?: (json: Record<string, any>) => void;
  /** Replaces dist/definition.js; null leaves the file out (an unbuilt package). */
  definitionJs?: string | null;
}

export const GOOD_DEFINITION_JS = `import { defineL2AdapterConfig, defineL2AdapterType, z } from "@x/l2-core";

export class FixtureConfig extends defineL2AdapterConfig(
  "fixture",
  z.object({ size_gb: z.number().positive().describe("capacity in GiB") }),
  { summary: "fixture adapter package for the package checks", example: { size_gb: 1 } },
) {}

export default defineL2AdapterType({
  configClass: FixtureConfig,
  create: () => {
    throw new Error("package checks never create fixture adapters");
  },
});
`;

function goodPackageJson(): Record<string, any> {
  return {
    name: "fixture-l2-adapter",
    version: "1.0.0",
    type: "module",
    exports: {
      "./adapter": { types: "./dist/definition.d.ts", default: "./dist/definition.js" },
      "./package.json": "./package.json",
    },
    "x-l2": { contract: 1, adapters: { fixture: "./adapter" } },
    peerDependencies: { "@x/l2-core": "^0.1.0" },
  };
}

/** A root whose node_modules links the real @x/l2-core, so fixture packages import it like installed ones. */
export async function prepareFixtureRoot(root: string): Promise<void> {
  await mkdir(join(root, "node_modules", "@x"), { recursive: true });
  await symlink(coreDir, join(root, "node_modules", "@x", "l2-core"), "dir");
}

/** Writes an adapter package under `root/<name>` and returns its directory. */
export async function writeFixturePackage(
  root: string,
  name: string,
  changes: FixtureChanges = {},
): Promise<string> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "dist"), { recursive: true });
  const json = goodPackageJson();
  changes.packageJson?.(json);
  await writeFile(join(dir, "package.json"), JSON.stringify(json, null, 2));
  const js = changes.definitionJs === undefined ? GOOD_DEFINITION_JS : changes.definitionJs;
  if (js !== null) await writeFile(join(dir, "dist", "definition.js"), js);
  return dir;
}
