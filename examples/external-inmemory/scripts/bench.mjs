// Store and load throughput of the in-memory adapter, as a ratio of a raw memcpy of the same bytes measured
// in the same run (median of 5 runs each). Run after building: node scripts/bench.mjs
import { ObjectKey, silentLogger } from "@x/l2-core";
import { InMemoryL2Adapter } from "../dist/index.js";

const CHUNK = 4 * 2 ** 20;
const COUNT = 64;
const RUNS = 5;
const total = CHUNK * COUNT;
const sources = Array.from({ length: COUNT }, (_, i) => new Uint8Array(CHUNK).fill(i));
const targets = Array.from({ length: COUNT }, () => new Uint8Array(CHUNK));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gibps = (ms) => total / 2 ** 30 / (ms / 1000);

/** What store must do at least: allocate a copy of each chunk. */
function copyNewMs() {
  const start = performance.now();
  const copies = sources.map((s) => new Uint8Array(s));
  const ms = performance.now() - start;
  if (copies.length !== COUNT) throw new Error("unreachable");
  return ms;
}

/** What load must do at least: copy each chunk into an existing buffer. */
function copyIntoMs() {
  const start = performance.now();
  for (let i = 0; i < COUNT; i++) targets[i].set(sources[i]);
  return performance.now() - start;
}

async function adapterMs() {
  // Bandwidth far above memory speed, so the simulated delay never applies: this measures the adapter.
  const adapter = new InMemoryL2Adapter({ max_size_gb: 1, mock_bandwidth_gb: 1e6 }, { logger: silentLogger });
  const keys = sources.map(
    (_, i) => new ObjectKey({ chunkHash: new Uint8Array([i, 1]), modelName: "b", kvRank: 0 }),
  );
  let start = performance.now();
  await adapter.store(keys, sources);
  const store = performance.now() - start;
  start = performance.now();
  await adapter.load(keys, targets);
  const load = performance.now() - start;
  await adapter.close();
  return { store, load };
}

const baseStore = [];
const baseLoad = [];
const store = [];
const load = [];
for (let run = 0; run < RUNS; run++) {
  baseStore.push(copyNewMs());
  baseLoad.push(copyIntoMs());
  const r = await adapterMs();
  store.push(r.store);
  load.push(r.load);
}
const line = (name, ms, baseMs) =>
  `${name}: ${gibps(ms).toFixed(2)} GiB/s, baseline ${gibps(baseMs).toFixed(2)} GiB/s, ratio ${(baseMs / ms).toFixed(2)}`;
console.log(`chunks: ${COUNT} x ${CHUNK / 2 ** 20} MiB, median of ${RUNS} runs`);
console.log(line("store (baseline: allocate + copy)", median(store), median(baseStore)));
console.log(line("load  (baseline: copy into buffer)", median(load), median(baseLoad)));
