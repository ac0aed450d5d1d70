// A project that bundles @x/l2-core with esbuild must get no warning (no dynamic require of optional
// packages), and the bundle must still discover and load the adapters installed next to it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// argv[2]: the directory of the esbuild package (the workspace's, found through tsup by run.sh).
const esbuildDir = process.argv[2];
const esbuild = createRequire(join(esbuildDir, "package.json"))(esbuildDir);
const result = await esbuild.build({
  entryPoints: ["bundle-entry.mjs"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile: "bundle/app.mjs",
  logLevel: "silent",
  metafile: true,
});
const messages = await esbuild.formatMessages(result.warnings, { kind: "warning" });
assert.deepEqual(messages, [], `esbuild warnings:\n${messages.join("\n")}`);
const inputs = Object.keys(result.metafile.inputs);
assert.ok(
  inputs.some((i) => i.includes("node_modules/@x/l2-core/")),
  "core is in the bundle",
);
// Core names no adapter package statically: nothing optional is pulled in (or required at runtime).
const adapters = inputs.filter((i) => /node_modules\/(@x\/l2-(?!core\/)|kvstash-|l2-fixture-)/.test(i));
assert.deepEqual(adapters, [], "adapter packages are discovered at runtime, never bundled");
const bundled = readFileSync("bundle/app.mjs", "utf8");
assert.ok(!bundled.includes("Dynamic require of"), "no require() shim that would throw in ESM");
console.log(`esbuild: ${inputs.length} inputs bundled, 0 warnings`);

const output = JSON.parse(execFileSync(process.execPath, ["bundle/app.mjs"], { encoding: "utf8" }));
assert.ok(output.types.includes("inmemory") && output.types.includes("plugin"), JSON.stringify(output));
assert.deepEqual(output.results, { inmemory: true, plugin: true });
console.log(`bundled app: types ${output.types.join(", ")}; round trips ${JSON.stringify(output.results)}`);
