// Which Node Redis client moves multi-MiB values fastest on this machine? SET and GET of 1, 4 and 16 MiB
// values, `concurrency` commands in flight on one connection (pipelined), against one redis-server started
// here. Clients are interleaved round by round (A B C D A B C D ...) and the median of the rounds reported,
// because the machine is shared. Usage: node bench/clients.mjs [rounds=5] [concurrency=4]
// Needs the four clients installed (devDependencies of @x/l2-resp; valkey-glide is optional, see README).
import { randomFillSync } from "node:crypto";
import { startRedis } from "../test/support/redis-servers.mjs";

const rounds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 4);
const SIZES = [1, 4, 16].map((m) => m * 1024 * 1024);
const BYTES_PER_ROUND = 64 * 1024 * 1024;

async function tryImport(name) {
  try {
    return await import(name);
  } catch (error) {
    console.error(`skipping ${name}: ${error.message.split("\n")[0]}`);
    return undefined;
  }
}

/** Each factory returns { set(key, buf), get(key) -> Buffer, close() } over one connection. */
const factories = {
  async ioredis(server) {
    const { Redis } = await import("ioredis");
    const c = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await c.connect();
    return { set: (k, v) => c.set(k, v), get: (k) => c.getBuffer(k), close: () => c.quit() };
  },
  async iovalkey(server) {
    const { default: Valkey } = await import("iovalkey");
    const c = new Valkey({ host: server.host, port: server.port, lazyConnect: true });
    await c.connect();
    return { set: (k, v) => c.set(k, v), get: (k) => c.getBuffer(k), close: () => c.quit() };
  },
  async "node-redis"(server) {
    const { createClient, RESP_TYPES } = await import("redis");
    const base = createClient({ socket: { host: server.host, port: server.port } });
    await base.connect();
    const c = base.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => base.quit() };
  },
  async "valkey-glide"(server) {
    const glide = await tryImport("@valkey/valkey-glide");
    if (!glide) return undefined;
    const c = await glide.GlideClient.createClient({
      addresses: [{ host: server.host, port: server.port }],
      requestTimeout: 30_000,
    });
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k, { decoder: glide.Decoder.Bytes }),
      close: () => c.close(),
    };
  },
};

async function timed(count, op) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const server = await startRedis();
try {
  const clients = {};
  for (const [name, make] of Object.entries(factories)) {
    const client = await make(server);
    if (client) clients[name] = client;
  }
  const results = {};
  for (const size of SIZES) {
    const count = Math.max(4, BYTES_PER_ROUND / size);
    const values = Array.from({ length: concurrency }, () => randomFillSync(Buffer.allocUnsafe(size)));
    for (let round = -1; round < rounds; round++) {
      for (const [name, c] of Object.entries(clients)) {
        const key = (i) => `bench:${name}:${size}:${i}`;
        const setS = await timed(count, (i) => c.set(key(i), values[i % concurrency]));
        const getS = await timed(count, async (i) => {
          const got = await c.get(key(i));
          if (got?.byteLength !== size) throw new Error(`${name}: GET returned ${got?.byteLength} bytes`);
        });
        if (round < 0) continue; // warm-up
        const label = `${name} ${size >> 20} MiB`;
        results[label] ??= { set: [], get: [] };
        const r = results[label];
        r.set.push((count * size) / setS / 1e9);
        r.get.push((count * size) / getS / 1e9);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(
    `rounds ${rounds}, concurrency ${concurrency}, ${BYTES_PER_ROUND >> 20} MiB per round; GB/s median (min-max)`,
  );
  for (const [label, r] of Object.entries(results)) {
    const f = (xs) =>
      `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
    console.log(`${label.padEnd(22)} SET ${f(r.set)}  GET ${f(r.get)}`);
  }
  for (const c of Object.values(clients)) await c.close();
} finally {
  await server.stop();
}
