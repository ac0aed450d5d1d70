import {
  type AdapterUsage,
  Bitmap,
  isL2Error,
  type KeyListPage,
  L2AdapterBase,
  type L2AdapterContext,
  L2Error,
  type ListKeysOptions,
  type LoadOutcome,
  type LookupResult,
  type ObjectKey,
  type OperationOptions,
  Semaphore,
  type StoreOutcome,
} from "@x/l2-core";
import { RespConnection, withTimeout } from "./connection.js";
import type { RespConnectionOptions } from "./connection-options.js";
import { listKeysByScan } from "./scan-listing.js";
import { DELETE_SCRIPT, LOOKUP_SCRIPT, ServerIndexLayout, STORE_SCRIPT, saltField } from "./server-index.js";
import { SharedUsage } from "./shared-usage.js";
import { encodeWireKey } from "./wire-key.js";

/** How often usage() and the per-node memory are re-read from the server (other clients' writes). */
export const USAGE_REFRESH_MS = 1000;

/**
 * The `resp` and `valkey` adapters, on the 0.2 base (I/O hooks; the base keeps locks, listeners,
 * admission). Chunks are Redis strings under LMCache's wire keys. usage() is the server-side index
 * (server-index.ts), so every client under one key_prefix reports the same bytes. Locks are per process:
 * a key another client deletes between lookup and load is a miss, never wrong bytes, because a load is a
 * hit only when GET returns exactly target.byteLength bytes.
 */
export class RespL2Adapter extends L2AdapterBase {
  readonly #options: RespConnectionOptions;
  readonly #layout: ServerIndexLayout;
  readonly #inFlight: Semaphore;
  readonly #usage: SharedUsage;
  #conn: RespConnection | undefined;
  #evictionAuthority = "x-l2";
  #refreshTimer: NodeJS.Timeout | undefined;

  constructor(options: RespConnectionOptions, context: L2AdapterContext) {
    super({ type: options.type, capacityBytes: options.capacityBytes, logger: context.logger });
    this.#options = options;
    this.#layout = new ServerIndexLayout(options.keyPrefix, options.clusterMode);
    this.#inFlight = new Semaphore(options.numWorkers);
    this.#usage = new SharedUsage(this.#layout, options.clusterMode, options.requestTimeoutMs);
  }

