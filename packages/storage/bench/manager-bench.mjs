#!/usr/bin/env node
// Benchmark of @x/l2-storage against baselines measured in the same run, interleaved (A B A B ...),
// medians of --runs rounds (not part of the test run):
//   prefetch  manager.prefetch of N keys from fs (fresh L1)      vs the fs adapter's own lookupAndLock + load + unlock
//   store     manager.put + flush (background store to fs)       vs the fs adapter's own store of the same batches
//   L1 get    manager.get of resident keys into caller buffers   vs memcpy (Uint8Array.set) of the same bytes
//   node packages/storage/bench/manager-bench.mjs [--runs 5] [--sizes 256k,1m,4m] [--json]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createL2AdapterRegistry, ObjectKey, silentLogger } from "@x/l2-core";
import fsType from "@x/l2-fs/adapter";
import { StorageManager } from "../dist/index.js";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(arg("runs", "5"));
const parseSize = (s) => Number.parseInt(s, 10) * (s.endsWith("m") ? 2 ** 20 : s.endsWith("k") ? 1024 : 1);
const SIZES = arg("sizes", "256k,1m,4m").split(",").map(parseSize);
const BYTES_PER_ROUND = 32 * 2 ** 20;
const BATCH = 16;
const IN_FLIGHT = 4;
const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger, types: [fsType] });

let seq = 0;
const makeKeys = (n) => {
  seq++;
  return Array.from({ length: n }, (_, i) => {
    const hash = Buffer.alloc(12);
    hash.writeUInt32BE(seq, 0);
    hash.writeUInt32BE(i, 8);
    return new ObjectKey({ chunkHash: hash, modelName: "bench/storage", kvRank: 0 });
  });
};
const batches = (list) =>
  Array.from({ length: Math.ceil(list.length / BATCH) }, (_, b) => list.slice(b * BATCH, (b + 1) * BATCH));
