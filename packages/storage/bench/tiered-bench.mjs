#!/usr/bin/env node
// The tiered workload: prefix-sharing requests with skewed popularity through a StorageManager built from
// --l1-size and repeated --l2-adapter options (default: L1 + fs in ./.x-l2/cache). See the README.
import { parseArgs } from "node:util";
import { runTieredWorkload } from "../dist/index.js";

const usage = `usage: x-l2-tiered-bench [--l1-size 16MiB] [--l2-adapter '<json>']... [--chunk-size 256KiB]
  [--requests 300] [--prefixes 24] [--prefix-chunks 8] [--unique-chunks 1] [--zipf 1.1] [--concurrency 4]
  [--store-policy default|skip_l1|striped|tiered] [--load-timeout-ms N] [--seed 1] [--json]`;

function bytes(text, flag) {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`${flag}: expected a size like 256KiB or 16MiB, got ${JSON.stringify(text)}`);
  const unit = (m[2] ?? "B").toLowerCase();
  const scale = { b: 1, kib: 1024, mib: 2 ** 20, gib: 2 ** 30, kb: 1e3, mb: 1e6, gb: 1e9 }[unit];
  return Math.round(Number(m[1]) * scale);
}

function int(text, flag) {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`${flag}: expected an integer >= 1, got ${JSON.stringify(text)}`);
  return n;
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      "l1-size": { type: "string" },
      "l2-adapter": { type: "string", multiple: true },
      "chunk-size": { type: "string" },
      requests: { type: "string" },
      prefixes: { type: "string" },
      "prefix-chunks": { type: "string" },
      "unique-chunks": { type: "string" },
      zipf: { type: "string" },
      concurrency: { type: "string" },
      "store-policy": { type: "string" },
      "load-timeout-ms": { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}

const progress = !args.json && process.stderr.isTTY;
const MiB = 2 ** 20;
try {
  const result = await runTieredWorkload({
    l1SizeBytes: args["l1-size"] ? bytes(args["l1-size"], "--l1-size") : undefined,
    l2: args["l2-adapter"],
    chunkSizeBytes: args["chunk-size"] ? bytes(args["chunk-size"], "--chunk-size") : undefined,
    requests: args.requests ? int(args.requests, "--requests") : undefined,
    prefixes: args.prefixes ? int(args.prefixes, "--prefixes") : undefined,
    prefixChunks: args["prefix-chunks"] ? int(args["prefix-chunks"], "--prefix-chunks") : undefined,
    uniqueChunks: args["unique-chunks"] ? int(args["unique-chunks"], "--unique-chunks") : undefined,
    zipfExponent: args.zipf ? Number(args.zipf) : undefined,
    concurrency: args.concurrency ? int(args.concurrency, "--concurrency") : undefined,
    storePolicy: args["store-policy"],
    prefetchLoadTimeoutMs: args["load-timeout-ms"] ? Number(args["load-timeout-ms"]) : undefined,
    seed: args.seed ? int(args.seed, "--seed") : undefined,
    onProgress: progress
      ? (done, total) => {
          const width = 30;
          const filled = Math.round((done / total) * width);
          process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`);
          if (done === total) process.stderr.write("\n");
        }
      : undefined,
  });
  if (args.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `requests ${result.requests}, chunks ${result.chunksRequested}, ${(result.elapsedMs / 1000).toFixed(2)} s`,
    );
    console.log(`reused without recompute  ${pct(result.reuseRate)}`);
    console.log(`L1 hit rate               ${pct(result.l1HitRate)}`);
    for (const a of result.adapters) {
      console.log(
        `L2 #${a.id} ${a.type.padEnd(12)} hit rate ${pct(a.hitRate)}  stored ${(a.bytesStored / MiB).toFixed(1)} MiB  loaded ${(a.bytesLoaded / MiB).toFixed(1)} MiB`,
      );
    }
    console.log(
      `prefetch latency          p50 ${result.prefetchMs.p50.toFixed(2)} ms  p99 ${result.prefetchMs.p99.toFixed(2)} ms  max ${result.prefetchMs.max.toFixed(2)} ms`,
    );
    console.log(
      `recomputed                ${(result.bytesComputed / MiB).toFixed(1)} MiB; refused by a full L1 ${result.putRejected}; deadline hits ${result.deadlineHits}`,
    );
    console.log(`wrong bytes               ${result.wrongBytes}`);
  }
  process.exit(result.wrongBytes === 0 ? 0 : 1);
} catch (error) {
  console.error(`x-l2-tiered-bench: ${error.code ? `${error.code}: ` : ""}${error.message}`);
  process.exit(error.code === "CONFIG_INVALID" || error.code === "ARGUMENT_INVALID" ? 2 : 1);
}
