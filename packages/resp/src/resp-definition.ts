import { defineL2AdapterType } from "@x/l2-core";
import { RespL2Adapter } from "./resp-adapter.js";
import { RespL2AdapterConfig } from "./resp-config.js";

/** LMCache's resp adapter has no timeout keys; these are its connector's effective bounds. */
const RESP_REQUEST_TIMEOUT_MS = 5_000;
const RESP_CONNECTION_TIMEOUT_MS = 10_000;

/** The `resp` type; package.json `x-l2.adapters.resp` points here. */
export default defineL2AdapterType({
  configClass: RespL2AdapterConfig,
  create: (config, context) =>
    new RespL2Adapter(
      {
        type: "resp",
        nodes: [{ host: config.host, port: config.port }],
        clusterMode: false,
        username: config.username,
        password: config.password,
        keyPrefix: "",
        numWorkers: config.numWorkers,
        tls: null,
        databaseId: undefined,
        requestTimeoutMs: RESP_REQUEST_TIMEOUT_MS,
        connectionTimeoutMs: RESP_CONNECTION_TIMEOUT_MS,
        capacityBytes: Math.floor(config.maxCapacityGb * 2 ** 30),
        ttlSeconds: 0,
      },
      context,
    ),
});
