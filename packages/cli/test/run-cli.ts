import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = join(here, "..", "dist", "bin.js");
const PACKAGES = join(here, "..", "..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `x-l2` exactly as a user does: a new node process, real exit code and streams. */
export function runCli(args: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? join(here, ".."),
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Links a workspace package into `<app>/node_modules/<name>`, as an install would. */
async function linkPackage(app: string, name: string, dir: string): Promise<void> {
  const target = join(app, "node_modules", name);
  await mkdir(dirname(target), { recursive: true });
  await symlink(join(PACKAGES, dir), target, "dir");
}

async function writePackage(app: string, name: string, files: Record<string, string>): Promise<void> {
  const dir = join(app, "node_modules", name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
}

/**
 * A test-only adapter type "corrupt": the mock adapter, except that every load flips one byte in the
 * middle of each target it reports as a hit. A bench that verifies bytes must catch it.
 */
const CORRUPT_ADAPTER = `
import { defineL2AdapterConfig, defineL2AdapterType, z } from "@x/l2-core";
import { MockL2Adapter } from "@x/l2-mock";

class CorruptConfig extends defineL2AdapterConfig(
  "corrupt",
  z.object({ max_size_gb: z.number().positive(), mock_bandwidth_gb: z.number().positive() }),
  { summary: "test-only: the mock adapter with one flipped byte per loaded chunk", example: { max_size_gb: 1, mock_bandwidth_gb: 10 } },
) {}

class CorruptAdapter extends MockL2Adapter {
  async _load(keys, targets) {
    const bitmap = await super._load(keys, targets);
    for (const i of bitmap.indices()) targets[i][targets[i].length >> 1] ^= 0xff;
    return bitmap;
  }
}

export default defineL2AdapterType({
  configClass: CorruptConfig,
  create: (config, context) => new CorruptAdapter(config, context),
});
`;

/** A test-only adapter with a base_path (kept in memory): lets bench treat it as a file adapter. */
const PATH_ADAPTER = `
import { defineL2AdapterConfig, defineL2AdapterType, z } from "@x/l2-core";
import { MockL2Adapter } from "@x/l2-mock";

class PathConfig extends defineL2AdapterConfig(
  "pathmock",
  z.object({ base_path: z.string().min(1) }),
  { summary: "test-only: a mock adapter configured with a base_path", example: { base_path: "/tmp/x" } },
) {}

export default defineL2AdapterType({
  configClass: PathConfig,
  create: (config, context) => new MockL2Adapter({ maxSizeGb: 1, mockBandwidthGb: 100 }, context),
});
`;

/** A plugin module named by file path: a class taking LMCache-style raw params. */
const PLUGIN_MODULE = `
import { MockL2Adapter } from "@x/l2-mock";

export class TinyAdapter extends MockL2Adapter {
  constructor(params, context) {
    super({ maxSizeGb: params.max_size_gb, mockBandwidthGb: params.mock_bandwidth_gb }, context);
  }
}
`;

export interface TestApp {
  dir: string;
  remove(): Promise<void>;
}

/**
 * A temporary application directory with a package.json and node_modules: @x/l2-core and @x/l2-mock
 * linked from the workspace (when `withMock`), the test-only "corrupt" adapter package, and a package
 * whose manifest declares an unsupported contract (a problem `x-l2 types` must show).
 */
export async function createTestApp(options: {
  withMock: boolean;
  withAdapters: boolean;
  /** "undeclared": in node_modules but not in package.json, as after a removed dependency. */
  withFs?: boolean | "undeclared";
}): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), "x-l2-cli-app-"));
  const dependencies: Record<string, string> = {};
  await linkPackage(dir, "@x/l2-core", "core");
  if (options.withMock) {
    await linkPackage(dir, "@x/l2-mock", "mock");
    dependencies["@x/l2-mock"] = "^0.1.0";
  }
  if (options.withFs) {
    await linkPackage(dir, "@x/l2-fs", "fs");
    if (options.withFs === true) dependencies["@x/l2-fs"] = "^0.1.0";
  }
  if (options.withAdapters) {
    if (!options.withMock) await linkPackage(dir, "@x/l2-mock", "mock");
    await writePackage(dir, "corrupt-adapter", {
      "package.json": JSON.stringify({
        name: "corrupt-adapter",
        version: "3.1.4",
        type: "module",
        exports: { ".": "./index.js", "./adapter": "./index.js", "./package.json": "./package.json" },
        "x-l2": { contract: 1, adapters: { corrupt: "./adapter" } },
      }),
      "index.js": CORRUPT_ADAPTER,
    });
    await writePackage(dir, "future-adapter", {
      "package.json": JSON.stringify({
        name: "future-adapter",
        version: "9.0.0",
        type: "module",
        exports: { "./adapter": "./index.js", "./package.json": "./package.json" },
        "x-l2": { contract: 99, adapters: { future: "./adapter" } },
      }),
      "index.js": "export default {};\n",
    });
    await writePackage(dir, "path-adapter", {
      "package.json": JSON.stringify({
        name: "path-adapter",
        version: "1.0.0",
        type: "module",
        exports: { "./adapter": "./index.js", "./package.json": "./package.json" },
        "x-l2": { contract: 1, adapters: { pathmock: "./adapter" }, media: { pathmock: "file" } },
      }),
      "index.js": PATH_ADAPTER,
    });
    dependencies["path-adapter"] = "^1.0.0";
    await writeFile(join(dir, "tiny-plugin.mjs"), PLUGIN_MODULE);
    dependencies["corrupt-adapter"] = "^3.1.4";
    dependencies["future-adapter"] = "^9.0.0";
  }
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name: "test-app", version: "1.0.0", private: true, dependencies }, null, 2),
  );
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
