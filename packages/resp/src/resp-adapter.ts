import {
  type AdapterUsage,
  Bitmap,
  decodeListCursor,
  encodeListCursor,
  type KeyListEntry,
  type KeyListPage,
  KeyLockTable,
  L2AdapterBase,
  type L2AdapterContext,
  L2Error,
  type ListKeysOptions,
  type ObjectKey,
  Semaphore,
  type StoreResult,
} from "@x/l2-core";
import { RespConnection, withTimeout } from "./connection.js";
import type { RespConnectionOptions } from "./connection-options.js";
import {
  addUsageHash,
  DELETE_SCRIPT,
  escapeGlob,
  LOOKUP_SCRIPT,
  ServerIndexLayout,
  type ServerUsage,
  STORE_SCRIPT,
  saltField,
} from "./server-index.js";
import { decodeWireKey, encodeWireKey } from "./wire-key.js";

/** How often usage() and the per-node memory are re-read from the server (other clients' writes). */
export const USAGE_REFRESH_MS = 1000;
const SCAN_COUNT = 1000;

interface ScanCursor {
  /** Index into the sorted primaries. */
  n: number;
  /** Redis SCAN cursor of the batch the last returned key came from. */
  c: string;
  /** Id of the last key returned from that batch; the batch resumes after it. */
  a: string | null;
}

export interface NodeMemory {
  readonly used_memory: number;
  readonly maxmemory: number;
}

/**
 * The `resp` and `valkey` adapters: chunks are Redis strings under LMCache's wire keys; usage is the
 * server-side index (server-index.ts), so every client under one key_prefix reports the same bytes; locks
 * are per process. A key another client deletes between lookup and load is a miss, never wrong bytes:
 * a load is a hit only when GET returns exactly target.byteLength bytes.
 */
export class RespL2Adapter extends L2AdapterBase {
  readonly #options: RespConnectionOptions;
  readonly #conn: RespConnection;
  readonly #layout: ServerIndexLayout;
  readonly #locks = new KeyLockTable();
  readonly #inFlight: Semaphore;
  #usage: ServerUsage = { total: 0, bySalt: new Map() };
  #nodeMemory: Record<string, NodeMemory> = {};
  #evictionAuthority = "x-l2";
  readonly #background = new Set<Promise<unknown>>();
  #refreshTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<AdapterUsage> | undefined;
  #lastRefreshError: string | undefined;

  private constructor(options: RespConnectionOptions, conn: RespConnection, context: L2AdapterContext) {
    super({ type: options.type, capacityBytes: options.capacityBytes, logger: context.logger });
    this.#options = options;
    this.#conn = conn;
    this.#layout = new ServerIndexLayout(options.keyPrefix, options.clusterMode);
    this.#inFlight = new Semaphore(options.numWorkers);
  }

