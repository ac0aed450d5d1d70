// Sender -> receiver throughput of the pd adapter between two processes, with and without mutual TLS,
// against the loopback ceiling measured in the same run: a node:net transfer between two processes whose
// receiver reads with `onread` into a static buffer (limits.md section 3), same batching and acks.
// Usage: node bench/pd-bench.mjs [runs=5] [mibPerRun=256] [batchMiB=32]
// Env: PD_BENCH_SIZES=1,4,16 (chunk MiB), PD_BENCH_TLS=0 (skip TLS), PD_BENCH_PROF=<dir> (see below).
import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { median } from "@x/l2-cli/bench-kit";
import { kvRank, ObjectKey } from "@x/l2-core";
import { createPdAdapter, PdL2AdapterConfig } from "@x/l2-pd";
import { makeCertificates as makeTestCertificates } from "../test/fixtures/certificates.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const MIB = 1024 * 1024;
const runs = Number(process.argv[2] ?? 5);
const perRun = Number(process.argv[3] ?? 256) * MIB;
const BATCH_BYTES = Number(process.argv[4] ?? 32) * MIB;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// PD_BENCH_PROF=<dir>: the pd receiver child runs with --cpu-prof (run the parent with --cpu-prof too).
const profileDir = process.env.PD_BENCH_PROF;

function child(script, args) {
  const flags =
    profileDir && script === "pd-receiver.mjs" ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const proc = spawn(process.execPath, [...flags, join(here, script), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: proc.stdout });
  const queue = [];
  const waiters = [];
  lines.on("line", (l) => {
    const v = JSON.parse(l);
    const w = waiters.shift();
    if (w) w(v);
    else queue.push(v);
  });
  return {
    proc,
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))),
    send: (l) => proc.stdin.write(`${l}\n`),
  };
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Baseline (the loopback ceiling): a baseline-receiver child connects to a listener here and reads with
 * `onread` into a static buffer; `once()` writes perRun bytes as [u32 len] + payload frames under
 * cork/uncork and waits for the ack after each batch, as pd's store waits for its confirmation.
 */
async function baselineSetup(size, batch, chunks) {
  const listener = createServer({ noDelay: true });
  await new Promise((r) => listener.listen(0, "127.0.0.1", r));
  const accepted = new Promise((r) => listener.once("connection", r));
  const receiver = child("baseline-receiver.mjs", [
    String(listener.address().port),
    String(size),
    String(batch),
  ]);
  const socket = await accepted;
  listener.close();
  let ackWaiter;
  let ackBytes = 0;
  socket.on("data", (d) => {
    ackBytes += d.length;
    while (ackBytes >= 8 && ackWaiter) {
      ackBytes -= 8;
      const w = ackWaiter;
      ackWaiter = undefined;
      w();
    }
  });
  return {
    async once() {
      for (let sent = 0; sent < perRun; sent += size * batch) {
        const acked = new Promise((r) => {
          ackWaiter = r;
        });
        for (let j = 0; j < batch; j++) {
          const header = Buffer.allocUnsafe(4);
          header.writeUInt32BE(size, 0);
          socket.cork();
          socket.write(header);
          socket.write(chunks[j]);
          socket.uncork();
        }
        await acked;
      }
    },
    async after() {},
    async close() {
      socket.destroy();
      receiver.proc.kill();
    },
  };
}

/** Certificates for the TLS column (mutual TLS, EC P-256), made by the tests' openssl fixture. */
function makeCertificates() {
  const { dir, remove } = makeTestCertificates("pd-bench-tls-");
  const files = (name) => ({
    tls_enable: true,
    tls_ca_file: join(dir, "ca.pem"),
    tls_cert_file: join(dir, `${name}.pem`),
    tls_key_file: join(dir, `${name}.key`),
  });
  return {
    receiver: files("server"),
    sender: files("client"),
    remove,
  };
}

