#!/usr/bin/env node
// Benchmark of @x/l2-fs against baselines measured in the same run (not part of the test run).
//   node packages/fs/bench/fs-bench.mjs [--runs 5] [--sizes 64k,1m,4m,16m] [--quick]
// For each chunk size and 1 / 4 operations in flight it measures, as GB/s medians of `runs` runs:
//   store        adapter.store (one key per call)       vs raw open+write+close+rename to a fresh file
//   store sync   adapter with sync_writes               vs raw with fdatasync before the rename
//   load         adapter.load into reused buffers       vs raw open+read into a reused buffer+close
//   cacache      put / get on the same chunks (the best-known npm disk cache)
//   parts        storeParts / loadParts of [17-byte header, payload] vs store / load of the whole chunk
//                (both the adapter, same bytes): what writev / readv cost a framed object
// and lookupAndLock keys/s over 10,000 keys. Files go to a fresh directory under the OS temp dir.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median, parseSize, runPool } from "@x/l2-cli/bench-kit";
import { ObjectKey, silentLogger } from "@x/l2-core";
import cacache from "cacache";
import { FsL2Adapter, FsL2AdapterConfig } from "../dist/index.js";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes("--quick");
const RUNS = Number(arg("runs", quick ? "1" : "5"));
const SIZES = arg("sizes", "64k,1m,4m,16m")
  .split(",")
  .map((s) => parseSize(s, "--sizes"));
const CONCURRENCY = [1, 4];
const MIB = 1024 * 1024;
/** Bytes per timed run: enough files to average out, small enough to keep the whole bench a few minutes. */
const runBytes = (size, kind) => {
  const base = size <= 64 * 1024 ? 24 * MIB : size <= MIB ? 64 * MIB : 128 * MIB;
  const scaled = kind === "cacache" ? base / 4 : kind === "sync" ? base / 2 : base;
  return Math.max(scaled, size * 8) / (quick ? 4 : 1);
};

const root = mkdtempSync(join(tmpdir(), "x-l2-fs-bench-"));
let seq = 0;
const key = (n) => {
  const hash = Buffer.alloc(12);
  hash.writeUInt32BE(seq, 0);
  hash.writeUInt32BE(n, 8);
  return new ObjectKey({ chunkHash: hash, modelName: "bench/model", kvRank: 0 });
};

// The repository's shared bench helpers (@x/l2-cli/bench-kit): the same median, pool and sizes as x-l2 bench.
const pool = runPool;

/** Flushes dirty pages (untimed) so one write phase does not pay for the previous one's writeback. */
const flush = () => spawnSync("sync");

async function timed(bytes, fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return bytes / s / 1e9;
}

const SEGMENTS = 4;
/** Runs a(from, to) and b(from, to) over [0, n) in alternating segments; returns [GB/s of a, GB/s of b]. */
async function paired(n, size, flip, flushFirst, { a, b }) {
  const time = { a: 0, b: 0 };
  const step = Math.ceil(n / SEGMENTS);
  for (let from = 0; from < n; from += step) {
    const to = Math.min(n, from + step);
    for (const side of flip ? ["a", "b"] : ["b", "a"]) {
      if (flushFirst) flush();
      const t0 = process.hrtime.bigint();
      await (side === "a" ? a : b)(from, to);
      time[side] += Number(process.hrtime.bigint() - t0) / 1e9;
    }
  }
  return [(n * size) / time.a / 1e9, (n * size) / time.b / 1e9];
}

async function freshDir(name) {
  const dir = join(root, `${name}-${++seq}`);
  await fsp.mkdir(dir, { mode: 0o700 });
  return dir;
}

async function writeAll(fh, data) {
  let off = 0;
  while (off < data.length) off += (await fh.write(data, off, data.length - off, off)).bytesWritten;
}

async function rawStore(dir, data, from, to, c, sync) {
  await pool(to - from, c, async (j) => {
    const i = from + j;
    const tmp = join(dir, `.tmp-${i}`);
    const fh = await fsp.open(tmp, "wx", 0o600);
    await writeAll(fh, data);
    if (sync) await fh.datasync();
    await fh.close();
    await fsp.rename(tmp, join(dir, `chunk-${i}.data`));
  });
}

