// Runs inside the temporary application made by run.sh. Everything comes from its node_modules.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createL2AdapterRegistry,
  isL2Error,
  L2AdapterBase,
  listL2AdapterTypes,
  ObjectKey,
  parseL2AdapterArgs,
  silentLogger,
} from "@x/l2-core";

const app = realpathSync(process.cwd());
const modules = join(app, "node_modules");
const appJson = JSON.parse(readFileSync(join(app, "package.json"), "utf8"));
const installed = Object.keys(appJson.dependencies);

// ---- what was installed, read straight from package.json files ---------------------------------------
const expected = new Map([["plugin", undefined]]);
for (const name of installed) {
  const json = JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8"));
  for (const type of Object.keys(json["x-l2"]?.adapters ?? {})) expected.set(type, name);
}
for (const [type, pkg] of [
  ["inmemory", "kvstash-l2-inmemory"],
  ["mock", "@x/l2-mock"],
  ["unbuilt", "l2-fixture-unbuilt"],
  ["depmissing", "l2-fixture-dep-missing"],
  ["incompatible", "l2-fixture-incompatible"],
  ["badexport", "l2-fixture-bad-export"],
  ["throws", "l2-fixture-throws"],
]) {
  assert.equal(expected.get(type), pkg, `${pkg} must declare type ${type}`);
}
// fs is the first-party adapter with a real backend: it must be declared and shipped.
const fsJson = JSON.parse(readFileSync(join(modules, "@x", "l2-fs", "package.json"), "utf8"));
const fsEntry = fsJson.exports?.[fsJson["x-l2"]?.adapters?.fs ?? "-"];
const fsFile = typeof fsEntry === "string" ? fsEntry : fsEntry?.default;
const fsReady =
  expected.get("fs") === "@x/l2-fs" && !!fsFile && existsSync(join(modules, "@x", "l2-fs", fsFile));
assert.ok(fsReady, "@x/l2-fs declares the fs type and ships its entry");

const types = await listL2AdapterTypes();
assert.deepEqual(
  types.map((t) => [t.type, t.packageName]),
  [...expected].sort(([a], [b]) => (a < b ? -1 : 1)),
  "listL2AdapterTypes() lists exactly the installed types",
);
assert.deepEqual(
  types.filter((t) => t.error).map((t) => [t.type, t.error.code]),
  [["incompatible", "ADAPTER_INCOMPATIBLE"]],
  "only the incompatible contract is known to be broken without importing anything",
);
console.log(`types: ${types.map((t) => t.type).join(", ")}`);

// ---- round trips through every working type --------------------------------------------------------
const registry = createL2AdapterRegistry({ root: app, logger: silentLogger });
const fsBase = mkdtempSync(join(tmpdir(), "x-l2-packaging-fs-"));
const small = { max_size_gb: 0.01, mock_bandwidth_gb: 100 };
const working = {
  mock: { type: "mock", ...small },
  inmemory: { type: "inmemory", ...small },
  "plugin (kvstash-l2-inmemory)": {
    type: "plugin",
    module_path: "kvstash-l2-inmemory",
    class_name: "InMemoryL2Adapter",
    adapter_params: small,
  },
  "plugin (@x/l2-mock)": {
    type: "plugin",
    module_path: "@x/l2-mock",
    class_name: "MockL2Adapter",
    adapter_params: small,
  },
  fs: { type: "fs", base_path: fsBase },
};
let round = 0;

async function roundTrip(label, dict, r = registry) {
  round += 1;
  const adapter = await r.create(dict, { logger: silentLogger });
  const keys = [1, 2].map(
    (n) =>
      new ObjectKey({
        chunkHash: new Uint8Array([n, round & 0xff, round >> 8]),
        modelName: "pack",
        kvRank: 0,
      }),
  );
  const objects = keys.map((_, i) => new Uint8Array(128 * 1024).fill((round + i) & 0xff));
  const stored = await adapter.store(keys, objects);
  assert.equal(stored.ok, true, `${label}: store`);
  const found = await adapter.lookupAndLock(keys);
  assert.deepEqual([found.test(0), found.test(1)], [true, true], `${label}: lookupAndLock`);
  const targets = keys.map(() => new Uint8Array(128 * 1024));
  const loaded = await adapter.load(keys, targets);
  adapter.unlock(keys);
  assert.deepEqual([loaded.test(0), loaded.test(1)], [true, true], `${label}: load`);
  assert.deepEqual(targets, objects, `${label}: bytes`);
  await adapter.close();
  return adapter;
}

