import { defineL2AdapterType } from "@x/l2-core";
import type { RespConnectionOptions } from "./connection-options.js";
import { RespL2Adapter } from "./resp-adapter.js";
import { ValkeyL2AdapterConfig } from "./valkey-config.js";

export function valkeyConnectionOptions(config: ValkeyL2AdapterConfig): RespConnectionOptions {
  return {
    type: "valkey",
    // Standalone uses the first node, as LMCache does; a cluster discovers the rest from any seed.
    nodes: config.clusterMode ? config.nodes : config.nodes.slice(0, 1),
    clusterMode: config.clusterMode,
    username: config.username,
    password: config.password,
    keyPrefix: config.keyPrefix,
    numWorkers: config.numWorkers,
    tls: config.tlsEnable
      ? { caFile: config.tlsCaFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }
      : null,
    databaseId: config.clusterMode ? undefined : config.databaseId,
    requestTimeoutMs: config.requestTimeout * 1000,
    connectionTimeoutMs: config.connectionTimeout * 1000,
    capacityBytes: Math.floor(config.maxCapacityGb * 2 ** 30),
    ttlSeconds: config.ttlSeconds,
  };
}

/** The `valkey` type; package.json `x-l2.adapters.valkey` points here. */
export default defineL2AdapterType({
  configClass: ValkeyL2AdapterConfig,
  create: (config, context) => new RespL2Adapter(valkeyConnectionOptions(config), context),
});
