// A second cache server in its own process: a valkey adapter from the built package, driven by JSON lines
// on stdin ({ op, seeds, size }) and answering one JSON line per request on stdout.
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { ObjectKey, silentLogger } from "@x/l2-core";
import { ValkeyL2AdapterConfig, valkeyAdapterType } from "@x/l2-resp";

const [host, port, keyPrefix] = process.argv.slice(2);
const config = ValkeyL2AdapterConfig.fromDict({
  type: "valkey",
  host,
  port: Number(port),
  key_prefix: keyPrefix,
});
const adapter = await valkeyAdapterType.create(config, { logger: silentLogger, typeName: "valkey" });
await adapter.whenReady();

// Same derivation as test/support/keys.ts, so both processes name the same chunks.
const key = (seed) =>
  new ObjectKey({
    chunkHash: createHash("sha256").update(`chunk-${seed}`).digest(),
    modelName: "org/model",
    kvRank: 0x01000100,
  });

const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
reply({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const { op, seeds = [], size = 0 } = JSON.parse(line);
  const keys = seeds.map(key);
  if (op === "store") {
    const result = await adapter.store(
      keys,
      keys.map(() => new Uint8Array(size).fill(7)),
    );
    reply({ ok: result.ok });
  } else if (op === "lookup") {
    const bitmap = await adapter.lookupAndLock(keys);
    adapter.unlock(keys);
    reply({ found: seeds.map((_, i) => bitmap.test(i)) });
  } else if (op === "delete") {
    await adapter.delete(keys);
    reply({ ok: true });
  } else if (op === "usage") {
    reply(await adapter.refreshUsage());
  } else if (op === "exit") {
    await adapter.close();
    reply({ closed: true });
    // stdin stays open (the parent owns it), so leave explicitly.
    process.exit(0);
  }
}