async function everyTypeWorks(after) {
  for (const [label, dict] of Object.entries(working)) {
    try {
      await roundTrip(label, dict);
    } catch (error) {
      throw new Error(`${label} broke after ${after}: ${error?.message ?? error}`, { cause: error });
    }
  }
}

await everyTypeWorks("nothing");
const pluginAdapter = await roundTrip("plugin", working["plugin (kvstash-l2-inmemory)"]);
assert.equal(pluginAdapter.type, "plugin");
console.log(`round trips ok: ${Object.keys(working).join(", ")}`);

// ---- failures: exact code and message, and every other type keeps working ----------------------------
async function expectFailure(label, action, code, message) {
  let error;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  assert.ok(isL2Error(error), `${label}: expected an L2Error, got ${error}`);
  assert.equal(error.code, code, `${label}: code (message: ${error.message})`);
  assert.equal(error.message, message, `${label}: message`);
  await everyTypeWorks(label);
  console.log(`${label}: ${code}`);
}

const file = (...parts) => join(modules, ...parts);
const create = (dict) => () => registry.create(dict, { logger: silentLogger });
const plugin = (module_path, class_name, extra = {}) =>
  create({ type: "plugin", module_path, class_name, ...extra });

await expectFailure(
  "unknown type",
  create({ type: "redis" }),
  "ADAPTER_UNKNOWN",
  `adapter config: unknown adapter type "redis"; known types: ${[...expected.keys()].sort().join(", ")}`,
);
// Core knows no adapter package names: a first-party type that is not installed is just unknown.
await expectFailure(
  "first-party type not installed",
  create({ type: "pd" }),
  "ADAPTER_UNKNOWN",
  `adapter config: unknown adapter type "pd"; known types: ${[...expected.keys()].sort().join(", ")}`,
);
await expectFailure(
  "package declared but its entry not shipped",
  () => registry.get("unbuilt"),
  "ADAPTER_NOT_INSTALLED",
  `adapter type "unbuilt": package l2-fixture-unbuilt is not installed or not built (missing ${file("l2-fixture-unbuilt", "lib", "definition.js")}); run: npm install l2-fixture-unbuilt`,
);
await expectFailure(
  "plugin module not installed",
  plugin("kvstash-l2-redis", "RedisL2Adapter"),
  "PLUGIN_MODULE_NOT_FOUND",
  `plugin: module "kvstash-l2-redis" is not installed: package kvstash-l2-redis cannot be resolved from ${join(app, "package.json")}; run: npm install kvstash-l2-redis`,
);
await expectFailure(
  "inner dependency missing",
  () => registry.get("depmissing"),
  "ADAPTER_DEPENDENCY_MISSING",
  'adapter type "depmissing": package l2-fixture-dep-missing needs "l2-fixture-absent-client", which is not installed; install it next to l2-fixture-dep-missing',
);
await expectFailure(
  "plugin inner dependency missing",
  plugin("l2-fixture-dep-missing", "DepMissingAdapter"),
  "PLUGIN_DEPENDENCY_MISSING",
  'plugin: module "l2-fixture-dep-missing" imports "l2-fixture-absent-client", which is not installed; run: npm install l2-fixture-absent-client',
);
await expectFailure(
  "incompatible contract",
  () => registry.get("incompatible"),
  "ADAPTER_INCOMPATIBLE",
  'adapter type "incompatible": l2-fixture-incompatible implements adapter contract 99, this @x/l2-core supports 1',
);
await expectFailure(
  "invalid default export",
  () => registry.get("badexport"),
  "ADAPTER_INVALID",
  'adapter type "badexport": the default export of l2-fixture-bad-export/adapter is not an adapter type definition',
);
await expectFailure(
  "plugin export not found",
  plugin("l2-fixture-bad-export", "BadExportAdapter"),
  "PLUGIN_EXPORT_NOT_FOUND",
  'plugin: module "l2-fixture-bad-export" has no export "BadExportAdapter"; its exports: default, notAnAdapter',
);
await expectFailure(
  "plugin export is not an adapter",
  plugin("l2-fixture-bad-export", "default"),
  "PLUGIN_NOT_AN_ADAPTER",
  'plugin: export "default" of module "l2-fixture-bad-export" is not an adapter class: its prototype lacks lookupAndLock, unlock, load, delete, listKeys, usage, status, addListener, close',
);
await expectFailure(
  "plugin params rejected",
  plugin("kvstash-l2-inmemory", "InMemoryL2Adapter", { adapter_params: { max_size_gb: -1 } }),
  "PLUGIN_PARAMS_INVALID",
  'plugin: adapter_params rejected by export "InMemoryL2AdapterConfig" of module "kvstash-l2-inmemory": field "adapter_params.max_size_gb": must be a positive number (got -1)',
);
await expectFailure(
  "throws while loading",
  () => registry.get("throws"),
  "ADAPTER_LOAD_FAILED",
  'adapter type "throws": loading l2-fixture-throws failed: l2-fixture-throws: THROWS_ENDPOINT is not set',
);
await expectFailure(
  "plugin throws while loading",
  plugin("l2-fixture-throws", "ThrowsAdapter"),
  "ADAPTER_LOAD_FAILED",
  'plugin: loading module "l2-fixture-throws" failed: Error: l2-fixture-throws: THROWS_ENDPOINT is not set',
);
await expectFailure(
  "module path not allowed",
  plugin("./local-adapter.js", "LocalAdapter"),
  "PLUGIN_MODULE_NOT_ALLOWED",
  'plugin: module_path "./local-adapter.js" is a file path; loading a file named in a config runs its code, so only installed package names are accepted unless module paths are allowed',
);
await expectFailure(
  "errors through --l2-adapter carry the option's position",
  () =>
    parseL2AdapterArgs(['{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":1}', '{"type":"incompatible"}']),
  "ADAPTER_INCOMPATIBLE",
  '--l2-adapter #2: adapter type "incompatible": l2-fixture-incompatible implements adapter contract 99, this @x/l2-core supports 1',
);

