import { readFileSync } from "node:fs";
import { L2Error } from "@x/l2-core";
import { createClient, createCluster, RESP_TYPES } from "redis";
import type { RespConnectionOptions } from "./connection-options.js";
import { scrub } from "./secrets.js";

/** The node-redis surface this package uses, the same for one server and for a cluster. */
export interface Commands {
  get(key: string): Promise<Buffer | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  hGetAll(key: string): Promise<Record<string, string>>;
  strLen(key: string): Promise<number>;
}

export interface NodeHandle {
  readonly address: string;
  readonly client: {
    scan(
      cursor: string,
      options: { MATCH: string; COUNT: number },
    ): Promise<{ cursor: string; keys: string[] }>;
    hGetAll(key: string): Promise<Record<string, string>>;
    info(section: string): Promise<string>;
    configGet(name: string): Promise<Record<string, string>>;
  };
}

/**
 * One node-redis client or cluster client. Commands fail fast while disconnected (no offline queue), so a
 * dead server shows as failed stores and misses at once, and reconnection runs in the background.
 */
export class RespConnection {
  readonly #options: RespConnectionOptions;
  readonly #raw: any;
  readonly commands: Commands & { multi(routingKey: string): any };
  #closing = false;
  #everReady = false;
  #lastError: string | undefined;

  private constructor(options: RespConnectionOptions) {
    this.#options = options;
    const socket = this.#socketOptions();
    const common = {
      username: options.username || undefined,
      password: options.password || undefined,
      disableOfflineQueue: true,
      commandOptions: { timeout: options.requestTimeoutMs },
    };
    if (options.clusterMode) {
      this.#raw = createCluster({
        rootNodes: options.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
        defaults: { ...common, socket },
        useReplicas: false,
      });
    } else {
      const node = options.nodes[0]!;
      this.#raw = createClient({
        ...common,
        database: options.databaseId,
        socket: { ...socket, host: node.host, port: node.port },
      });
    }
    this.#raw.on("error", (error: unknown) => {
      this.#lastError = this.describe(error);
    });
    const typed = this.#raw.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const multi = typed.multi.bind(typed);
    this.commands = Object.assign(Object.create(typed), {
      multi: (routingKey: string) => (options.clusterMode ? multi(routingKey) : multi()),
    });
  }

  /** Connects; a server that is down, refuses the credentials or cannot be verified is a typed error here. */
  static async open(options: RespConnectionOptions): Promise<RespConnection> {
    const connection = new RespConnection(options);
    try {
      await withTimeout(connection.#raw.connect(), options.connectionTimeoutMs, "connect");
      connection.#everReady = true;
      return connection;
    } catch (error) {
      connection.#closing = true;
      try {
        connection.#raw.destroy();
      } catch {
        // already torn down
      }
      throw connection.#openError(error);
    }
  }

  get ready(): boolean {
    return !this.#closing && this.#raw.isReady === true;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  get addresses(): string[] {
    return this.#options.nodes.map((n) => `${n.host}:${n.port}`);
  }

  /** The primaries (one entry for a standalone server). */
  async nodes(): Promise<NodeHandle[]> {
    if (!this.#options.clusterMode) return [{ address: this.addresses[0]!, client: this.#raw }];
    const masters = [...this.#raw.masters].sort((a: any, b: any) => (a.address < b.address ? -1 : 1));
    return Promise.all(
      masters.map(async (m: any) => ({
        address: m.address as string,
        client: await this.#raw.nodeClient(m),
      })),
    );
  }

  /** A client error as text with every secret removed. */
  describe(error: unknown): string {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return scrub(text, [this.#options.password]);
  }

  async close(): Promise<void> {
    if (this.#closing && !this.#everReady) return;
    this.#closing = true;
    try {
      await withTimeout(this.#raw.close(), this.#options.requestTimeoutMs, "close");
    } catch {
      this.#raw.destroy();
    }
  }

  #socketOptions(): Record<string, unknown> {
    const o = this.#options;
    const socket: Record<string, unknown> = {
      connectTimeout: o.connectionTimeoutMs,
      // Before the first connection: give up (the creation error says why). After: keep retrying quickly,
      // so the adapter recovers on its own when the server is back.
      reconnectStrategy: (retries: number, cause: Error) => {
        if (this.#closing) return false;
        if (!this.#everReady) return cause;
        return Math.min(50 * 2 ** retries, 500);
      },
    };
    if (o.tls) {
      socket.tls = true;
      if (o.tls.caFile) socket.ca = readTlsFile(o.type, "tls_ca_file", o.tls.caFile);
      if (o.tls.certFile) socket.cert = readTlsFile(o.type, "tls_cert_file", o.tls.certFile);
      if (o.tls.keyFile) socket.key = readTlsFile(o.type, "tls_key_file", o.tls.keyFile);
    }
    return socket;
  }

  #openError(error: unknown): L2Error {
    const where = this.addresses.join(",");
    const text = this.describe(error);
    const o = this.#options;
    let hint = `check that a Redis/Valkey server listens on ${where}`;
    if (/WRONGPASS|NOAUTH|invalid username-password|AUTH/i.test(text)) {
      hint = "check username and password (the server refused them)";
    } else if (/NOPERM|no permissions/i.test(text)) {
      hint = "the ACL user needs +@read +@write +eval +multi +exec +scan on the chunk and x-l2-meta keys";
    } else if (/certificate|self.signed|SSL|TLS|EPROTO/i.test(text)) {
      hint = o.tls?.caFile
        ? "check tls_ca_file / tls_cert_file / tls_key_file and the server's certificate"
        : "the server's certificate is not trusted by the OS store: set tls_ca_file";
    } else if (/timed out|timeout/i.test(text)) {
      hint = `nothing answered within connection_timeout (${o.connectionTimeoutMs / 1000} s) on ${where}`;
    }
    return new L2Error("IO_FAILED", `${o.type}: cannot use the server at ${where}: ${text}`, {
      adapterType: o.type,
      hint,
    });
  }
}

function readTlsFile(type: string, field: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new L2Error(
      "CONFIG_INVALID",
      `field "${field}": cannot read ${JSON.stringify(path)}: ${String(error)}`,
      {
        adapterType: type,
        field,
        hint: "give a readable PEM file",
      },
    );
  }
}

/** Rejects with TIMEOUT after `ms`; the underlying work is not cancelled (callers treat it as failed). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new L2Error("TIMEOUT", `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
