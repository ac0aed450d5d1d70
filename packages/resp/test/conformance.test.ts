import { fileURLToPath } from "node:url";
import { describeL2AdapterConformance, describeL2AdapterPackageConformance } from "@x/l2-testkit";
import { afterAll, beforeAll } from "vitest";
import { createResp, createValkey, uniquePrefix } from "./support/adapters.js";
import {
  type RedisCluster,
  type RedisServer,
  redisCli,
  startCluster,
  startRedis,
} from "./support/redis-servers.mjs";

// The shared suite against real servers: valkey on one server and on a 3-primary cluster (a fresh
// key_prefix per case isolates it), resp on one server (no prefix: the database is flushed per case).
let standalone: RedisServer;
let respServer: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [standalone, respServer, cluster] = await Promise.all([startRedis(), startRedis(), startCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([standalone?.stop(), respServer?.stop(), cluster?.stop()]);
});

const chunkSizes = [1, 7, 4096, 64 * 1024 + 3, 1024 * 1024, 4 * 1024 * 1024];

describeL2AdapterConformance({
  name: "valkey (standalone)",
  chunkSizes,
  create: () => createValkey({ host: standalone.host, port: standalone.port, key_prefix: uniquePrefix("s") }),
});

describeL2AdapterConformance({
  name: "valkey (3-primary cluster)",
  chunkSizes,
  create: () =>
    createValkey({ startup_nodes: cluster.startupNodes, cluster_mode: true, key_prefix: uniquePrefix("c") }),
});

describeL2AdapterConformance({
  name: "resp (standalone)",
  chunkSizes,
  create: async () => {
    await redisCli(respServer, ["flushall"]);
    return createResp({ host: respServer.host, port: respServer.port });
  },
});

describeL2AdapterPackageConformance({ packageDir: fileURLToPath(new URL("..", import.meta.url)) });
