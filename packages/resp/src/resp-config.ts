import { defineL2AdapterConfig, z } from "@x/l2-core";
import { checkSecretFields, redactSecrets } from "./secrets.js";

/** LMCache's `resp` keys, same names and defaults (RESPL2AdapterConfig). */
export const respSchema = z.object({
  host: z.string({ message: "must be a string" }).min(1, { message: "must be a non-empty host name or IP" }),
  port: z
    .number({ message: "must be a number" })
    .int({ message: "must be an integer" })
    .min(1, { message: "must be a port from 1 to 65535" })
    .max(65535, { message: "must be a port from 1 to 65535" }),
  num_workers: z
    .number({ message: "must be a number" })
    .int({ message: "must be an integer" })
    .positive({ message: "must be a positive integer" })
    .default(8)
    .describe("commands in flight at once (LMCache: I/O worker threads)"),
  username: z.string({ message: "must be a string" }).default("").describe("ACL user; empty = default user"),
  password: z.string().default("").describe("AUTH password; never shown in status, logs or errors"),
  max_capacity_gb: z
    .number({ message: "must be a number" })
    .min(0, { message: "must be a non-negative number" })
    .default(0)
    .describe("capacity in GiB for usage_fraction / eviction; 0 = unknown (no eviction signal)"),
});

export class RespL2AdapterConfig extends defineL2AdapterConfig("resp", respSchema, {
  summary:
    "Redis / Valkey server over RESP, keys as LMCache's native RESP connector writes them; usage shared by every client",
  example: { host: "127.0.0.1", port: 6379, num_workers: 8, max_capacity_gb: 4 },
}) {
  static override fromDict(dict: unknown): RespL2AdapterConfig {
    checkSecretFields("resp", dict);
    return super.fromDict(dict) as RespL2AdapterConfig;
  }

  override toDict(): Record<string, unknown> {
    return redactSecrets(super.toDict());
  }
}