// The same file loads once module paths are allowed (the CLI's --allow-module-paths).
const allowing = createL2AdapterRegistry({ root: app, allowModulePaths: true, logger: silentLogger });
await roundTrip(
  "plugin (allowed module path)",
  { type: "plugin", module_path: "./local-adapter.js", class_name: "LocalAdapter" },
  allowing,
);
console.log("module path loads when allowed");

// The adapters come from their own installed copy of core; the structural checks accept them anyway.
assert.ok(existsSync(join(modules, "@x", "l2-core", "dist", "index.js")));
assert.ok(pluginAdapter instanceof L2AdapterBase, "same installed core: one copy in this app");

// @x/l2-resp declares two types from one package, and valkey round-trips through a real redis-server.
assert.equal(expected.get("resp"), "@x/l2-resp", "@x/l2-resp must declare type resp");
assert.equal(expected.get("valkey"), "@x/l2-resp", "@x/l2-resp must declare type valkey");
{
  const { spawn } = await import("node:child_process");
  const { createServer } = await import("node:net");
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = s.address();
      s.close(() => resolve(free));
    });
  });
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise((resolve, reject) => {
    let log = "";
    server.once("error", reject);
    server.stdout.on("data", (c) => {
      log += c;
      if (log.includes("Ready to accept connections")) resolve();
    });
  });
  try {
    await roundTrip("valkey", { type: "valkey", host: "127.0.0.1", port, key_prefix: "pack" });
    await roundTrip("resp", { type: "resp", host: "127.0.0.1", port });
  } finally {
    server.kill("SIGTERM");
  }
  console.log("resp and valkey round trips passed");
}

rmSync(fsBase, { recursive: true, force: true });
console.log("check-app passed");
