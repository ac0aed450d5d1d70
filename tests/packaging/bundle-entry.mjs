// An application entry point that uses core; bundle-check.mjs bundles it with esbuild and runs the bundle.
import { createL2Adapter, listL2AdapterTypes, ObjectKey, silentLogger } from "@x/l2-core";

const types = (await listL2AdapterTypes()).map((t) => t.type);
const results = {};
for (const config of [
  { type: "inmemory", max_size_gb: 0.01 },
  { type: "plugin", module_path: "kvstash-l2-inmemory", class_name: "InMemoryL2Adapter" },
]) {
  const adapter = await createL2Adapter(config, { logger: silentLogger });
  const key = new ObjectKey({ chunkHash: new Uint8Array([7, 7]), modelName: "bundle", kvRank: 0 });
  const data = new Uint8Array(4096).fill(3);
  await adapter.store([key], [data]);
  const target = new Uint8Array(4096);
  const loaded = await adapter.load([key], [target]);
  results[config.type] = loaded.test(0) && target.every((b) => b === 3);
  await adapter.close();
}
console.log(JSON.stringify({ types, results }));
