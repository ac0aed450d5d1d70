// What the shared accounting costs per store, without the adapter around it: a bare SET against the
// MULTI / SET / EVAL(accounting script) / EXEC the adapter sends, same values, 4 in flight, A B B A rounds.
// Usage (after `pnpm turbo run build --filter @x/l2-resp`): node bench/store-commands.mjs [rounds=9] [MiB=1]
import { randomFillSync } from "node:crypto";
import { createClient } from "redis";
import { STORE_SCRIPT } from "../dist/index.js";
import { startRedis } from "../test/support/redis-servers.mjs";

const rounds = Number(process.argv[2] ?? 9);
const size = Number(process.argv[3] ?? 1) * 1024 * 1024;
const count = Math.max(4, (32 * 1024 * 1024) / size);
const concurrency = 4;
const server = await startRedis();
try {
  const client = createClient({ socket: { host: server.host, port: server.port } });
  await client.connect();
  const values = Array.from({ length: count }, () => randomFillSync(Buffer.allocUnsafeSlow(size)));
  const timed = async (op) => {
    let next = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) await op(next++);
      }),
    );
    return (count * size) / (Number(process.hrtime.bigint() - start) / 1e9) / 1e9;
  };
  const bare = () => timed((i) => client.set(`k${i}`, values[i]));
  const accounted = () =>
    timed((i) =>
      client
        .multi()
        .set(`k${i}`, values[i])
        .eval(STORE_SCRIPT, { keys: ["index", "usage"], arguments: [`k${i}`, String(size), "salt:"] })
        .exec(),
    );
  const ratios = [];
  for (let round = -1; round < rounds; round++) {
    const a1 = await bare();
    const b1 = await accounted();
    const b2 = await accounted();
    const a2 = await bare();
    if (round >= 0) ratios.push((b1 + b2) / (a1 + a2));
  }
  ratios.sort((x, y) => x - y);
  console.log(
    `${size >> 20} MiB, ${rounds} rounds: MULTI/SET/EVAL/EXEC vs bare SET = ${ratios[ratios.length >> 1].toFixed(2)}x (median; min ${ratios[0].toFixed(2)}, max ${ratios.at(-1).toFixed(2)})`,
  );
  await client.quit();
} finally {
  await server.stop();
}
