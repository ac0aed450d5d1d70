// Sender -> receiver throughput of the pd adapter between two processes, against a raw node:net transfer
// between two processes (reused receive buffer, same batching), measured in the same run.
// Usage: node bench/pd-bench.mjs [runs=5] [mibPerRun=256] [batchMiB=32]
import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { connect, createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { median } from "@x/l2-cli/bench-kit";
import { kvRank, ObjectKey } from "@x/l2-core";
import { createPdAdapter, PdL2AdapterConfig } from "@x/l2-pd";

const here = dirname(fileURLToPath(import.meta.url));
const MIB = 1024 * 1024;
const runs = Number(process.argv[2] ?? 5);
const perRun = Number(process.argv[3] ?? 256) * MIB;
const BATCH_BYTES = Number(process.argv[4] ?? 32) * MIB;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function child(script, args) {
  const proc = spawn(process.execPath, [join(here, script), ...args], { stdio: ["pipe", "pipe", "inherit"] });
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

/** Raw baseline: one connection to a raw-server child; `once()` moves perRun bytes. */
async function rawSetup(size, batch, chunks) {
  const server = child("raw-server.mjs", [String(size), String(batch)]);
  const { port } = await server.next();
  const socket = connect({ host: "127.0.0.1", port, noDelay: true });
  await new Promise((r) => socket.once("connect", r));
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
    async close() {
      socket.destroy();
      server.proc.kill();
    },
  };
}

/** pd: a receiver child, the sender adapter here; `once()` stores perRun bytes, then the receiver clears. */
async function pdSetup(size, batch, chunks) {
  const ports = {
    peer_host: "127.0.0.1",
    peer_init_port: [await freePort()],
    peer_alloc_port: [await freePort()],
  };
  const receiver = child("pd-receiver.mjs", [
    JSON.stringify({ role: "receiver", ...ports, buffer_size: perRun + 64 * MIB }),
  ]);
  await receiver.next();
  const sender = await createPdAdapter(PdL2AdapterConfig.fromDict({ role: "sender", ...ports }), {
    logger: quiet,
  });
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

const rows = [];
for (const mib of [1, 4, 16]) {
  const size = mib * MIB;
  const batch = Math.max(1, BATCH_BYTES / size);
  const chunks = Array.from({ length: batch }, () => randomFillSync(new Uint8Array(size)));
  const rawSide = await rawSetup(size, batch, chunks);
  const pdSide = await pdSetup(size, batch, chunks);
  const raw = [];
  const pd = [];
  // Runs alternate between raw and pd so both see the same machine load; run 0 of each is a warm-up.
  for (let run = 0; run <= runs; run++) {
    const r = await timed(() => rawSide.once());
    const p = await timed(() => pdSide.once());
    await pdSide.after();
    if (run > 0) {
      raw.push(r);
      pd.push(p);
    }
  }
  await rawSide.close();
  await pdSide.close();
  const fmt = (xs) =>
    `${Math.min(...xs).toFixed(2)} / **${median(xs).toFixed(2)}** / ${Math.max(...xs).toFixed(2)}`;
  rows.push(
    `| ${mib} MiB | ${batch} | ${fmt(raw)} | ${fmt(pd)} | ${(median(pd) / median(raw)).toFixed(2)}x |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}
console.log(
  `runs per cell: ${runs} (+1 warm-up), raw and pd alternating, ${perRun / MIB} MiB per run, batches of ${BATCH_BYTES / MIB} MiB`,
);
console.log(
  "| chunk | chunks/batch | raw node:net GB/s (min / median / max) | pd sender->receiver GB/s | pd / raw (medians) |",
);
console.log("|---|---|---|---|---|");
for (const row of rows) console.log(row);
