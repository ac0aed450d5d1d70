import { defineL2AdapterConfig, z } from "@x/l2-core";
import { checkSecretFields, redactSecrets } from "./secrets.js";

const num = () => z.number({ message: "must be a number" });
const positiveSeconds = (fallback: number) =>
  num().positive({ message: "must be a positive number of seconds" }).default(fallback);
const file = () =>
  z
    .string({ message: "must be a file path" })
    .min(1, { message: "must be a non-empty file path" })
    .optional();

/**
 * LMCache's `valkey` keys and defaults (ValkeyL2AdapterConfig), plus `ttl_seconds` and the TLS file
 * options LMCache lists as future work (self-signed, private CA, mutual TLS).
 */
export const valkeySchema = z
  .object({
    startup_nodes: z
      .string({ message: 'must be a "host:port[,host:port...]" string' })
      .optional()
      .describe('"h1:6379,h2:6379"; standalone uses the first, cluster discovers the rest'),
    host: z.string({ message: "must be a string" }).min(1).optional().describe("single-node shortcut"),
    port: num().int().min(1).max(65535, { message: "must be a port from 1 to 65535" }).optional(),
    cluster_mode: z.boolean({ message: "must be true or false" }).default(false),
    username: z.string({ message: "must be a string" }).default(""),
    password: z.string().default("").describe("AUTH password; never shown in status, logs or errors"),
    key_prefix: z
      .string({ message: "must be a string" })
      .refine((s) => !s.includes("@"), { message: 'must not contain "@"' })
      .refine((s) => !/[{}]/.test(s), { message: 'must not contain "{" or "}" (no hashtags)' })
      .default("")
      .describe('namespace joined to each key with "@"; accounting is shared per prefix'),
    num_workers: num().int().positive({ message: "must be a positive integer" }).default(8),
    tls_enable: z.boolean({ message: "must be true or false" }).default(false),
    tls_ca_file: file().describe("PEM CA bundle to trust (self-signed / private CA); default: OS store"),
    tls_cert_file: file().describe("PEM client certificate, for mutual TLS (with tls_key_file)"),
    tls_key_file: file().describe("PEM client key, for mutual TLS (with tls_cert_file)"),
    database_id: num().int().min(0, { message: "must be an integer >= 0" }).optional(),
    request_timeout: positiveSeconds(5).describe("seconds one command may take"),
    connection_timeout: positiveSeconds(10).describe("seconds to connect"),
    max_capacity_gb: num().min(0, { message: "must be a non-negative number" }).default(0),
    ttl_seconds: num()
      .int({ message: "must be an integer" })
      .min(0, { message: "must be >= 0" })
      .default(0)
      .describe("server-side expiry per key (SET EX); 0 = never (LMCache's behaviour)"),
  })
  .superRefine((v, ctx) => {
    if (v.startup_nodes === undefined && v.host === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["startup_nodes"],
        message: 'give startup_nodes ("h1:6379,h2:6379") or host and port',
      });
    }
    if (v.startup_nodes !== undefined && (v.host !== undefined || v.port !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["host"],
        message: "give either startup_nodes or host + port, not both",
      });
    }
    if (v.host !== undefined && v.port === undefined) {
      ctx.addIssue({ code: "custom", path: ["port"], message: "is needed with host" });
    }
    if (v.startup_nodes !== undefined) {
      const problem = startupNodesProblem(v.startup_nodes);
      if (problem) ctx.addIssue({ code: "custom", path: ["startup_nodes"], message: problem });
    }
    if ((v.tls_cert_file === undefined) !== (v.tls_key_file === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["tls_cert_file"],
        message: "tls_cert_file and tls_key_file go together",
      });
    }
    if (!v.tls_enable && (v.tls_ca_file || v.tls_cert_file || v.tls_key_file)) {
      ctx.addIssue({
        code: "custom",
        path: ["tls_enable"],
        message: "must be true when a tls_*_file is given",
      });
    }
    if (v.cluster_mode && v.database_id !== undefined && v.database_id !== 0) {
      ctx.addIssue({ code: "custom", path: ["database_id"], message: "a cluster has only database 0" });
    }
  });

export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

function startupNodesProblem(raw: string): string | undefined {
  const entries = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) return 'must list at least one "host:port"';
  for (const entry of entries) {
    const at = entry.lastIndexOf(":");
    const port = Number(entry.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      return `entry ${JSON.stringify(entry)} is not "host:port" with a port from 1 to 65535`;
    }
  }
  return undefined;
}

/** "h1:6379, h2:6380" → [{ host: "h1", port: 6379 }, { host: "h2", port: 6380 }] (already validated). */
export function parseStartupNodes(raw: string): NodeAddress[] {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.lastIndexOf(":");
      return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
    });
}

export class ValkeyL2AdapterConfig extends defineL2AdapterConfig("valkey", valkeySchema, {
  summary:
    "Valkey / Redis server or cluster shared by many cache servers; LMCache's valkey key layout; usage shared per key_prefix",
  example: { startup_nodes: "127.0.0.1:6379", key_prefix: "prod", num_workers: 8, max_capacity_gb: 4 },
}) {
  static override fromDict(dict: unknown): ValkeyL2AdapterConfig {
    checkSecretFields("valkey", dict);
    return super.fromDict(dict) as ValkeyL2AdapterConfig;
  }

  override toDict(): Record<string, unknown> {
    return redactSecrets(super.toDict());
  }

  /** The nodes to connect to: startup_nodes, or the host + port shortcut. */
  get nodes(): NodeAddress[] {
    return this.startupNodes !== undefined
      ? parseStartupNodes(this.startupNodes)
      : [{ host: this.host!, port: this.port! }];
  }
}
