// The adapter against its own client used raw, on the same server in the same run: store vs SET and load vs
// GET of the same values, same number of commands in flight (num_workers = concurrency), rounds interleaved
// A B B A within each round, medians over rounds reported because the machine is shared. Then the adapter on a
// 3-primary cluster against the adapter on one node, same concurrency.
// Usage (after `pnpm turbo run build --filter @x/l2-resp`): node bench/adapter-vs-raw.mjs [rounds=5] [concurrency=4]
import { randomFillSync } from "node:crypto";
import { ObjectKey, silentLogger } from "@x/l2-core";
import { createClient, RESP_TYPES } from "redis";
import { ValkeyL2AdapterConfig, valkeyAdapterType } from "../dist/index.js";
import { startCluster, startRedis } from "../test/support/redis-servers.mjs";

const rounds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 4);
const SIZES = [1, 4, 16].map((m) => m * 1024 * 1024);
const BYTES_PER_ROUND = 32 * 1024 * 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const gbps = (bytes, seconds) => bytes / seconds / 1e9;

async function seconds(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function pooled(count, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

async function openAdapter(dict) {
  const config = ValkeyL2AdapterConfig.fromDict({ type: "valkey", num_workers: concurrency, ...dict });
  const adapter = await valkeyAdapterType.create(config, { logger: silentLogger, typeName: "valkey" });
  await adapter.whenReady();
  return adapter;
}

function keysFor(label, size, count) {
  return Array.from(
    { length: count },
    (_, i) =>
      new ObjectKey({
        chunkHash: Buffer.from(`${label}-${size}-${i}`.padEnd(16, "."), "latin1"),
        modelName: "bench/model",
        kvRank: 0x01000100,
      }),
  );
}

/** Store then load `count` values of `size` through the adapter; returns { store, load } in GB/s. */
async function adapterRound(adapter, label, size, values, targets) {
  const keys = keysFor(label, size, values.length);
  const store = await seconds(async () => {
    const r = await adapter.store(keys, values);
    if (!r.ok) throw new Error(`adapter store failed: ${r.error?.message}`);
  });
  const load = await seconds(async () => {
    const bits = await adapter.load(keys, targets);
    if (bits.popcount() !== keys.length) throw new Error("adapter load missed");
  });
  await adapter.delete(keys);
  const bytes = size * values.length;
  return { store: gbps(bytes, store), load: gbps(bytes, load) };
}

/** Raw SET, raw GET, and raw GET plus the copy into the caller's target that a load must deliver. */
async function rawRound(client, label, size, values, targets) {
  const keys = values.map((_, i) => `raw-${label}-${size}-${i}`);
  const store = await seconds(() => pooled(keys.length, (i) => client.set(keys[i], values[i])));
  const get = async (i) => {
    const v = await client.get(keys[i]);
    if (v?.byteLength !== size) throw new Error("raw GET returned the wrong size");
    return v;
  };
  const load = await seconds(() => pooled(keys.length, get));
  const loadCopy = await seconds(() => pooled(keys.length, async (i) => targets[i].set(await get(i))));
  await client.del(keys);
  const bytes = size * values.length;
  return { store: gbps(bytes, store), load: gbps(bytes, load), loadCopy: gbps(bytes, loadCopy) };
}

function table(title, columns, rows) {
  console.log(`\n${title}`);
  console.log(`| size | ${columns.join(" | ")} |`);
  console.log(`|---|${columns.map(() => "---").join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

const standalone = await startRedis();
const cluster = await startCluster({ primaries: 3 });
try {
  const raw = createClient({ socket: { host: standalone.host, port: standalone.port } });
  raw.on("error", (error) => console.error(`raw client: ${error.message}`));
  await raw.connect();
  const typedRaw = raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const single = await openAdapter({ host: standalone.host, port: standalone.port, key_prefix: "bench" });
  const clustered = await openAdapter({
    startup_nodes: cluster.startupNodes,
    cluster_mode: true,
    key_prefix: "bench",
  });

  const vsRaw = [];
  const vsNode = [];
  for (const size of SIZES) {
    const count = Math.max(4, BYTES_PER_ROUND / size);
    // Buffers, because raw node-redis accepts only string or Buffer arguments.
    const values = Array.from({ length: count }, () => randomFillSync(Buffer.allocUnsafeSlow(size)));
    const targets = values.map(() => new Uint8Array(size));
    const r = { raw: [], adapter: [], one: [], three: [] };
    // Each round is A B B A (raw, adapter, adapter, raw), so drift of the shared machine within a round
    // cancels; the round's figure is the mean of its two runs of each side.
    const mean = (x, y) => ({
      store: (x.store + y.store) / 2,
      load: (x.load + y.load) / 2,
      loadCopy: ((x.loadCopy ?? 0) + (y.loadCopy ?? 0)) / 2,
    });
    for (let round = -1; round < rounds; round++) {
      const a1 = await rawRound(typedRaw, "r", size, values, targets);
      const b1 = await adapterRound(single, "a", size, values, targets);
      const b2 = await adapterRound(single, "a", size, values, targets);
      const a2 = await rawRound(typedRaw, "r", size, values, targets);
      const c1 = await adapterRound(single, "one", size, values, targets);
      const d1 = await adapterRound(clustered, "three", size, values, targets);
      const d2 = await adapterRound(clustered, "three", size, values, targets);
      const c2 = await adapterRound(single, "one", size, values, targets);
      if (round < 0) continue; // warm-up
      r.raw.push(mean(a1, a2));
      r.adapter.push(mean(b1, b2));
      r.one.push(mean(c1, c2));
      r.three.push(mean(d1, d2));
    }
    const m = (list, op) => median(list.map((x) => x[op]));
    const ratio = (list, base, op) => median(list.map((x, i) => x[op] / base[i][op]));
    const mib = `${size >> 20} MiB`;
    vsRaw.push([
      mib,
      m(r.raw, "store").toFixed(2),
      m(r.adapter, "store").toFixed(2),
      `${ratio(r.adapter, r.raw, "store").toFixed(2)}x`,
      m(r.raw, "load").toFixed(2),
      m(r.adapter, "load").toFixed(2),
      `${ratio(r.adapter, r.raw, "load").toFixed(2)}x`,
      m(r.raw, "loadCopy").toFixed(2),
      `${median(r.adapter.map((x, i) => x.load / r.raw[i].loadCopy)).toFixed(2)}x`,
    ]);
    vsNode.push([
      mib,
      m(r.one, "store").toFixed(2),
      m(r.three, "store").toFixed(2),
      `${ratio(r.three, r.one, "store").toFixed(2)}x`,
      m(r.one, "load").toFixed(2),
      m(r.three, "load").toFixed(2),
      `${ratio(r.three, r.one, "load").toFixed(2)}x`,
    ]);
  }
  console.log(
    `rounds ${rounds} (+1 warm-up), concurrency ${concurrency}, ${BYTES_PER_ROUND >> 20} MiB per round, GB/s medians`,
  );
  table(
    "adapter vs raw node-redis SET/GET, one server",
    [
      "raw SET",
      "adapter store",
      "store ratio",
      "raw GET",
      "adapter load",
      "load ratio",
      "raw GET + copy",
      "load ratio vs GET + copy",
    ],
    vsRaw,
  );
  table(
    "adapter: 3-primary cluster vs one node",
    ["1 node store", "3 primaries store", "ratio", "1 node load", "3 primaries load", "ratio"],
    vsNode,
  );
  await single.close();
  await clustered.close();
  await raw.quit();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await standalone.stop();
  await cluster.stop();
}