  /** Connects, checks the user may run what the adapter needs, reads the shared usage. Typed errors only. */
  static async open(options: RespConnectionOptions, context: L2AdapterContext): Promise<RespL2Adapter> {
    const conn = await RespConnection.open(options);
    const adapter = new RespL2Adapter(options, conn, context);
    try {
      await adapter.#probe();
      await adapter.refreshUsage();
    } catch (error) {
      await conn.close();
      throw error;
    }
    adapter.#refreshTimer = setInterval(() => {
      adapter.refreshUsage().catch(() => {});
    }, USAGE_REFRESH_MS);
    adapter.#refreshTimer.unref();
    context.logger.info(`${options.type} adapter ready`, {
      nodes: conn.addresses.join(","),
      clusterMode: options.clusterMode,
      keyPrefix: options.keyPrefix,
      numWorkers: options.numWorkers,
      tls: options.tls !== null,
    });
    return adapter;
  }

  /** The wire key LMCache uses for `key` (with this adapter's key_prefix). */
  wireKey(key: ObjectKey): string {
    return encodeWireKey(key, this.#options.keyPrefix);
  }

  override usage(): AdapterUsage {
    const capacity = this.#options.capacityBytes;
    const total = Math.max(0, this.#usage.total);
    const bySalt: Record<string, number> = {};
    for (const [salt, bytes] of this.#usage.bySalt) if (bytes > 0) bySalt[salt] = bytes;
    return Object.freeze({
      totalBytesUsed: total,
      totalCapacityBytes: capacity,
      bytesByCacheSalt: Object.freeze(bySalt),
      usageFraction: capacity > 0 ? total / capacity : -1,
    });
  }

  /** Re-reads the shared usage (and, in a cluster, each primary's memory) from the server now. */
  refreshUsage(): Promise<AdapterUsage> {
    this.#refreshing ??= this.#readServerUsage().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  // ---- operations -------------------------------------------------------------------------------------

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    const outcomes = await Promise.all(keys.map((key, i) => this.#storeOne(key, objects[i]!)));
    const written: ObjectKey[] = [];
    const sizes: number[] = [];
    let bytesWritten = 0;
    let failed = 0;
    let firstError: string | undefined;
    outcomes.forEach((outcome, i) => {
      if (typeof outcome === "string") {
        failed++;
        firstError ??= outcome;
        return;
      }
      if (outcome < 0) {
        bytesWritten += objects[i]!.byteLength;
        written.push(keys[i]!);
        sizes.push(objects[i]!.byteLength);
      }
    });
    this.notifyStored(written, sizes);
    if (failed === 0) return { ok: true, bytesWritten };
    return {
      ok: false,
      bytesWritten,
      error: new L2Error(
        "IO_FAILED",
        `${this.type}: ${failed} of ${keys.length} keys were not written (${firstError})`,
        { adapterType: this.type, hint: "the server is unreachable or refused the write; retry later" },
      ),
    };
  }

  /** The size indexed before (-1 = new key), or the failure as (secret-free) text. */
  async #storeOne(key: ObjectKey, object: Uint8Array): Promise<number | string> {
    const wire = this.wireKey(key);
    const meta = this.#layout.keysFor(wire);
    const value = Buffer.from(object.buffer, object.byteOffset, object.byteLength);
    const field = saltField(key.cacheSalt);
    try {
      const replies = await this.#command("store", () => {
        const multi = this.#conn.commands.multi(wire);
        if (this.#options.ttlSeconds > 0) multi.set(wire, value, { EX: this.#options.ttlSeconds });
        else multi.set(wire, value);
        multi.eval(STORE_SCRIPT, {
          keys: [meta.index, meta.usage],
          arguments: [wire, String(value.byteLength), field],
        });
        return multi.exec();
      });
      const before = Number((replies as unknown[])[1]);
      this.#applyDelta(key.cacheSalt, value.byteLength - Math.max(before, 0));
      return before;
    } catch (error) {
      const text = this.#conn.describe(error);
      this.logger.warn(`${this.type}: SET failed`, { error: text });
      return text;
    }
  }

  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    const sizes = await Promise.all(keys.map((key) => this.#lookupOne(key)));
    const bitmap = new Bitmap(keys.length);
    sizes.forEach((size, i) => {
      if (size >= 0) {
        bitmap.set(i);
        this.#locks.lock(keys[i]!);
      }
    });
    return bitmap;
  }

  /** Size of the stored chunk, or -1 when absent or unreachable (a miss is always safe). */
  async #lookupOne(key: ObjectKey): Promise<number> {
    const wire = this.wireKey(key);
    const meta = this.#layout.keysFor(wire);
    try {
      const reply = await this.#command("lookup", () =>
        this.#conn.commands.eval(LOOKUP_SCRIPT, {
          keys: [wire, meta.index, meta.usage],
          arguments: [wire, saltField(key.cacheSalt)],
        }),
      );
      return Number(reply);
    } catch (error) {
      this.logger.warn(`${this.type}: lookup failed; reported as a miss`, {
        error: this.#conn.describe(error),
      });
      return -1;
    }
  }

  protected _unlock(keys: readonly ObjectKey[]): void {
    for (const key of keys) this.#locks.unlock(key);
  }

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    const bitmap = new Bitmap(keys.length);
    const hits: ObjectKey[] = [];
    await Promise.all(
      keys.map(async (key, i) => {
        const target = targets[i]!;
        try {
          const value = await this.#command("load", () => this.#conn.commands.get(this.wireKey(key)));
          // The client hands back its own buffer; one copy into the caller's (memcpy is ~30x the wire).
          if (value !== null && value.byteLength === target.byteLength) {
            target.set(value);
            bitmap.set(i);
            hits.push(key);
          } else if (value === null) {
            this.#trackBackground(this.#lookupOne(key)); // drops a stale index entry (expired / evicted by the server)
          }
        } catch (error) {
          this.logger.warn(`${this.type}: GET failed; reported as a miss`, {
            error: this.#conn.describe(error),
          });
        }
      }),
    );
    this.notifyAccessed(hits);
    return bitmap;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    const unlocked = keys.filter((k) => !this.#locks.isLocked(k));
    const removed: ObjectKey[] = [];
    const sizes: number[] = [];
    const unique = new Map(unlocked.map((k) => [k.id, k]));
    await Promise.all(
      [...unique.values()].map(async (key) => {
        const wire = this.wireKey(key);
        const meta = this.#layout.keysFor(wire);
        try {
          const size = Number(
            await this.#command("delete", () =>
              this.#conn.commands.eval(DELETE_SCRIPT, {
                keys: [wire, meta.index, meta.usage],
                arguments: [wire, saltField(key.cacheSalt)],
              }),
            ),
          );
          if (size >= 0) {
            removed.push(key);
            sizes.push(size);
            this.#applyDelta(key.cacheSalt, -size);
          }
        } catch (error) {
          this.logger.warn(`${this.type}: DEL failed; key kept`, { error: this.#conn.describe(error) });
        }
      }),
    );
    this.notifyDeleted(removed, sizes);
  }

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    let at: ScanCursor = { n: 0, c: "0", a: null };
    if (options.cursor !== undefined) at = parseScanCursor(options.cursor);
    const nodes = await this.#conn.nodes();
    const prefix = this.#options.keyPrefix;
    const match = prefix === "" ? "*" : `${escapeGlob(prefix)}@*`;
    const found: { key: ObjectKey; wire: string; from: ScanCursor }[] = [];
    // Collect one more than a page, so the last page is known to be last.
    while (found.length <= options.pageSize && at.n < nodes.length) {
      const node = nodes[at.n]!;
      const reply = await this.#bounded(
        node.client.scan(at.c, { MATCH: match, COUNT: SCAN_COUNT }),
        "listKeys",
      );
      const batch = reply.keys
        .map((wire) => ({ wire, key: decodeWireKey(wire, prefix) }))
        .filter((e): e is { wire: string; key: ObjectKey } => e.key !== null)
        .filter((e) => options.modelName === undefined || e.key.modelName === options.modelName)
        .filter((e) => at.a === null || e.key.id > at.a)
        .sort((x, y) => (x.key.id < y.key.id ? -1 : 1));
      const batchCursor = at.c;
      for (const e of batch) found.push({ ...e, from: { n: at.n, c: batchCursor, a: e.key.id } });
      at =
        reply.cursor === "0"
          ? { n: at.n + 1, c: "0", a: null }
          : { n: at.n, c: String(reply.cursor), a: null };
    }
    const page = found.slice(0, options.pageSize);
    const lengths = await Promise.all(
      page.map((e) => this.#command("listKeys", () => this.#conn.commands.strLen(e.wire))),
    );
    const entries: KeyListEntry[] = [];
    page.forEach((e, i) => {
      if (lengths[i]! > 0) entries.push({ key: e.key, sizeBytes: lengths[i]! });
    });
    const last = page[page.length - 1];
    return {
      entries,
      nextCursor:
        found.length > options.pageSize && last ? encodeListCursor(JSON.stringify(last.from)) : null,
    };
  }

  // ---- status and lifecycle ---------------------------------------------------------------------------

  protected override _status(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      nodes: this.#conn.addresses,
      clusterMode: this.#options.clusterMode,
      keyPrefix: this.#options.keyPrefix,
      numWorkers: this.#options.numWorkers,
      tlsEnable: this.#options.tls !== null,
      connected: this.#conn.ready,
      evictionAuthority: this.#evictionAuthority,
      usageShared: true,
      lockedKeys: this.#locks.size,
    };
    const lastError = this.#lastRefreshError ?? this.#conn.lastError;
    if (lastError !== undefined) status.lastError = lastError;
    if (this.#options.clusterMode) status.nodeMemory = this.#nodeMemory;
    return status;
  }

  protected override _healthy(): boolean {
    return this.#conn.ready;
  }

  protected override async _close(): Promise<void> {
    clearInterval(this.#refreshTimer);
    await this.#refreshing?.catch(() => {});
    await Promise.allSettled([...this.#background]);
    await this.#conn.close();
  }

  // ---- internals --------------------------------------------------------------------------------------

  /**
   * One data command: waits for one of num_workers slots, fails at once while disconnected (the client
   * would otherwise hold it until its next reconnect attempt), and never takes longer than request_timeout.
   */
  #command<T>(what: string, issue: () => Promise<T>): Promise<T> {
    return this.#inFlight.run(() => {
      if (!this.#conn.ready) {
        return Promise.reject(
          new L2Error(
            "IO_FAILED",
            `${this.type} ${what}: not connected to ${this.#conn.addresses.join(",")}`,
          ),
        );
      }
      return this.#bounded(issue(), what);
    });
  }

  #bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    return withTimeout(promise, this.#options.requestTimeoutMs, `${this.type} ${what}`);
  }

  /** Keeps close() waiting for background work. */
  #trackBackground(promise: Promise<unknown>): void {
    this.#background.add(promise);
    promise.finally(() => this.#background.delete(promise)).catch(() => {});
  }

  #applyDelta(salt: string, delta: number): void {
    if (delta === 0) return;
    this.#usage.total += delta;
    this.#usage.bySalt.set(salt, (this.#usage.bySalt.get(salt) ?? 0) + delta);
  }

  async #readServerUsage(): Promise<AdapterUsage> {
    try {
      const usage: ServerUsage = { total: 0, bySalt: new Map() };
      const memory: Record<string, NodeMemory> = {};
      const nodes = await this.#conn.nodes();
      for (const node of nodes) {
        if (!this.#options.clusterMode) {
          addUsageHash(
            usage,
            await this.#bounded(node.client.hGetAll(this.#layout.keysFor("").usage), "usage"),
          );
          continue;
        }
        let cursor = "0";
        do {
          const reply = await this.#bounded(
            node.client.scan(cursor, { MATCH: this.#layout.usagePattern, COUNT: SCAN_COUNT }),
            "usage",
          );
          const hashes = await Promise.all(
            reply.keys.map((k) => this.#bounded(node.client.hGetAll(k), "usage")),
          );
          for (const h of hashes) addUsageHash(usage, h);
          cursor = String(reply.cursor);
        } while (cursor !== "0");
        memory[node.address] = parseMemory(await this.#bounded(node.client.info("memory"), "usage"));
      }
      this.#usage = usage;
      this.#nodeMemory = memory;
      this.#lastRefreshError = undefined;
    } catch (error) {
      // Keep the last known numbers; status() says why they may be stale.
      this.#lastRefreshError = `usage refresh failed: ${this.#conn.describe(error)}`;
    }
    return this.usage();
  }

  /** Fails creation with a typed error when the ACL user lacks what the adapter needs. */
  async #probe(): Promise<void> {
    const probe = `${this.#layout.metaPrefix}@probe`;
    const meta = this.#layout.keysFor(probe);
    try {
      await this.#bounded(
        this.#conn.commands.eval(LOOKUP_SCRIPT, {
          keys: [probe, meta.index, meta.usage],
          arguments: [probe, "salt:"],
        }),
        "probe",
      );
      const multi = this.#conn.commands.multi(probe);
      multi.set(probe, Buffer.alloc(0), { PX: 1 });
      await this.#bounded(multi.exec(), "probe");
    } catch (error) {
      throw new L2Error(
        "IO_FAILED",
        `${this.type}: the server at ${this.#conn.addresses.join(",")} refused the adapter's commands: ${this.#conn.describe(error)}`,
        {
          adapterType: this.type,
          hint: "the ACL user needs +@read +@write +eval +multi +exec +scan +info on ~* (chunks and x-l2-meta keys)",
        },
      );
    }
    await this.#checkEvictionAuthority();
  }

  /** x-l2's controller is the default authority; a server that also evicts is reported, not fought. */
  async #checkEvictionAuthority(): Promise<void> {
    try {
      const [node] = await this.#conn.nodes();
      const config = await this.#bounded(node!.client.configGet("maxmemory*"), "probe");
      const serverEvicts = Number(config.maxmemory ?? 0) > 0 && config["maxmemory-policy"] !== "noeviction";
      if (serverEvicts && this.#options.capacityBytes > 0) {
        this.#evictionAuthority = "both (misconfigured)";
        this.logger.warn(
          `${this.type}: the server evicts (maxmemory-policy ${config["maxmemory-policy"]}) and max_capacity_gb > 0; pick one authority: set the server to noeviction, or max_capacity_gb to 0`,
        );
      } else if (serverEvicts) {
        this.#evictionAuthority = "server";
      } else {
        this.#evictionAuthority = this.#options.capacityBytes > 0 ? "x-l2" : "none";
      }
    } catch {
      this.#evictionAuthority = this.#options.capacityBytes > 0 ? "x-l2" : "unknown (CONFIG not allowed)";
    }
  }
}

function parseScanCursor(cursor: string): ScanCursor {
  const text = decodeListCursor(cursor);
  try {
    const parsed = JSON.parse(text) as ScanCursor;
    if (Number.isInteger(parsed.n) && parsed.n >= 0 && typeof parsed.c === "string") return parsed;
  } catch {
    // fall through
  }
  throw new L2Error("ARGUMENT_INVALID", "cursor is malformed; pass the nextCursor of a previous page", {
    field: "cursor",
  });
}

function parseMemory(info: string): NodeMemory {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return { used_memory: field("used_memory"), maxmemory: field("maxmemory") };
}
