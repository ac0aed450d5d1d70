import { describeConfigStringEviction } from "@x/l2-testkit";
import { afterAll, beforeAll } from "vitest";
import { uniquePrefix } from "./support/adapters.js";
import { type RedisServer, startRedis } from "./support/redis-servers.mjs";

// x-l2's controller as the eviction authority (the default): a capacity and an eviction block in the
// config string, the server left at noeviction.
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server?.stop());

describeConfigStringEviction({
  name: "valkey",
  configString: (capacity) =>
    JSON.stringify({
      type: "valkey",
      host: server.host,
      port: server.port,
      key_prefix: uniquePrefix("evict"),
      max_capacity_gb: capacity / 2 ** 30,
      eviction: { eviction_policy: "LRU" },
    }),
});
