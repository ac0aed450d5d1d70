#!/usr/bin/env node
// Benchmark of the serde wrapper against baselines measured in the same run, interleaved (not part of tests).
//   pnpm turbo run build --filter @x/l2-fs... && node packages/core/bench/serde-bench.mjs [--runs 5] [--sizes 1m,4m,16m] [--dir DIR] [--quick]
// 1. xxh3_64 candidates against memcpy of the same buffer (GB/s). Candidates other than the chosen
//    xxhash-addon are measured when installed (devDependencies of @x/l2-core), else listed as skipped.
// 2. fs store and load (one key per call, files under --dir, default the OS temp dir): plain vs checksum vs
//    aesgcm, interleaved call by call in every order in turn; the ratio is taken per round, then the median.
// 3. aesgcm frame encode / decode against node:crypto AES-128-GCM over the same bytes (the machine's speed).
import { spawnSync } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AesGcmCodec, createL2AdapterRegistry, hkdfSaltKeys, ObjectKey, silentLogger } from "@x/l2-core";
import { fsAdapterType } from "@x/l2-fs";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes("--quick");
const RUNS = Number(arg("runs", quick ? "1" : "5"));
const MIB = 1024 * 1024;
const parseSize = (s) => Number.parseInt(s, 10) * (s.endsWith("m") ? MIB : s.endsWith("k") ? 1024 : 1);
const SIZES = arg("sizes", "1m,4m,16m").split(",").map(parseSize);
const ROUND_BYTES = (quick ? 32 : 128) * MIB;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const gbps = (bytes, ns) => bytes / (Number(ns) / 1e9) / 1e9;
const fmt = (x) => x.toFixed(2);
const label = (size) => `${size / MIB} MiB`;
const time = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return process.hrtime.bigint() - t0;
};
const timeAsync = async (fn) => {
  const t0 = process.hrtime.bigint();
  await fn();
  return process.hrtime.bigint() - t0;
};

// ---- 1. xxh3_64 candidates --------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const tryLoad = (name) => {
  try {
    return require(name);
  } catch {
    return undefined;
  }
};
async function hashCandidates() {
  const out = { memcpy: (buf, tgt) => tgt.set(buf) };
  const addon = tryLoad("xxhash-addon");
  out["xxhash-addon"] = (buf) => addon.XXHash3.hash(buf);
  const noders = tryLoad("@node-rs/xxhash");
  if (noders) out["@node-rs/xxhash"] = (buf) => noders.xxh3.xxh64(buf);
  const hashWasm = await import("hash-wasm").catch(() => undefined);
  if (hashWasm) {
    const h = await hashWasm.createXXHash3();
    out["hash-wasm"] = (buf) => {
      h.init();
      h.update(buf);
      return h.digest("binary");
    };
  }
  return out;
}

console.log(`# serde bench: node ${process.version}, ${RUNS} runs, sizes ${SIZES.map(label).join(", ")}`);
console.log("\n## xxh3_64 candidates vs memcpy (GB/s, median)");
const candidates = await hashCandidates();
for (const missing of ["@node-rs/xxhash", "hash-wasm"].filter((n) => !candidates[n]))
  console.log(`(${missing}: not installed, skipped)`);
for (const size of SIZES) {
  const buf = randomFillSync(Buffer.alloc(size));
  const tgt = Buffer.alloc(size);
  const reps = Math.max(4, Math.round(((quick ? 64 : 256) * MIB) / size));
  const results = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
  for (let run = 0; run < Math.max(3, RUNS); run++) {
    for (const [name, fn] of Object.entries(candidates)) {
      results[name].push(
        gbps(
          size * reps,
          time(() => {
            for (let i = 0; i < reps; i++) fn(buf, tgt);
          }),
        ),
      );
    }
  }
  console.log(
    `${label(size)}: ${Object.entries(results)
      .map(([k, v]) => `${k} ${fmt(median(v))}`)
      .join(", ")}`,
  );
}

// ---- 2. fs store / load -----------------------------------------------------------------------------
const BASE = arg("dir", tmpdir());
const root = mkdtempSync(join(BASE, "x-l2-serde-bench-"));
const keyFile = join(root, "master.key");
writeFileSync(keyFile, randomBytes(32));
chmodSync(keyFile, 0o600);
const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger, types: [fsAdapterType] });
const modes = {
  plain: undefined,
  checksum: { type: "checksum" },
  aesgcm: { type: "aesgcm", master_key_path: keyFile },
};
const adapters = {};
for (const [mode, serde] of Object.entries(modes)) {
  const config = { type: "fs", base_path: join(root, mode), ...(serde ? { serde } : {}) };
  adapters[mode] = await registry.create(config, { logger: silentLogger });
}
let seq = 0;
const makeKey = (n) => {
  const hash = Buffer.alloc(12);
  hash.writeUInt32BE(seq, 0);
  hash.writeUInt32BE(n, 8);
  return new ObjectKey({ chunkHash: hash, modelName: "bench/model", kvRank: 0 });
};
const flush = () => spawnSync("sync");

console.log(
  `\n## fs store / load, one key per call, modes interleaved call by call (files in ${BASE}; GB/s median of ${RUNS} rounds, ratio = median of per-round ratios)`,
);
const modeNames = Object.keys(modes);
// Every order of the modes in turn, so each mode runs first, and after each other one, equally often
// (aesgcm leaves garbage behind; a fixed rotation would hand its collection to the same neighbour).
const permutations = (xs) =>
  xs.length <= 1
    ? [xs]
    : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
