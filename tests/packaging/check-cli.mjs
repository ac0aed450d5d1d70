// The x-l2 command (@x/l2-cli's bin) in the application: `types` lists exactly the installed types,
// `describe` and `check` work for the third-party type, `bench` round-trips (verifying every byte)
// through inmemory and plugin, and a module path needs the global --allow-module-paths flag.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listL2AdapterTypes } from "@x/l2-core";

const cliJson = JSON.parse(readFileSync(join("node_modules", "@x", "l2-cli", "package.json"), "utf8"));
const binFile = join("node_modules", "@x", "l2-cli", cliJson.bin?.["x-l2"] ?? "missing");
assert.ok(existsSync(binFile), `@x/l2-cli ships its bin ${binFile}`);
assert.ok(existsSync(join("node_modules", ".bin", "x-l2")), "npm linked the x-l2 bin");

function x2(...args) {
  const run = spawnSync("npx", ["--no-install", "x-l2", ...args], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, output: `${run.stdout}${run.stderr}` };
}

const table = x2("types");
assert.equal(table.status, 0, table.output);
console.log(table.stdout.trimEnd());

const rows = JSON.parse(x2("types", "--json").stdout);
const expected = await listL2AdapterTypes();
assert.deepEqual(
  rows.map((r) => [r.type, r.package]),
  expected.map((t) => [t.type, t.packageName ?? "@x/l2-core"]),
  "x-l2 types lists exactly the installed types",
);
assert.deepEqual(
  rows.filter((r) => r.problem).map((r) => [r.type, r.problem.code]),
  [["incompatible", "ADAPTER_INCOMPATIBLE"]],
);

const describe = x2("describe", "inmemory");
assert.equal(describe.status, 0, describe.output);
assert.match(describe.stdout, /max_size_gb \(number, optional, default 0\.5\)/);

const example = {
  type: "plugin",
  module_path: "kvstash-l2-inmemory",
  class_name: "InMemoryL2Adapter",
  adapter_params: { max_size_gb: 0.1, mock_bandwidth_gb: 50 },
};
const check = x2("check", "--l2-adapter", JSON.stringify(example), "--l2-adapter", '{"type":"inmemory"}');
assert.equal(check.status, 0, check.output);

const bench = (...args) => x2(...args, "--num-keys", "8", "--chunk-size", "64KiB", "--rounds", "1", "--json");
for (const config of [{ type: "inmemory", max_size_gb: 0.1, mock_bandwidth_gb: 50 }, example]) {
  const run = bench("bench", "--l2-adapter", JSON.stringify(config));
  assert.equal(run.status, 0, run.output);
  console.log(`x-l2 bench through ${config.type}: exit 0, every loaded byte verified`);
}

const local = JSON.stringify({
  type: "plugin",
  module_path: "./local-adapter.js",
  class_name: "LocalAdapter",
  adapter_params: { max_size_gb: 0.1 },
});
const refused = bench("bench", "--l2-adapter", local);
assert.notEqual(refused.status, 0, "a module path is refused without --allow-module-paths");
assert.match(refused.output, /PLUGIN_MODULE_NOT_ALLOWED/);
const allowed = bench("--allow-module-paths", "bench", "--l2-adapter", local);
assert.equal(allowed.status, 0, allowed.output);
console.log("x-l2 --allow-module-paths bench through ./local-adapter.js: exit 0 (refused without the flag)");
console.log("check-cli passed");