async function pool(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gbps = (bytes, ms) => bytes / 1e9 / (ms / 1000);
async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const rows = [];
for (const size of SIZES) {
  const n = Math.max(8, Math.floor(BYTES_PER_ROUND / size));
  const total = n * size;
  const objects = Array.from({ length: n }, () => randomBytes(size));
  const dir = mkdtempSync(join(tmpdir(), "x-l2-storage-bench-"));
  const writeDir = mkdtempSync(join(tmpdir(), "x-l2-storage-bench-w-"));
  const spec = JSON.stringify({ type: "fs", base_path: dir });
  const wspec = JSON.stringify({ type: "fs", base_path: writeDir });
  const create = async (s) => registry.create(await registry.parseConfig(JSON.parse(s)));
  // Long-lived, as in a server: one manager and one bare adapter per direction. L1 holds one round, so
  // each round's keys evict the previous round's (whose buffers L1 then reuses).
  const writer = await create(spec);
  const own = await create(spec);
  const m = await StorageManager.open({ l1SizeBytes: total, l2: [spec], registry, logger: silentLogger });
  const w = await StorageManager.open({ l1SizeBytes: total, l2: [wspec], registry, logger: silentLogger });
  const wOwn = await create(wspec);
  const targets = objects.map(() => new Uint8Array(size));
  const result = { prefetch: { a: [], b: [] }, store: { a: [], b: [] }, get: { a: [], b: [] } };
  for (let r = 0; r < RUNS + 1; r++) {
    const warmup = r === 0;
    // Keys written by a third instance, so neither reader has them indexed yet (both look them up cold).
    // Each side reads its own copy: the first reader of a file would otherwise warm it for the second.
    const readKeys = makeKeys(n);
    const ownKeys = makeKeys(n);
    for (const ks of [readKeys, ownKeys]) {
      const ok = await writer.store(ks, objects);
      if (!ok.ok) throw new Error(`seed store failed: ${ok.error?.message}`);
    }
    const order = r % 2 === 0 ? ["a", "b"] : ["b", "a"];
    for (const which of order) {
      if (which === "a") {
        const ms = await timed(() =>
          pool(batches(readKeys), IN_FLIGHT, async (b) => {
            if ((await m.prefetch(b)) !== b.length) throw new Error("prefetch missed");
          }),
        );
        if (!warmup) result.prefetch.a.push(ms);
      } else {
        const ms = await timed(() =>
          pool(batches(ownKeys.map((k, i) => [k, i])), IN_FLIGHT, async (b) => {
            const ks = b.map(([k]) => k);
            const found = await own.lookupAndLock(ks);
            const loaded = await own.load(
              ks,
              b.map(([, i]) => targets[i]),
            );
            own.unlock(ks);
            if (found.popcount() !== ks.length || loaded.popcount() !== ks.length)
              throw new Error("load missed");
          }),
        );
        if (!warmup) result.prefetch.b.push(ms);
      }
    }

    // L1 get vs memcpy, on the manager that now holds this round's keys.
    const check = m.get(readKeys, targets);
    if (check.popcount() !== n || !Buffer.from(targets[n - 1]).equals(objects[n - 1]))
      throw new Error("get wrong");
    const reps = 30;
    for (const which of order) {
      const ms = await timed(() => {
        for (let i = 0; i < reps; i++) {
          if (which === "a") m.get(readKeys, targets);
          else for (let j = 0; j < n; j++) targets[j].set(objects[j]);
        }
      });
      if (!warmup) result.get[which].push(ms / reps);
    }

    // put + flush through the manager vs the adapter's own store of the same batches, IN_FLIGHT at once.
    const keysA = makeKeys(n);
    const keysB = makeKeys(n);
    for (const which of order) {
      if (which === "a") {
        const ms = await timed(async () => {
          for (const [bi, b] of batches(keysA).entries())
            w.put(b, objects.slice(bi * BATCH, bi * BATCH + b.length));
          await w.flush();
        });
        if (!warmup) result.store.a.push(ms);
      } else {
        const ms = await timed(() =>
          pool(batches(keysB.map((k, i) => [k, i])), IN_FLIGHT, async (b) => {
            const res = await wOwn.store(
              b.map(([k]) => k),
              b.map(([, i]) => objects[i]),
            );
            if (!res.ok) throw new Error(`store failed: ${res.error?.message}`);
          }),
        );
        if (!warmup) result.store.b.push(ms);
      }
    }
    const stored = (await w.metrics()).adapters[0].bytesStored;
    if (stored !== total * (r + 1)) throw new Error(`manager stored ${stored} of ${total * (r + 1)}`);
    // Keep the disk footprint to a few rounds: drop what this round wrote (untimed).
    await writer.delete([...readKeys, ...ownKeys]);
    await wOwn.delete([...keysA, ...keysB]);
  }
  await m.close();
  await w.close();
  for (const a of [writer, own, wOwn]) await a.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(writeDir, { recursive: true, force: true });
  const ratio = (x) => median(x.b) / median(x.a);
  rows.push({
    size,
    keys: n,
    prefetchGBps: gbps(total, median(result.prefetch.a)),
    ownLoadGBps: gbps(total, median(result.prefetch.b)),
    prefetchRatio: ratio(result.prefetch),
    putStoreGBps: gbps(total, median(result.store.a)),
    ownStoreGBps: gbps(total, median(result.store.b)),
    storeRatio: ratio(result.store),
    getGBps: gbps(total, median(result.get.a)),
    memcpyGBps: gbps(total, median(result.get.b)),
    getRatio: ratio(result.get),
  });
}

if (args.includes("--json")) console.log(JSON.stringify({ runs: RUNS, rows }, null, 2));
else {
  const f = (x) => x.toFixed(2);
  console.log(`medians of ${RUNS} interleaved runs; ${BATCH} keys per call, ${IN_FLIGHT} calls in flight`);
  console.log(
    "| chunk | keys | prefetch GB/s | fs own load GB/s | ratio | put+store GB/s | fs own store GB/s | ratio | L1 get GB/s | memcpy GB/s | ratio |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const kib = r.size >= 2 ** 20 ? `${r.size / 2 ** 20} MiB` : `${r.size / 1024} KiB`;
    console.log(
      `| ${kib} | ${r.keys} | ${f(r.prefetchGBps)} | ${f(r.ownLoadGBps)} | ${f(r.prefetchRatio)} | ${f(r.putStoreGBps)} | ${f(r.ownStoreGBps)} | ${f(r.storeRatio)} | ${f(r.getGBps)} | ${f(r.memcpyGBps)} | ${f(r.getRatio)} |`,
    );
  }
}