async function rawLoad(dir, buffers, from, to, c) {
  await pool(to - from, c, async (j) => {
    const i = from + j;
    const buf = buffers[j % buffers.length];
    const fh = await fsp.open(join(dir, `chunk-${i}.data`), "r");
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    await fh.close();
  });
}

async function openAdapter(dir, extra = {}) {
  return FsL2Adapter.open(FsL2AdapterConfig.fromDict({ type: "fs", base_path: dir, ...extra }), {
    logger: silentLogger,
  });
}

const rows = [];
const started = Date.now();
for (const size of SIZES) {
  const data = randomBytes(size);
  for (const c of CONCURRENCY) {
    const r = {
      size,
      c,
      store: [],
      rawStore: [],
      storeSync: [],
      rawSync: [],
      load: [],
      rawLoad: [],
      put: [],
      get: [],
      partsStore: [],
      wholeStore: [],
      partsLoad: [],
      wholeLoad: [],
    };
    for (let run = 0; run < RUNS; run++) {
      // Adapter and baseline run in alternating segments (ABAB..., order flipped every run), so load from
      // other processes on this shared 2-vCPU machine hits both sides alike; each side's time is summed.
      const n = Math.round(runBytes(size) / size);
      const rawDir = await freshDir("raw");
      const aDir = await freshDir("adapter");
      const a = await openAdapter(aDir, { recover_on_start: false });
      const keys = Array.from({ length: n }, (_, i) => key(i));
      const buffers = Array.from({ length: c }, () => Buffer.alloc(size));
      const flip = run % 2 === 1;
      const [st, rs] = await paired(n, size, flip, true, {
        a: (from, to) =>
          pool(to - from, c, async (j) => {
            const res = await a.store([keys[from + j]], [data]);
            if (!res.ok) throw res.error;
          }),
        b: (from, to) => rawStore(rawDir, data, from, to, c, false),
      });
      r.store.push(st);
      r.rawStore.push(rs);
      const [ld, rl] = await paired(n, size, flip, false, {
        a: (from, to) =>
          pool(to - from, c, async (j) => {
            const hit = await a.load([keys[from + j]], [buffers[j % c]]);
            if (hit.popcount() !== 1) throw new Error("load miss");
          }),
        b: (from, to) => rawLoad(rawDir, buffers, from, to, c),
      });
      r.load.push(ld);
      r.rawLoad.push(rl);
      await a.close();
      await fsp.rm(rawDir, { recursive: true });
      await fsp.rm(aDir, { recursive: true });

      // Durable stores: adapter with sync_writes vs raw with fdatasync.
      const ns = Math.round(runBytes(size, "sync") / size);
      const rawSyncDir = await freshDir("rawsync");
      const sDir = await freshDir("sync");
      const s = await openAdapter(sDir, { recover_on_start: false, sync_writes: true });
      const skeys = Array.from({ length: ns }, (_, i) => key(i));
      const [ss, rsy] = await paired(ns, size, flip, true, {
        a: (from, to) =>
          pool(to - from, c, async (j) => {
            const res = await s.store([skeys[from + j]], [data]);
            if (!res.ok) throw res.error;
          }),
        b: (from, to) => rawStore(rawSyncDir, data, from, to, c, true),
      });
      r.storeSync.push(ss);
      r.rawSync.push(rsy);
      await s.close();
      await fsp.rm(rawSyncDir, { recursive: true });
      await fsp.rm(sDir, { recursive: true });

      // Vectored objects: a 17-byte header and the rest of the chunk as two parts, against whole chunks.
      const np = Math.round(runBytes(size) / size / 2);
      const pDir = await freshDir("parts");
      const wDir = await freshDir("whole");
      const pa = await openAdapter(pDir, { recover_on_start: false });
      const wa = await openAdapter(wDir, { recover_on_start: false });
      const pkeys = Array.from({ length: np }, (_, i) => key(i));
      const parts = [data.subarray(0, 17), data.subarray(17)];
      const partTargets = Array.from({ length: c }, () => [Buffer.alloc(17), Buffer.alloc(size - 17)]);
      const [ps, ws] = await paired(np, size, flip, true, {
        a: (from, to) =>
          pool(to - from, c, async (j) => {
            const res = await pa.storeParts([pkeys[from + j]], [parts]);
            if (!res.ok) throw res.error;
          }),
        b: (from, to) =>
          pool(to - from, c, async (j) => {
            const res = await wa.store([pkeys[from + j]], [data]);
            if (!res.ok) throw res.error;
          }),
      });
      const [pl, wl] = await paired(np, size, flip, false, {
        a: (from, to) =>
          pool(to - from, c, async (j) => {
            const hit = await pa.loadParts([pkeys[from + j]], [partTargets[j % c]]);
            if (hit.popcount() !== 1) throw new Error("loadParts miss");
          }),
        b: (from, to) =>
          pool(to - from, c, async (j) => {
            const hit = await wa.load([pkeys[from + j]], [buffers[j % c]]);
            if (hit.popcount() !== 1) throw new Error("load miss");
          }),
      });
      r.partsStore.push(ps);
      r.wholeStore.push(ws);
      r.partsLoad.push(pl);
      r.wholeLoad.push(wl);
      await pa.close();
      await wa.close();
      await fsp.rm(pDir, { recursive: true });
      await fsp.rm(wDir, { recursive: true });

      // cacache on the same chunks.
      const nc = Math.round(runBytes(size, "cacache") / size);
      const cDir = await freshDir("cacache");
      flush();
      r.put.push(await timed(nc * size, () => pool(nc, c, (i) => cacache.put(cDir, `k-${i}`, data))));
      r.get.push(await timed(nc * size, () => pool(nc, c, (i) => cacache.get(cDir, `k-${i}`))));
      await fsp.rm(cDir, { recursive: true });
    }
    rows.push(r);
    process.stderr.write(`done size=${size} c=${c} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
}

// Lookup throughput: 2,000 files, 10,000 keys looked up (each file 5 times) in batches of 500.
const lookupDir = await freshDir("lookup");
const la = await openAdapter(lookupDir, { recover_on_start: false });
const lkeys = Array.from({ length: 2000 }, (_, i) => key(i));
await la.store(
  lkeys,
  lkeys.map(() => randomBytes(512)),
);
const lookupRates = [];
for (let run = 0; run < Math.max(RUNS, 3); run++) {
  const t0 = process.hrtime.bigint();
  for (let round = 0; round < 5; round++) {
    for (let b = 0; b < lkeys.length; b += 500) {
      const batch = lkeys.slice(b, b + 500);
      const hits = await la.lookupAndLock(batch);
      if (hits.popcount() !== batch.length) throw new Error("lookup miss");
      la.unlock(batch);
    }
  }
  lookupRates.push(10_000 / (Number(process.hrtime.bigint() - t0) / 1e9));
}
await la.close();
rmSync(root, { recursive: true, force: true });

const fmt = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
const label = (size) => (size >= MIB ? `${size / MIB} MiB` : `${size / 1024} KiB`);
const lines = [
  `| chunk | in flight | store GB/s (raw) | ratio | sync store GB/s (raw) | ratio | load GB/s (raw) | ratio | cacache put / get GB/s | store ÷ put | load ÷ get | parts store ÷ whole | parts load ÷ whole |`,
  `|---|---|---|---|---|---|---|---|---|---|---|---|---|`,
];
for (const r of rows) {
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? median(v) : v]));
  lines.push(
    `| ${label(r.size)} | ${r.c} | ${fmt(m.store)} (${fmt(m.rawStore)}) | **${fmt(m.store / m.rawStore)}x** | ` +
      `${fmt(m.storeSync)} (${fmt(m.rawSync)}) | **${fmt(m.storeSync / m.rawSync)}x** | ` +
      `${fmt(m.load)} (${fmt(m.rawLoad)}) | **${fmt(m.load / m.rawLoad)}x** | ${fmt(m.put)} / ${fmt(m.get)} | ` +
      `${fmt(m.store / m.put)}x | ${fmt(m.load / m.get)}x | ${fmt(m.partsStore / m.wholeStore)}x | ` +
      `${fmt(m.partsLoad / m.wholeLoad)}x |`,
  );
}
lines.push("");
lines.push(
  `lookupAndLock: **${Math.round(median(lookupRates)).toLocaleString("en-US")} keys/s** (median of ${lookupRates.length}; 10,000 keys, batches of 500, all hits)`,
);
lines.push(
  `runs per cell: ${RUNS}; total bench time ${((Date.now() - started) / 1000).toFixed(0)} s; node ${process.version}`,
);
console.log(lines.join("\n"));