  /** The wire key LMCache uses for `key` (with this adapter's key_prefix). */
  wireKey(key: ObjectKey): string {
    return encodeWireKey(key, this.#options.keyPrefix);
  }

  /** Shared by every client under the key_prefix (the base's own index holds only this process's keys). */
  override usage(): AdapterUsage {
    return this.#usage.snapshot(this.#options.capacityBytes);
  }

  /** Re-reads the shared usage (and, in a cluster, each primary's memory) from the server now. */
  async refreshUsage(): Promise<AdapterUsage> {
    await this.whenReady();
    await this.#usage.refresh(this.#connection);
    return this.usage();
  }

  // ---- start-up -----------------------------------------------------------------------------------------

  /** Connects, checks the user may run what the adapter needs, reads the shared usage. Typed errors only. */
  protected override async _open(): Promise<void> {
    const conn = await RespConnection.open(this.#options);
    try {
      await this.#probe(conn);
      await this.#usage.refresh(conn);
    } catch (error) {
      await conn.close();
      throw error;
    }
    this.#conn = conn;
    this.#refreshTimer = setInterval(() => {
      if (!this.closed) this.trackWork(this.#usage.refresh(conn));
    }, USAGE_REFRESH_MS);
    this.#refreshTimer.unref();
    this.logger.info(`${this.type} adapter ready`, {
      nodes: conn.addresses.join(","),
      clusterMode: this.#options.clusterMode,
      keyPrefix: this.#options.keyPrefix,
      numWorkers: this.#options.numWorkers,
      tls: this.#options.tls !== null,
      evictionAuthority: this.#evictionAuthority,
    });
  }

  // ---- I/O hooks ----------------------------------------------------------------------------------------

  protected override async _store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<StoreOutcome> {
    const outcomes = await Promise.all(keys.map((key, i) => this.#storeOne(key, objects[i]!, options)));
    const stored = new Bitmap(keys.length);
    const written = new Bitmap(keys.length);
    let failed = 0;
    let firstError: string | undefined;
    outcomes.forEach((outcome, i) => {
      if (typeof outcome === "string") {
        failed++;
        firstError ??= outcome;
        return;
      }
      stored.set(i);
      // Written = new to the shared index; a re-store of a present key overwrites the same bytes.
      if (outcome < 0) written.set(i);
    });
    if (failed === 0) return { stored, written };
    return {
      stored,
      written,
      error: new L2Error(
        "IO_FAILED",
        `${this.type}: ${failed} of ${keys.length} keys were not written (${firstError})`,
        { adapterType: this.type, hint: "the server is unreachable or refused the write; retry later" },
      ),
    };
  }

  /** The size indexed before (-1 = new key), or the failure as (secret-free) text. */
  async #storeOne(key: ObjectKey, object: Uint8Array, options: OperationOptions): Promise<number | string> {
    const wire = this.wireKey(key);
    const meta = this.#layout.keysFor(wire);
    // A view, not a copy: node-redis writes it to the socket as is.
    const value = Buffer.from(object.buffer, object.byteOffset, object.byteLength);
    try {
      const replies = await this.#command("store", options, (conn) => {
        const multi = conn.commands.multi(wire);
        if (this.#options.ttlSeconds > 0) multi.set(wire, value, { EX: this.#options.ttlSeconds });
        else multi.set(wire, value);
        multi.eval(STORE_SCRIPT, {
          keys: [meta.index, meta.usage],
          arguments: [wire, String(value.byteLength), saltField(key.cacheSalt)],
        });
        return multi.exec();
      });
      const before = Number((replies as unknown[])[1]);
      this.#usage.apply(key.cacheSalt, value.byteLength - Math.max(before, 0));
      return before;
    } catch (error) {
      const text = this.#describe(error);
      this.logger.warn(`${this.type}: SET failed`, { error: text });
      if (isL2Error(error, "TIMEOUT")) this.trackWork(this.#deleteBehind(key));
      return text;
    }
  }

  /**
   * After a store timed out the server may still be about to run it, with bytes the caller has since
   * reused. A DEL sent now on the same connection runs after that SET, so such a value never stays.
   */
  async #deleteBehind(key: ObjectKey): Promise<void> {
    const wire = this.wireKey(key);
    const meta = this.#layout.keysFor(wire);
    try {
      await this.#bounded(
        this.#connection.commands.eval(DELETE_SCRIPT, {
          keys: [wire, meta.index, meta.usage],
          arguments: [wire, saltField(key.cacheSalt)],
        }),
        "delete after a timed-out store",
      );
    } catch (error) {
      this.logger.warn(`${this.type}: could not remove a timed-out store`, { error: this.#describe(error) });
    }
  }

  protected override async _lookup(
    keys: readonly ObjectKey[],
    options: OperationOptions,
  ): Promise<LookupResult> {
    const sizes = await Promise.all(keys.map((key) => this.#lookupOne(key, options)));
    const found = new Bitmap(keys.length);
    sizes.forEach((size, i) => {
      if (size >= 0) found.set(i);
    });
    return { found, sizes: sizes.map((s) => (s >= 0 ? s : undefined)) };
  }

  /** Size of the stored chunk, or -1 when absent or unreachable (a miss is always safe). */
  async #lookupOne(key: ObjectKey, options: OperationOptions): Promise<number> {
    const wire = this.wireKey(key);
    const meta = this.#layout.keysFor(wire);
    try {
      const reply = await this.#command("lookup", options, (conn) =>
        conn.commands.eval(LOOKUP_SCRIPT, {
          keys: [wire, meta.index, meta.usage],
          arguments: [wire, saltField(key.cacheSalt)],
        }),
      );
      return Number(reply);
    } catch (error) {
      this.logger.warn(`${this.type}: lookup failed; reported as a miss`, { error: this.#describe(error) });
      return -1;
    }
  }

  protected override async _load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<LoadOutcome> {
    const loaded = new Bitmap(keys.length);
    const gone = new Bitmap(keys.length);
    await Promise.all(
      keys.map(async (key, i) => {
        const target = targets[i]!;
        try {
          const value = await this.#command("load", options, (conn) => conn.commands.get(this.wireKey(key)));
          // The client hands back its own buffer; one copy into the caller's (memcpy is ~30x the wire).
          if (value !== null && value.byteLength === target.byteLength) {
            target.set(value);
            loaded.set(i);
          } else if (value === null) {
            gone.set(i);
            // Drops a stale shared-index entry (expired by TTL, evicted by the server's maxmemory).
            this.trackWork(this.#lookupOne(key, {}));
          }
        } catch (error) {
          this.logger.warn(`${this.type}: GET failed; reported as a miss`, { error: this.#describe(error) });
        }
      }),
    );
    return { loaded, gone };
  }

  protected override async _delete(keys: readonly ObjectKey[], options: OperationOptions): Promise<Bitmap> {
    const removed = new Bitmap(keys.length);
    await Promise.all(
      keys.map(async (key, i) => {
        const wire = this.wireKey(key);
        const meta = this.#layout.keysFor(wire);
        try {
          const size = Number(
            await this.#command("delete", options, (conn) =>
              conn.commands.eval(DELETE_SCRIPT, {
                keys: [wire, meta.index, meta.usage],
                arguments: [wire, saltField(key.cacheSalt)],
              }),
            ),
          );
          if (size >= 0) {
            removed.set(i);
            this.#usage.apply(key.cacheSalt, -size);
          }
        } catch (error) {
          this.logger.warn(`${this.type}: DEL failed; key kept`, { error: this.#describe(error) });
        }
      }),
    );
    return removed;
  }

  /** SCAN under the prefix: lists what every client stored, not only this process's keys. */
  protected override _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    const conn = this.#connection;
    return listKeysByScan(
      {
        nodes: () => conn.nodes(),
        scan: (node, cursor, match, count) =>
          this.#bounded(node.client.scan(cursor, { MATCH: match, COUNT: count }), "listKeys"),
        sizes: (wires) =>
          Promise.all(wires.map((w) => this.#command("listKeys", {}, (c) => c.commands.strLen(w)))),
      },
      this.#options.keyPrefix,
      options,
    );
  }

  // ---- status and lifecycle ---------------------------------------------------------------------------

  protected override _status(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      nodes: this.#options.nodes.map((n) => `${n.host}:${n.port}`),
      clusterMode: this.#options.clusterMode,
      keyPrefix: this.#options.keyPrefix,
      numWorkers: this.#options.numWorkers,
      tlsEnable: this.#options.tls !== null,
      connected: this.#conn?.ready ?? false,
      evictionAuthority: this.#evictionAuthority,
      usageShared: true,
    };
    const lastError = this.#usage.lastError ?? this.#conn?.lastError;
    if (lastError !== undefined) status.lastError = lastError;
    if (this.#options.clusterMode) status.nodeMemory = this.#usage.nodeMemory;
    return status;
  }

  protected override _healthy(): boolean {
    return this.#conn?.ready ?? false;
  }

  protected override async _close(): Promise<void> {
    clearInterval(this.#refreshTimer);
    await this.#conn?.close();
  }

  // ---- internals --------------------------------------------------------------------------------------

  get #connection(): RespConnection {
    if (!this.#conn)
      throw new L2Error("IO_FAILED", `${this.type}: not connected`, { adapterType: this.type });
    return this.#conn;
  }

  /**
   * One command: waits for one of num_workers slots, fails at once while disconnected (the client would
   * otherwise hold it until its next reconnect attempt) or when the call was aborted, and never takes
   * longer than request_timeout.
   */
  #command<T>(
    what: string,
    options: OperationOptions,
    issue: (conn: RespConnection) => Promise<T>,
  ): Promise<T> {
    return this.#inFlight.run(() => {
      const conn = this.#connection;
      if (options.signal?.aborted) {
        return Promise.reject(
          new L2Error("ABORTED", `${this.type} ${what}: aborted`, { adapterType: this.type }),
        );
      }
      if (!conn.ready) {
        return Promise.reject(
          new L2Error("IO_FAILED", `${this.type} ${what}: not connected to ${conn.addresses.join(",")}`, {
            adapterType: this.type,
          }),
        );
      }
      return this.#bounded(issue(conn), what);
    });
  }

  #bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    return withTimeout(promise, this.#options.requestTimeoutMs, `${this.type} ${what}`);
  }

  #describe(error: unknown): string {
    return this.#conn?.describe(error) ?? String(error);
  }

  /** Fails creation with a typed error when the ACL user lacks what the adapter needs. */
  async #probe(conn: RespConnection): Promise<void> {
    const probe = `${this.#layout.metaPrefix}@probe`;
    const meta = this.#layout.keysFor(probe);
    try {
      await this.#bounded(
        conn.commands.eval(LOOKUP_SCRIPT, {
          keys: [probe, meta.index, meta.usage],
          arguments: [probe, "salt:"],
        }),
        "probe",
      );
      const multi = conn.commands.multi(probe);
      multi.set(probe, Buffer.alloc(0), { PX: 1 });
      await this.#bounded(multi.exec(), "probe");
    } catch (error) {
      throw new L2Error(
        "IO_FAILED",
        `${this.type}: the server at ${conn.addresses.join(",")} refused the adapter's commands: ${conn.describe(error)}`,
        {
          adapterType: this.type,
          hint: "the ACL user needs +@read +@write +eval +multi +exec +scan +info on ~* (chunks and x-l2-meta keys)",
        },
      );
    }
    await this.#checkEvictionAuthority(conn);
  }

  /** x-l2's controller is the default authority; a server that also evicts is reported, not fought. */
  async #checkEvictionAuthority(conn: RespConnection): Promise<void> {
    const capacity = this.#options.capacityBytes;
    try {
      const [node] = await conn.nodes();
      const config = await this.#bounded(node!.client.configGet("maxmemory*"), "probe");
      const policy = config["maxmemory-policy"] ?? "noeviction";
      const serverEvicts = Number(config.maxmemory ?? 0) > 0 && policy !== "noeviction";
      if (serverEvicts && capacity > 0) {
        this.#evictionAuthority = "both (misconfigured)";
        this.logger.warn(
          `${this.type}: the server evicts (maxmemory-policy ${policy}) and max_capacity_gb > 0; pick one authority: set the server to noeviction (x-l2 evicts), or max_capacity_gb to 0 (the server evicts)`,
        );
      } else {
        this.#evictionAuthority = serverEvicts ? "server" : capacity > 0 ? "x-l2" : "none";
      }
    } catch {
      this.#evictionAuthority = capacity > 0 ? "x-l2" : "unknown (CONFIG GET not allowed)";
    }
  }
}