const ORDERS = permutations(modeNames);
for (const size of SIZES) {
  const count = Math.max(12, Math.round(ROUND_BYTES / size));
  const data = Array.from({ length: count }, () => randomFillSync(Buffer.alloc(size)));
  const targets = Object.fromEntries(modeNames.map((m) => [m, Buffer.alloc(size)]));
  const store = Object.fromEntries(modeNames.map((m) => [m, []]));
  const load = Object.fromEntries(modeNames.map((m) => [m, []]));
  for (let run = 0; run < RUNS + 1; run++) {
    seq++;
    const keys = data.map((_, i) => makeKey(i));
    const ns = { store: {}, load: {} };
    for (const m of modeNames) {
      ns.store[m] = 0n;
      ns.load[m] = 0n;
    }
    flush();
    // Call by call, so bursts of load from other processes hit every mode alike.
    for (let i = 0; i < count; i++) {
      for (const mode of ORDERS[i % ORDERS.length]) {
        ns.store[mode] += await timeAsync(async () => {
          const r = await adapters[mode].store([keys[i]], [data[i]]);
          if (!r.ok) throw new Error(`store failed: ${r.error}`);
        });
      }
    }
    for (let i = 0; i < count; i++) {
      for (const mode of ORDERS[i % ORDERS.length]) {
        ns.load[mode] += await timeAsync(async () => {
          if (!(await adapters[mode].load([keys[i]], [targets[mode]])).test(0))
            throw new Error("load missed");
        });
        if (i === count - 1 && !targets[mode].equals(data[i])) throw new Error(`${mode}: wrong bytes loaded`);
      }
    }
    for (const mode of modeNames) await adapters[mode].delete(keys);
    if (run === 0) continue; // warm-up round
    for (const mode of modeNames) {
      store[mode].push(gbps(size * count, ns.store[mode]));
      load[mode].push(gbps(size * count, ns.load[mode]));
    }
  }
  const ratio = (series, mode) => median(series[mode].map((v, i) => v / series.plain[i]));
  for (const [what, series] of [
    ["store", store],
    ["load", load],
  ]) {
    console.log(
      `${label(size)} ${what}: plain ${fmt(median(series.plain))}, checksum ${fmt(median(series.checksum))} (${fmt(ratio(series, "checksum"))}x), aesgcm ${fmt(median(series.aesgcm))} (${fmt(ratio(series, "aesgcm"))}x)`,
    );
  }
}
for (const adapter of Object.values(adapters)) await adapter.close();

// ---- 3. aesgcm against the machine's AES-GCM --------------------------------------------------------
console.log(
  "\n## aesgcm frame vs node:crypto AES-128-GCM on the same bytes (GB/s median, ratio = median of per-round ratios)",
);
const codec = new AesGcmCodec({
  type: "aesgcm",
  aesBits: 128,
  bindKey: false,
  keyForSalt: hkdfSaltKeys(randomBytes(32), "aesgcm", 128),
});
const rawKey = randomBytes(16);
const key = makeKey(1);
for (const size of SIZES) {
  const payload = randomFillSync(Buffer.alloc(size));
  const target = Buffer.alloc(size);
  const reps = Math.max(4, Math.round(((quick ? 64 : 256) * MIB) / size));
  const series = { rawEnc: [], enc: [], rawDec: [], dec: [] };
  const iv = randomBytes(12);
  const rawCipher = () => {
    const c = createCipheriv("aes-128-gcm", rawKey, iv);
    const out = c.update(payload);
    c.final();
    return [out, c.getAuthTag()];
  };
  const [rawCt, rawTag] = rawCipher();
  const frame = await codec.encode(key, payload);
  const joinedFrame = Buffer.concat(frame);
  const frameViews = [
    joinedFrame.subarray(0, 13),
    joinedFrame.subarray(13, 13 + size),
    joinedFrame.subarray(13 + size),
  ];
  const steps = {
    rawEnc: async () =>
      time(() => {
        for (let i = 0; i < reps; i++) rawCipher();
      }),
    enc: () =>
      timeAsync(async () => {
        for (let i = 0; i < reps; i++) await codec.encode(key, payload);
      }),
    rawDec: async () =>
      time(() => {
        for (let i = 0; i < reps; i++) {
          const d = createDecipheriv("aes-128-gcm", rawKey, iv);
          d.setAuthTag(rawTag);
          target.set(d.update(rawCt));
          d.final();
        }
      }),
    // The frame as one loaded buffer (views of it as parts), decrypted into the target: the same work as raw.
    dec: () =>
      timeAsync(async () => {
        for (let i = 0; i < reps; i++) {
          if ((await codec.decode(key, frameViews, target)) !== null) throw new Error("decode failed");
        }
      }),
  };
  for (let run = 0; run < Math.max(3, RUNS); run++) {
    // Each pair (raw, frame) back to back, which one first alternating by round.
    const order = run % 2 ? ["enc", "rawEnc", "dec", "rawDec"] : ["rawEnc", "enc", "rawDec", "dec"];
    for (const step of order) series[step].push(gbps(size * reps, await steps[step]()));
  }
  const r = (a, b) => median(series[a].map((v, i) => v / series[b][i]));
  console.log(
    `${label(size)}: encrypt ${fmt(median(series.enc))} vs raw ${fmt(median(series.rawEnc))} (${fmt(r("enc", "rawEnc"))}x); decrypt ${fmt(median(series.dec))} vs raw ${fmt(median(series.rawDec))} (${fmt(r("dec", "rawDec"))}x)`,
  );
}
rmSync(root, { recursive: true, force: true });
