import { defineL2AdapterConfig, z } from "@x/l2-core";

/** 64 MiB: the staging buffer per rank when `buffer_size` is absent. */
export const DEFAULT_BUFFER_SIZE = 67_108_864;

export const PD_ROLES = ["sender", "receiver"] as const;
export type PdRole = (typeof PD_ROLES)[number];
export const PD_BUFFER_DEVICES = ["cpu", "cuda"] as const;
export type PdBufferDevice = (typeof PD_BUFFER_DEVICES)[number];
export const PD_TRANSFER_CHANNELS = ["nixl", "mock_memory"] as const;
export type PdTransferChannel = (typeof PD_TRANSFER_CHANNELS)[number];

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(" or ");

const port = z
  .number({ message: "must be a port number" })
  .int({ message: "must be an integer port number" })
  .min(1, { message: "must be a port number from 1 to 65535" })
  .max(65535, { message: "must be a port number from 1 to 65535" });

const portList = (meaning: string) =>
  z
    .array(port, { message: "must be an array of port numbers, one per TP rank" })
    .min(1, { message: "must list at least one port (one per TP rank), e.g. [9051] for TP=1" })
    .readonly()
    .describe(meaning);

const millis = (fallback: number, meaning: string) =>
  z
    .number({ message: "must be a number of milliseconds" })
    .int({ message: "must be an integer number of milliseconds" })
    .min(1, { message: "must be at least 1 ms" })
    .max(3_600_000, { message: "must be at most 3600000 ms (1 hour)" })
    .default(fallback)
    .describe(meaning);