/**
 * pd: a receiver child, the sender adapter here (auth_token set, so the HMAC handshake runs); `once()`
 * stores perRun bytes, then the receiver clears. `tls` = config keys for each side, or undefined.
 */
async function pdSetup(size, batch, chunks, tls) {
  const ports = {
    peer_host: "127.0.0.1",
    peer_init_port: [await freePort()],
    peer_alloc_port: [await freePort()],
    auth_token: "bench-token",
  };
  const receiver = child("pd-receiver.mjs", [
    JSON.stringify({ role: "receiver", ...ports, buffer_size: perRun + 64 * MIB, ...tls?.receiver }),
  ]);
  await receiver.next();
  const sender = await createPdAdapter(
    PdL2AdapterConfig.fromDict({ role: "sender", ...ports, ...tls?.sender }),
    { logger: quiet },
  );
  let n = 0;
  return {
    async once() {
      for (let sent = 0; sent < perRun; sent += size * batch) {
        const keys = chunks.map(
          () =>
            new ObjectKey({
              chunkHash: Buffer.from(`k${n++}`),
              modelName: "bench",
              kvRank: kvRank(1, 0, 1, 0),
            }),
        );
        const r = await sender.store(keys, chunks);
        if (!r.ok) throw r.error;
      }
    },
    async after() {
      receiver.send("clear");
      await receiver.next();
    },
    async close() {
      await sender.close();
      receiver.proc.kill();
    },
  };
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  await fn();
  return perRun / (Number(process.hrtime.bigint() - started) / 1e9) / 1e9;
}

const withTls = process.env.PD_BENCH_TLS !== "0";
const certificates = withTls ? makeCertificates() : undefined;
const rows = [];
for (const mib of (process.env.PD_BENCH_SIZES ?? "1,4,16").split(",").map(Number)) {
  const size = mib * MIB;
  const batch = Math.max(1, BATCH_BYTES / size);
  const chunks = Array.from({ length: batch }, () => randomFillSync(new Uint8Array(size)));
  const sides = [
    ["baseline", await baselineSetup(size, batch, chunks)],
    ["pd", await pdSetup(size, batch, chunks, undefined)],
  ];
  if (certificates) sides.push(["pd+tls", await pdSetup(size, batch, chunks, certificates)]);
  const results = new Map(sides.map(([name]) => [name, []]));
  // Rounds interleave the sides (baseline, pd, pd+tls, baseline, ...) so all see the same machine
  // load; round 0 is a warm-up (it also touches the receivers' staging pages).
  for (let run = 0; run <= runs; run++) {
    for (const [name, side] of sides) {
      const gbps = await timed(() => side.once());
      await side.after();
      if (run > 0) results.get(name).push(gbps);
    }
  }
  for (const [, side] of sides) await side.close();
  const fmt = (xs) =>
    `${Math.min(...xs).toFixed(2)} / **${median(xs).toFixed(2)}** / ${Math.max(...xs).toFixed(2)}`;
  const base = median(results.get("baseline"));
  const pd = median(results.get("pd"));
  const tlsCells = certificates
    ? ` ${fmt(results.get("pd+tls"))} | ${(median(results.get("pd+tls")) / pd).toFixed(2)}x |`
    : "";
  rows.push(
    `| ${mib} MiB | ${batch} | ${fmt(results.get("baseline"))} | ${fmt(results.get("pd"))} | ${(pd / base).toFixed(2)}x |${tlsCells}`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}
certificates?.remove();
console.log(
  `runs per cell: ${runs} (+1 warm-up), sides interleaved per round, ${perRun / MIB} MiB per run, batches of ${BATCH_BYTES / MIB} MiB`,
);
console.log(
  `| chunk | chunks/batch | baseline (onread, static buffer) GB/s (min / median / max) | pd GB/s | pd / baseline (medians) |${certificates ? " pd + mutual TLS GB/s | TLS / pd |" : ""}`,
);
console.log(`|---|---|---|---|---|${certificates ? "---|---|" : ""}`);
for (const row of rows) console.log(row);
