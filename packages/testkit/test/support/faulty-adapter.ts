import { setImmediate as nextMacrotask, setTimeout as sleep } from "node:timers/promises";
import {
  type AdapterCapabilities,
  type AdapterStatus,
  type AdapterUsage,
  Bitmap,
  isObjectKey,
  type KeyListEntry,
  type KeyListPage,
  type L2Adapter,
  type L2AdapterListener,
  L2Error,
  type ListKeysOptions,
  type ObjectKey,
  type StoreResult,
} from "@x/l2-core";

/**
 * Test-only adapter written straight against the L2Adapter interface (no L2AdapterBase), so none of the
 * base class's safety nets hide a bug. Without a fault it keeps the whole contract; each fault breaks
 * exactly one behaviour, the way real adapters get it wrong.
 */
export type Fault =
  | "type-empty"
  | "status-healthy-not-boolean"
  | "store-bytes-first-key-only"
  | "restore-rewrites-bytes"
  | "empty-store-not-ok"
  | "keeps-caller-buffer"
  | "no-argument-checks"
  | "bitmap-word-rounded"
  | "bit-order-compact"
  | "delete-ignores-locks"
  | "lock-not-counted"
  | "unlock-noop"
  | "lock-misses"
  | "unlock-throws-unknown"
  | "unlock-underflow"
  | "partial-load-hit"
  | "oversize-load-hit"
  | "load-stops-at-miss"
  | "load-rejects-miss"
  | "load-first-64k-only"
  | "load-ignores-view-offset"
  | "delete-only-first"
  | "delete-throws-missing"
  | "delete-keeps-usage"
  | "usage-single-bucket"
  | "restore-double-counted"
  | "usage-negative"
  | "fraction-zero-without-capacity"
  | "usage-live-object"
  | "stored-event-on-restore"
  | "accessed-includes-misses"
  | "deleted-event-for-locked"
  | "listener-throw-breaks"
  | "remove-listener-noop"
  | "list-capability-lies"
  | "list-cursor-off-by-one"
  | "list-ignores-model"
  | "list-accepts-any-page-size"
  | "list-offset-cursor"
  | "racy-store"
  | "same-key-double-count"
  | "shared-scratch-buffer"
  | "publish-before-copy"
  | "large-chunks-truncated"
  | "zero-chunk-sparse"
  | "key-ignores-salt"
  | "key-ignores-group"
  | "key-ignores-rank"
  | "key-ignores-model"
  | "close-not-idempotent"
  | "closed-flag-late"
  | "hang-after-close"
  | "close-does-not-wait";

export interface FaultyAdapterOptions {
  /** Delay added to store/lookup/load/delete, so operations are really in flight across macrotasks. */
  opDelayMs?: number;
}

interface Stored {
  key: ObjectKey;
  bytes: Uint8Array;
}

const TRUNCATE_AT = 64 * 1024;

export class FaultyAdapter implements L2Adapter {
  readonly fault: Fault | undefined;
  readonly #opDelayMs: number;
  readonly #objects = new Map<string, Stored>();
  /** Every size ever stored per id; only the usage-negative fault reads it. */
  readonly #everStored = new Map<string, Stored>();
  readonly #locks = new Map<string, number>();
  readonly #bySalt = new Map<string, number>();
  readonly #listeners = new Set<L2AdapterListener>();
  readonly #inflight = new Set<Promise<unknown>>();
  #scratch = new Uint8Array(0);
  #writers = 0;
  #live:
    | {
        totalBytesUsed: number;
        totalCapacityBytes: number;
        bytesByCacheSalt: Record<string, number>;
        usageFraction: number;
      }
    | undefined;
  #closing: Promise<void> | undefined;
  #fullyClosed = false;

  constructor(fault?: Fault, options: FaultyAdapterOptions = {}) {
    this.fault = fault;
    this.#opDelayMs = options.opDelayMs ?? (fault === "close-does-not-wait" ? 20 : 0);
  }

