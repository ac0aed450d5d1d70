import type { NodeAddress } from "./valkey-config.js";

/** What both types boil down to; `resp` fills the LMCache `resp` defaults for keys it lacks. */
export interface RespConnectionOptions {
  readonly type: "resp" | "valkey";
  readonly nodes: readonly NodeAddress[];
  readonly clusterMode: boolean;
  readonly username: string;
  readonly password: string;
  readonly keyPrefix: string;
  readonly numWorkers: number;
  readonly tls: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string } | null;
  readonly databaseId: number | undefined;
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly capacityBytes: number;
  readonly ttlSeconds: number;
}