const count = (fallback: number, min: number, max: number, meaning: string) =>
  z
    .number({ message: "must be a number" })
    .int({ message: "must be an integer" })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` })
    .default(fallback)
    .describe(meaning);

const pemFile = (meaning: string) =>
  z
    .string({ message: "must be a file path" })
    .min(1, { message: "must be a non-empty file path (or leave the key out)" })
    .optional()
    .describe(meaning);

const pdSchema = z
  .object({
    role: z
      .enum(PD_ROLES, { message: `must be ${quoted(PD_ROLES)}` })
      .describe('"sender" (prefill node, pushes chunks) or "receiver" (decode node, holds them)'),
    peer_host: z
      .string({ message: "must be a host name or IP address" })
      .min(1, { message: "must be a non-empty host name or IP address" })
      .describe("remote peer host name or IP (the sender connects to it)"),
    peer_init_port: portList("per-TP-rank init (handshake) ports; [9051] for TP=1"),
    peer_alloc_port: portList("per-TP-rank allocation (slot + data) ports; [9052] for TP=1"),
    proxy_host: z
      .string({ message: "must be a host name or IP address" })
      .default("")
      .describe('proxy notification host (sender only); "" = no proxy'),
    proxy_port: z
      .number({ message: "must be a port number" })
      .int({ message: "must be an integer port number" })
      .min(0, { message: "must be 0 (no proxy) or a port number from 1 to 65535" })
      .max(65535, { message: "must be 0 (no proxy) or a port number from 1 to 65535" })
      .default(0)
      .describe("proxy notification port (sender only); 0 = no proxy"),
    buffer_size: z
      .number({ message: "must be a number of bytes" })
      .int({ message: "must be an integer number of bytes" })
      .min(4096, { message: "must be at least 4096 bytes" })
      .max(2 ** 32 - 1, { message: "must be below 4 GiB (4294967295 bytes)" })
      .default(DEFAULT_BUFFER_SIZE)
      .describe("bytes of staging buffer per rank (64 MiB)"),
    buffer_device: z
      .enum(PD_BUFFER_DEVICES, { message: `must be ${quoted(PD_BUFFER_DEVICES)}` })
      .default("cpu")
      .describe('"cpu" or "cuda" (cuda needs a GPU: creation fails without one)'),
    transfer_channel: z
      .enum(PD_TRANSFER_CHANNELS, { message: `must be ${quoted(PD_TRANSFER_CHANNELS)}` })
      .default("nixl")
      .describe('"nixl" (our TCP transport for backend "tcp") or "mock_memory" (in-process, for tests)'),
    nixl_backends: z
      .array(z.string({ message: "must be a backend name" }).min(1, { message: "must not be empty" }), {
        message: 'must be an array of backend names, e.g. ["tcp"]',
      })
      .min(1, { message: 'must list at least one backend, e.g. ["tcp"]' })
      .default(["tcp"])
      .readonly()
      .describe('transport backends; only ["tcp"] runs here'),
    auth_token: z
      .string({ message: "must be a string" })
      .min(1, { message: "must be a non-empty shared secret (or leave the key out)" })
      .max(4096, { message: "must be at most 4096 characters" })
      .optional()
      .describe(
        "shared secret proven by challenge-response (HMAC) at the handshake of every connection, never sent; absent = no authentication",
      ),
    bind_host: z
      .string({ message: "must be a host name or IP address" })
      .min(1, { message: "must be a non-empty address such as 127.0.0.1" })
      .default("127.0.0.1")
      .describe("address the receiver listens on (receiver only)"),
    connect_timeout_ms: millis(5000, "sender: time allowed to connect and finish the handshake"),
    transfer_timeout_ms: millis(
      30_000,
      "time allowed for one batch (slot grant + data + confirmation); the receiver also drops a batch whose data stalls this long",
    ),
    admission_timeout_ms: millis(
      5000,
      "receiver: how long a batch waits for staging space before its slots are refused",
    ),
    handshake_timeout_ms: millis(
      5000,
      "receiver: a connection that has not authenticated within this time is closed",
    ),
    max_connections: count(512, 1, 65_536, "receiver: connections held at once, both ports together"),
    max_connections_per_host: count(
      128,
      1,
      65_536,
      "receiver: connections held at once from one source address",
    ),
    peer_buffer_share: z
      .number({ message: "must be a number" })
      .gt(0, { message: "must be above 0 (a fraction of buffer_size, e.g. 0.5)" })
      .max(1, { message: "must be at most 1 (the whole buffer)" })
      .default(1)
      .describe(
        "receiver: fraction of buffer_size one sender (its handshake sender id) may hold, reserved plus stored; 1 = no limit",
      ),
    tls_enable: z
      .boolean({ message: "must be true or false" })
      .default(false)
      .describe("run both ports over TLS (node:tls); needs tls_cert_file and tls_key_file on the receiver"),
    tls_ca_file: pemFile(
      "PEM CA bundle: the sender verifies the receiver with it; on the receiver it turns on mutual TLS (client certificates required)",
    ),
    tls_cert_file: pemFile(
      "PEM certificate this side presents (receiver: required with TLS; sender: for mutual TLS)",
    ),
    tls_key_file: pemFile("PEM private key of tls_cert_file"),
  })
  .superRefine((value, ctx) => {
    if (value.peer_init_port.length !== value.peer_alloc_port.length) {
      ctx.addIssue({
        code: "custom",
        path: ["peer_alloc_port"],
        message: `must have one port per TP rank like peer_init_port (${value.peer_init_port.length} entries, got ${value.peer_alloc_port.length})`,
      });
    }
    if ((value.tls_cert_file === undefined) !== (value.tls_key_file === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [value.tls_cert_file === undefined ? "tls_cert_file" : "tls_key_file"],
        message: "tls_cert_file and tls_key_file must be set together",
      });
    }
    if (value.tls_enable && value.role === "receiver" && value.tls_cert_file === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["tls_cert_file"],
        message: "a TLS receiver needs a certificate: set tls_cert_file and tls_key_file (PEM files)",
      });
    }
    if (value.tls_enable && value.transfer_channel !== "nixl") {
      ctx.addIssue({
        code: "custom",
        path: ["tls_enable"],
        message: 'TLS runs on the TCP transport only: use transfer_channel "nixl" or set tls_enable false',
      });
    }
    const tlsFiles = ["tls_ca_file", "tls_cert_file", "tls_key_file"] as const;
    for (const field of tlsFiles) {
      if (value[field] !== undefined && !value.tls_enable) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} has no effect without "tls_enable": true; set tls_enable or drop ${field}`,
        });
      }
    }
    if ((value.proxy_host === "") !== (value.proxy_port === 0)) {
      ctx.addIssue({
        code: "custom",
        path: [value.proxy_host === "" ? "proxy_host" : "proxy_port"],
        message: "proxy_host and proxy_port must be set together (or both left out for no proxy)",
      });
    }
  });