  #has(fault: Fault): boolean {
    return this.fault === fault;
  }

  get type(): string {
    return this.#has("type-empty") ? "" : "faulty-memory";
  }

  get capabilities(): AdapterCapabilities {
    return { listKeys: !this.#has("list-capability-lies") };
  }

  get closed(): boolean {
    return this.#has("closed-flag-late") ? this.#fullyClosed : this.#closing !== undefined;
  }

  // ---- store / lookup / lock / load / delete ---------------------------------------------------------

  store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    return this.#run("store", async () => {
      this.#checkBatch(keys, objects, "objects");
      if (keys.length === 0) return { ok: !this.#has("empty-store-not-ok"), bytesWritten: 0 };
      // The double-count fault decides "new or present" before an await, like a check-then-act race.
      const presentBefore = keys.map((key) => this.#objects.has(this.#id(key)));
      await this.#delay();
      if (this.#has("same-key-double-count")) await nextMacrotask();
      const storedKeys: ObjectKey[] = [];
      const sizes: number[] = [];
      let bytesWritten = 0;
      for (const [i, key] of keys.entries()) {
        const object = objects[i]!;
        const size = object.byteLength;
        if (this.#has("zero-chunk-sparse") && object.every((b) => b === 0)) continue;
        const id = this.#id(key);
        const existing = this.#objects.get(id);
        const present = this.#has("same-key-double-count") ? presentBefore[i] : existing !== undefined;
        if (present && existing) {
          if (this.#has("restore-rewrites-bytes")) bytesWritten += size;
          if (this.#has("restore-double-counted")) this.#account(key, size, 1);
          if (this.#has("stored-event-on-restore")) {
            storedKeys.push(key);
            sizes.push(size);
          }
          if (this.#has("racy-store") && existing.bytes.byteLength === size) {
            // Overwrites in place; later writers go faster, so the slices end up from different writers.
            const writer = this.#writers++;
            await copyInPieces(existing.bytes, object, Math.max(0, 8 - writer));
          }
          continue;
        }
        let bytes: Uint8Array;
        if (this.#has("publish-before-copy")) {
          bytes = new Uint8Array(size);
          this.#put(id, key, bytes);
          await copyInPieces(bytes, object);
        } else {
          bytes = this.#has("keeps-caller-buffer") ? object : new Uint8Array(object);
          if (this.#has("large-chunks-truncated") && size > TRUNCATE_AT) bytes = bytes.slice(0, TRUNCATE_AT);
          this.#put(id, key, bytes);
        }
        this.#account(key, bytes.byteLength, 1);
        if (!(this.#has("store-bytes-first-key-only") && i > 0)) bytesWritten += size;
        storedKeys.push(key);
        sizes.push(bytes.byteLength);
      }
      this.#emit((l) => l.onKeysStored?.(storedKeys, sizes), storedKeys.length);
      return { ok: true, bytesWritten };
    });
  }

  lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return this.#run("lookupAndLock", async () => {
      this.#checkBatch(keys);
      await this.#delay();
      const size = this.#has("bitmap-word-rounded") ? Math.ceil(keys.length / 32) * 32 : keys.length;
      const bitmap = new Bitmap(size);
      let hits = 0;
      for (const [i, key] of keys.entries()) {
        const id = this.#id(key);
        const hit = this.#objects.has(id);
        if (hit || this.#has("lock-misses")) this.#lock(id);
        if (hit) bitmap.set(this.#has("bit-order-compact") ? hits : i);
        if (hit) hits++;
      }
      return bitmap;
    });
  }

  unlock(keys: readonly ObjectKey[]): void {
    if (this.#has("unlock-noop") || !Array.isArray(keys)) return;
    for (const key of keys) {
      if (!isObjectKey(key)) continue;
      const id = this.#id(key);
      const count = this.#locks.get(id);
      if (this.#has("unlock-underflow")) {
        this.#locks.set(id, (count ?? 0) - 1);
        continue;
      }
      if (count === undefined) {
        if (this.#has("unlock-throws-unknown")) throw new L2Error("ARGUMENT_INVALID", `${key} is not locked`);
        continue;
      }
      if (count <= 1) this.#locks.delete(id);
      else this.#locks.set(id, count - 1);
    }
  }

  load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    return this.#run("load", async () => {
      this.#checkBatch(keys, targets, "targets");
      await this.#delay();
      const bitmap = new Bitmap(keys.length);
      const accessed: ObjectKey[] = [];
      for (const [i, key] of keys.entries()) {
        const stored = this.#objects.get(this.#id(key));
        const target = targets[i]!;
        if (!stored) {
          if (this.#has("load-rejects-miss")) throw new L2Error("IO_FAILED", `${key} not found`);
          if (this.#has("load-stops-at-miss")) break;
          continue;
        }
        const { bytes } = stored;
        if (bytes.byteLength !== target.byteLength) {
          if (this.#has("partial-load-hit") && target.byteLength < bytes.byteLength) {
            target.set(bytes.subarray(0, target.byteLength));
          } else if (this.#has("oversize-load-hit") && target.byteLength > bytes.byteLength) {
            target.set(bytes);
          } else {
            if (this.#has("load-stops-at-miss")) break;
            continue;
          }
        } else if (this.#has("load-first-64k-only")) {
          target.set(bytes.subarray(0, TRUNCATE_AT));
        } else if (this.#has("load-ignores-view-offset")) {
          new Uint8Array(target.buffer, 0, bytes.byteLength).set(bytes);
        } else if (this.#has("shared-scratch-buffer")) {
          // One staging buffer for the whole adapter: parallel loads overwrite each other's bytes.
          if (this.#scratch.byteLength < bytes.byteLength) this.#scratch = new Uint8Array(bytes.byteLength);
          this.#scratch.set(bytes);
          await nextMacrotask();
          target.set(this.#scratch.subarray(0, bytes.byteLength));
        } else {
          target.set(bytes);
        }
        bitmap.set(i);
        accessed.push(key);
      }
      const reported = this.#has("accessed-includes-misses") ? [...keys] : accessed;
      this.#emit((l) => l.onKeysAccessed?.(reported), reported.length);
      return bitmap;
    });
  }

  delete(keys: readonly ObjectKey[]): Promise<void> {
    return this.#run("delete", async () => {
      this.#checkBatch(keys);
      await this.#delay();
      const deleted: ObjectKey[] = [];
      const sizes: number[] = [];
      for (const [i, key] of keys.entries()) {
        if (this.#has("delete-only-first") && i > 0) break;
        const id = this.#id(key);
        const stored = this.#objects.get(id);
        if (!stored) {
          if (this.#has("delete-throws-missing")) throw new L2Error("IO_FAILED", `${key} does not exist`);
          const ever = this.#everStored.get(id);
          if (this.#has("usage-negative") && ever) this.#account(key, ever.bytes.byteLength, -1);
          continue;
        }
        if (this.#isLocked(id) && !this.#has("delete-ignores-locks")) {
          if (this.#has("deleted-event-for-locked")) {
            deleted.push(key);
            sizes.push(stored.bytes.byteLength);
          }
          continue;
        }
        this.#objects.delete(id);
        if (!this.#has("delete-keeps-usage")) this.#account(key, stored.bytes.byteLength, -1);
        deleted.push(key);
        sizes.push(stored.bytes.byteLength);
      }
      this.#emit((l) => l.onKeysDeleted?.(deleted, sizes), deleted.length);
    });
  }

  listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return this.#run("listKeys", async () => {
      let { pageSize } = options;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) {
        if (!this.#has("list-accepts-any-page-size")) {
          throw new L2Error(
            "ARGUMENT_INVALID",
            `pageSize must be an integer from 1 to 10000, got ${pageSize}`,
          );
        }
        pageSize = Math.max(1, Math.floor(Number(pageSize)) || 10);
      }
      let entries: KeyListEntry[] = [...this.#objects.values()]
        .filter(
          (o) =>
            this.#has("list-ignores-model") ||
            options.modelName === undefined ||
            o.key.modelName === options.modelName,
        )
        .map((o) => ({ key: o.key, sizeBytes: o.bytes.byteLength }))
        .sort((a, b) => (a.key.id < b.key.id ? -1 : a.key.id > b.key.id ? 1 : 0));
      if (this.#has("list-offset-cursor")) {
        const offset = options.cursor === undefined ? 0 : Number(options.cursor);
        const page = entries.slice(offset, offset + pageSize);
        const next = offset + pageSize < entries.length ? String(offset + pageSize) : null;
        return { entries: page, nextCursor: next };
      }
      if (options.cursor !== undefined) {
        const after = Buffer.from(options.cursor, "base64url").toString("utf8");
        entries = entries.filter((e) => e.key.id > after);
      }
      const page = entries.slice(0, pageSize);
      const cursorEntry = this.#has("list-cursor-off-by-one") ? entries[pageSize] : page[page.length - 1];
      const more = entries.length > pageSize && cursorEntry !== undefined;
      return {
        entries: page,
        nextCursor: more ? Buffer.from(cursorEntry.key.id, "utf8").toString("base64url") : null,
      };
    });
  }

  // ---- accounting, listeners, status, close ----------------------------------------------------------

  usage(): AdapterUsage {
    const bytesByCacheSalt = Object.fromEntries(this.#bySalt);
    const totalBytesUsed = [...this.#bySalt.values()].reduce((a, b) => a + b, 0);
    const usageFraction = this.#has("fraction-zero-without-capacity") ? 0 : -1;
    if (this.#has("usage-live-object")) {
      this.#live ??= { totalBytesUsed, totalCapacityBytes: 0, bytesByCacheSalt, usageFraction };
      this.#live.totalBytesUsed = totalBytesUsed;
      this.#live.bytesByCacheSalt = bytesByCacheSalt;
      return this.#live;
    }
    return Object.freeze({
      totalBytesUsed,
      totalCapacityBytes: 0,
      bytesByCacheSalt: Object.freeze(bytesByCacheSalt),
      usageFraction,
    });
  }

  status(): AdapterStatus {
    const healthy: unknown = this.#has("status-healthy-not-boolean") ? "yes" : this.#closing === undefined;
    return { healthy: healthy as boolean, type: this.type, storedObjectCount: this.#objects.size };
  }

  addListener(listener: L2AdapterListener): () => void {
    this.#listeners.add(listener);
    if (this.#has("remove-listener-noop")) return () => {};
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): Promise<void> {
    if (this.#closing && this.#has("close-not-idempotent")) {
      return Promise.reject(new L2Error("ADAPTER_CLOSED", "adapter is already closed"));
    }
    this.#closing ??= (async () => {
      await Promise.resolve();
      if (!this.#has("close-does-not-wait")) {
        while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      }
      this.#objects.clear();
      this.#locks.clear();
      this.#fullyClosed = true;
    })();
    return this.#closing;
  }

  // ---- internals -------------------------------------------------------------------------------------

  #run<R>(op: string, fn: () => Promise<R>): Promise<R> {
    if (this.#closing !== undefined) {
      if (this.#has("hang-after-close")) return new Promise<R>(() => {});
      return Promise.reject(new L2Error("ADAPTER_CLOSED", `${op}() called on a closed adapter`));
    }
    const promise = fn();
    this.#inflight.add(promise);
    const forget = () => this.#inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  #checkBatch(keys: readonly ObjectKey[], buffers?: readonly Uint8Array[], name = ""): void {
    if (this.#has("no-argument-checks")) return;
    if (!Array.isArray(keys) || !keys.every(isObjectKey)) {
      throw new L2Error("ARGUMENT_INVALID", "keys must be an array of ObjectKey", { field: "keys" });
    }
    if (buffers === undefined) return;
    if (!Array.isArray(buffers) || buffers.length !== keys.length) {
      throw new L2Error("ARGUMENT_INVALID", `${name} needs one entry per key`, { field: name });
    }
    if (!buffers.every((b) => b instanceof Uint8Array)) {
      throw new L2Error("ARGUMENT_INVALID", `${name} must hold Uint8Arrays`, { field: name });
    }
  }

  #id(key: ObjectKey): string {
    const salt = this.#has("key-ignores-salt") ? "" : key.cacheSalt;
    const group = this.#has("key-ignores-group") ? 0 : key.objectGroupId;
    const rank = this.#has("key-ignores-rank") ? 0 : key.kvRank;
    const model = this.#has("key-ignores-model") ? "" : key.modelName;
    return JSON.stringify([model, rank, group, key.chunkHashHex, salt]);
  }

  #put(id: string, key: ObjectKey, bytes: Uint8Array): void {
    this.#objects.set(id, { key, bytes });
    this.#everStored.set(id, { key, bytes });
  }

  #lock(id: string): void {
    this.#locks.set(id, this.#has("lock-not-counted") ? 1 : (this.#locks.get(id) ?? 0) + 1);
  }

  #isLocked(id: string): boolean {
    return (this.#locks.get(id) ?? 0) > 0;
  }

  #account(key: ObjectKey, size: number, sign: 1 | -1): void {
    const salt = this.#has("usage-single-bucket") ? "" : key.cacheSalt;
    let after = (this.#bySalt.get(salt) ?? 0) + sign * size;
    if (after < 0 && !this.#has("usage-negative")) after = 0;
    if (after === 0) this.#bySalt.delete(salt);
    else this.#bySalt.set(salt, after);
    if (this.#live) this.usage();
  }

  #emit(call: (listener: L2AdapterListener) => void, count: number): void {
    if (count === 0) return;
    for (const listener of [...this.#listeners]) {
      if (this.#has("listener-throw-breaks")) {
        call(listener);
        continue;
      }
      try {
        call(listener);
      } catch {
        // A listener cannot stop the operation.
      }
    }
  }

  async #delay(): Promise<void> {
    if (this.#opDelayMs > 0) await sleep(this.#opDelayMs);
  }
}

/** Copies in four slices with macrotasks between them, so concurrent readers and writers interleave. */
async function copyInPieces(target: Uint8Array, source: Uint8Array, pauses = 1): Promise<void> {
  const step = Math.ceil(source.byteLength / 4);
  for (let offset = 0; offset < source.byteLength; offset += step) {
    target.set(source.subarray(offset, offset + step), offset);
    for (let i = 0; i < pauses; i++) await nextMacrotask();
  }
}
