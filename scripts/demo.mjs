// Stores and loads chunks through whichever adapter --l2-adapter names (default: the embedded mock
// adapter), verifying every byte. Superseded by `x-l2 bench` once the CLI exists.
import { randomFillSync } from "node:crypto";
import { createL2Adapter, kvRank, ObjectKey, parseL2AdapterArgs } from "@x/l2-core";

const arg = process.argv.indexOf("--l2-adapter");
const spec = arg > 0 ? process.argv[arg + 1] : '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}';
const [config] = await parseL2AdapterArgs([spec]);
const adapter = await createL2Adapter(config);
const chunk = 1 << 20;
const keys = Array.from(
  { length: 32 },
  (_, i) =>
    new ObjectKey({
      chunkHash: Buffer.from(i.toString(16).padStart(8, "0"), "hex"),
      modelName: "demo/model",
      kvRank: kvRank(1, 0, 1, 0),
    }),
);
const objects = keys.map(() => randomFillSync(Buffer.allocUnsafe(chunk)));
let t = performance.now();
const stored = await adapter.store(keys, objects);
const storeMs = performance.now() - t;
const hits = await adapter.lookupAndLock(keys);
const targets = keys.map(() => Buffer.alloc(chunk));
t = performance.now();
const loaded = await adapter.load(keys, targets);
const loadMs = performance.now() - t;
adapter.unlock(keys);
const identical = targets.every((b, i) => b.equals(objects[i]));
console.log(
  `adapter ${config.type}: stored ${keys.length} x 1 MiB (ok=${stored.ok}, ${stored.bytesWritten} bytes) in ${storeMs.toFixed(1)} ms`,
);
console.log(
  `lookup: ${hits.popcount()}/${keys.length} hits; load: ${loaded.popcount()}/${keys.length} in ${loadMs.toFixed(1)} ms; bytes identical: ${identical}`,
);
console.log("usage:", adapter.usage());
await adapter.close();
if (!stored.ok || !identical) process.exit(1);
