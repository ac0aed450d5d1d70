import { defineL2AdapterType, L2Error } from "@x/l2-core";
import type { RespConnectionOptions } from "./connection-options.js";
import { RespL2Adapter } from "./resp-adapter.js";
import { RespL2AdapterConfig } from "./resp-config.js";

/** LMCache's resp adapter has no timeout keys; these are the bounds used (valkey's defaults). */
const RESP_REQUEST_TIMEOUT_MS = 5_000;
const RESP_CONNECTION_TIMEOUT_MS = 10_000;

/**
 * As LMCache's resp factory: LMCACHE_RESP_HOST / _PORT / _USERNAME / _PASSWORD, when set, override the
 * config at creation, so credentials need not be written into a config string at all.
 */
export function respConnectionOptions(
  config: RespL2AdapterConfig,
  env: Record<string, string | undefined> = process.env,
): RespConnectionOptions {
  const portText = env.LMCACHE_RESP_PORT;
  const port = portText ? Number(portText) : config.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new L2Error(
      "CONFIG_INVALID",
      `LMCACHE_RESP_PORT must be a port from 1 to 65535, got ${JSON.stringify(portText)}`,
      {
        adapterType: "resp",
        field: "port",
      },
    );
  }
  return {
    type: "resp",
    nodes: [{ host: env.LMCACHE_RESP_HOST || config.host, port }],
    clusterMode: false,
    username: env.LMCACHE_RESP_USERNAME || config.username,
    password: env.LMCACHE_RESP_PASSWORD || config.password,
    keyPrefix: "",
    numWorkers: config.numWorkers,
    tls: null,
    databaseId: undefined,
    requestTimeoutMs: RESP_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: RESP_CONNECTION_TIMEOUT_MS,
    capacityBytes: Math.floor(config.maxCapacityGb * 2 ** 30),
    ttlSeconds: 0,
  };
}

/** The `resp` type; package.json `x-l2.adapters.resp` points here. */
export default defineL2AdapterType({
  configClass: RespL2AdapterConfig,
  create: (config, context) => new RespL2Adapter(respConnectionOptions(config), context),
});
