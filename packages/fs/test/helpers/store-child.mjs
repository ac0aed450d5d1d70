// Child process for the crash and sharing tests: opens an fs adapter on argv[2] and stores batches of
// keys forever (or `count` batches), printing "done <batch>" after each batch's store resolved ok.
// Keys and contents are deterministic so the parent can check them byte for byte.
import { ObjectKey, silentLogger } from "@x/l2-core";
import { FsL2Adapter, FsL2AdapterConfig } from "../../dist/index.js";

const [dir, prefix, batchesArg, sizeArg, syncArg] = process.argv.slice(2);
const batches = Number(batchesArg ?? "1000000");
const size = Number(sizeArg ?? "65536");
const PER_BATCH = 4;

function keyOf(prefix, n) {
  const hash = Buffer.alloc(8);
  hash.writeUInt32BE(n);
  return new ObjectKey({ chunkHash: hash, modelName: `child/${prefix}`, kvRank: 1 });
}
function dataOf(n, size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32LE((n * 2654435761 + i * 40503) >>> 0, i);
  return b;
}

const adapter = await FsL2Adapter.open(
  FsL2AdapterConfig.fromDict({ type: "fs", base_path: dir, sync_writes: syncArg === "sync" }),
  { logger: silentLogger },
);
process.stdout.write("ready\n");
for (let b = 0; b < batches; b++) {
  const ids = Array.from({ length: PER_BATCH }, (_, i) => b * PER_BATCH + i);
  const result = await adapter.store(
    ids.map((n) => keyOf(prefix, n)),
    ids.map((n) => dataOf(n, size + (n % 3) * 4096)),
  );
  if (result.ok) process.stdout.write(`done ${b}\n`);
}
await adapter.close();
process.stdout.write("finished\n");