/**
 * Config of the `pd` (prefill/decode disaggregation) adapter. JSON keys are snake_case; parsed instances
 * are frozen and expose these camelCase fields.
 */
export class PdL2AdapterConfig extends defineL2AdapterConfig("pd", pdSchema, {
  summary:
    "prefill/decode disaggregation: the sender (prefill) pushes KV chunks to the receiver (decode) over TCP",
  example: { role: "sender", peer_host: "127.0.0.1", peer_init_port: [9051], peer_alloc_port: [9052] },
}) {
  /** "sender" (prefill node, pushes chunks) or "receiver" (decode node, holds them). Required. */
  declare readonly role: PdRole;
  /** Remote peer host name or IP; the sender connects to it. Required. */
  declare readonly peerHost: string;
  /** Per-TP-rank init (handshake) ports, e.g. [9051] for TP=1. Required, 1..65535 each. */
  declare readonly peerInitPort: readonly number[];
  /** Per-TP-rank allocation (slot + data) ports, e.g. [9052] for TP=1. Required, 1..65535 each. */
  declare readonly peerAllocPort: readonly number[];
  /** Proxy notification host (sender only). Default "" (no proxy). */
  declare readonly proxyHost: string;
  /** Proxy notification port (sender only). Default 0 (no proxy). */
  declare readonly proxyPort: number;
  /** Bytes of staging buffer per rank. Default 67108864 (64 MiB). */
  declare readonly bufferSize: number;
  /** "cpu" or "cuda". Default "cpu"; "cuda" fails at creation on machines without a GPU. */
  declare readonly bufferDevice: PdBufferDevice;
  /** "nixl" (our TCP transport) or "mock_memory" (in-process, tests). Default "nixl". */
  declare readonly transferChannel: PdTransferChannel;
  /** Transport backends. Default ["tcp"]; any other backend fails at creation. */
  declare readonly nixlBackends: readonly string[];
  /** Shared secret checked at the handshake of every connection. Default absent (no authentication). */
  declare readonly authToken?: string | undefined;
  /** Address the receiver listens on. Default "127.0.0.1". */
  declare readonly bindHost: string;
  /** Sender: time allowed to connect and finish the handshake. Default 5000 ms. */
  declare readonly connectTimeoutMs: number;
  /** Time allowed for one batch (grant + data + confirmation). Default 30000 ms. */
  declare readonly transferTimeoutMs: number;
  /** Receiver: how long a batch waits for staging space before refusal. Default 5000 ms. */
  declare readonly admissionTimeoutMs: number;
  /** Receiver: a connection must authenticate within this time. Default 5000 ms. */
  declare readonly handshakeTimeoutMs: number;
  /** Receiver: connections held at once, both ports together. Default 512. */
  declare readonly maxConnections: number;
  /** Receiver: connections held at once from one source address. Default 128. */
  declare readonly maxConnectionsPerHost: number;
  /** Receiver: fraction of `bufferSize` one sender may hold. Default 1 (no limit). */
  declare readonly peerBufferShare: number;
  /** Both ports over TLS. Default false. */
  declare readonly tlsEnable: boolean;
  /** PEM CA bundle (sender: verifies the receiver; receiver: requires client certificates). */
  declare readonly tlsCaFile?: string | undefined;
  /** PEM certificate this side presents. */
  declare readonly tlsCertFile?: string | undefined;
  /** PEM private key of `tlsCertFile`. */
  declare readonly tlsKeyFile?: string | undefined;
}
