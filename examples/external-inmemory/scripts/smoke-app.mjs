// Runs inside a fresh application that installed kvstash-l2-inmemory and @x/l2-core from tarballs (see
// install-and-test.sh). Uses only what an application would: the default registry rooted at cwd.
import assert from "node:assert/strict";
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  createL2Adapter,
  describeL2AdapterType,
  listL2AdapterTypes,
  ObjectKey,
  parseL2AdapterArgs,
  silentLogger,
} from "@x/l2-core";

const app = realpathSync(process.cwd());
const require = createRequire(join(app, "package.json"));
for (const name of ["@x/l2-core", "kvstash-l2-inmemory"]) {
  const file = realpathSync(require.resolve(`${name}/package.json`));
  assert.ok(file.startsWith(join(app, "node_modules")), `${name} must come from the app, got ${file}`);
}

// Discovery: the example's package.json declares its own type; `plugin` is built in.
const types = await listL2AdapterTypes();
const inmemory = types.find((t) => t.type === "inmemory");
assert.deepEqual(
  { packageName: inmemory?.packageName, source: inmemory?.source, error: inmemory?.error },
  { packageName: "kvstash-l2-inmemory", source: "package", error: undefined },
);
assert.ok(
  types.some((t) => t.type === "plugin"),
  "plugin is a built-in type",
);
assert.match(await describeL2AdapterType("inmemory"), /max_size_gb \(number, optional, default 0\.5\)/);
console.log(`types: ${types.map((t) => t.type).join(", ")}`);

// Config parsing, both spellings, including the shipped example config.
const example = readFileSync(join(app, "l2-adapter-example.json"), "utf8");
const configs = await parseL2AdapterArgs([
  JSON.stringify({ type: "inmemory", max_size_gb: 0.01, mock_bandwidth_gb: 50 }),
  example,
]);
assert.deepEqual(
  configs.map((c) => c.type),
  ["inmemory", "plugin"],
);
assert.equal(configs[0].maxSizeGb, 0.01);
await assert.rejects(parseL2AdapterArgs(['{"type":"inmemory","max_sise_gb":1}']), (error) => {
  assert.equal(error.code, "CONFIG_INVALID");
  assert.match(error.message, /did you mean "max_size_gb"/);
  return true;
});

// Round trip through each config.
for (const config of configs) {
  const adapter = await createL2Adapter(config, { logger: silentLogger });
  const keys = [1, 2].map(
    (n) => new ObjectKey({ chunkHash: new Uint8Array([n, 42]), modelName: "smoke", kvRank: 0 }),
  );
  const objects = keys.map((_, i) => new Uint8Array(256 * 1024).fill(i + 1));
  const stored = await adapter.store(keys, objects);
  assert.deepEqual([stored.ok, stored.bytesWritten], [true, 512 * 1024]);
  const found = await adapter.lookupAndLock(keys);
  assert.deepEqual([found.test(0), found.test(1)], [true, true]);
  const targets = keys.map(() => new Uint8Array(256 * 1024));
  const loaded = await adapter.load(keys, targets);
  adapter.unlock(keys);
  assert.deepEqual([loaded.test(0), loaded.test(1)], [true, true]);
  assert.deepEqual(targets, objects);
  await adapter.close();
  console.log(`round trip ok through ${config.type} (${adapter.status().maxCapacityBytes} bytes capacity)`);
}
console.log("smoke test passed");
