import type {
  AdapterCapabilities,
  AdapterStatus,
  KeyListEntry,
  KeyListPage,
  KeysStoredInfo,
  L2Adapter,
  L2AdapterListener,
  ListKeysOptions,
  OperationOptions,
  StoreResult,
} from "./adapter.js";
import type { LoadOutcome, LookupResult, StoreOutcome } from "./adapter-hooks.js";
import { Bitmap, isBitmap } from "./bitmap.js";
import { L2Error } from "./errors.js";
import { KeyIndex } from "./key-index.js";
import { KeyLockTable } from "./key-locks.js";
import { pageKeyEntries } from "./list-keys.js";
import { createConsoleLogger, type L2Logger } from "./logger.js";
import { isObjectKey, type ObjectKey } from "./object-key.js";
import type { AdapterUsage } from "./usage.js";

export interface L2AdapterBaseOptions {
  /** Type name reported by `status()` and in errors. */
  type: string;
  /**
   * Capacity in bytes (for example `max_size_gb × 2^30`). It drives `usage().usageFraction`, the eviction
   * controller and admission: a store whose new bytes do not fit fails (IO_FAILED, "capacity reached").
   * 0 (the default) = unknown or unbounded: `usageFraction` is -1, nothing is refused, eviction never runs.
   */
  capacityBytes?: number;
  logger?: L2Logger;
  /**
   * The adapter admits stores itself (a staging buffer that waits for space, say): the capacity is still
   * reported by `usage()` and drives eviction, but the base never refuses a store for it.
   */
  selfAdmission?: boolean;
}

export const MAX_LIST_PAGE_SIZE = 10_000;

type Parts = readonly (readonly Uint8Array[])[];

/**
 * The hooks of a 0.1 adapter, which kept its own locks. They are not declared on the class, so 0.1 code
 * that implemented them (once abstract) without `override` keeps compiling under noImplicitOverride.
 */
interface LegacyHooks {
  _lookupAndLock(keys: readonly ObjectKey[], options?: OperationOptions): Promise<Bitmap>;
  _unlock?(keys: readonly ObjectKey[]): void;
}

const NO_OPTIONS: OperationOptions = Object.freeze({});
const STORED: KeysStoredInfo = Object.freeze({ origin: "stored" });
const FOUND: KeysStoredInfo = Object.freeze({ origin: "found" });

/**
 * Template for adapters (abstract-level style). The public methods do the policy and the bookkeeping:
 * argument checks, start-up, close, the key index and usage, capacity admission, locks, listeners, gone
 * keys, listing over the index. A subclass does only its I/O in the `_`-prefixed hooks
 * (`_lookup`, `_store`, `_load`, `_delete`, optionally `_open`, `_close`, `_listKeys`, `_storeParts`,
 * `_loadParts`, `_status`, `_healthy`); see docs/design/adapter-base.md.
 *
 * An adapter written against 0.1 overrides `_lookupAndLock` and `_unlock` and keeps its own locks: the
 * base then leaves locks, access events and admission to it, as 0.1 did, and its `notifyStored` /
 * `notifyDeleted` calls feed the index (once per key).
 */
export abstract class L2AdapterBase implements L2Adapter {
  readonly type: string;
  protected readonly logger: L2Logger;
  /** Aborted when `close()` starts: long waits inside an adapter should listen to it. */
  protected readonly closeSignal: AbortSignal;
  readonly #closeController = new AbortController();
  readonly #index = new KeyIndex();
  readonly #locks = new KeyLockTable();
  /** Keys whose `_delete` is in flight: a lookup racing it reports a miss. */
  readonly #deleting = new Set<string>();
  readonly #listeners = new Set<L2AdapterListener>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #legacy: boolean;
  readonly #selfAdmission: boolean;
  readonly #ready: Promise<void>;
  #started = false;
  #capacityBytes: number;
  #reservedBytes = 0;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: L2AdapterBaseOptions) {
    this.type = options.type;
    this.logger = options.logger ?? createConsoleLogger(options.type);
    this.#capacityBytes = Math.max(0, Math.floor(options.capacityBytes ?? 0));
    this.#selfAdmission = options.selfAdmission === true;
    this.closeSignal = this.#closeController.signal;
    const proto = L2AdapterBase.prototype;
    this.#legacy = typeof (this as unknown as Partial<LegacyHooks>)._lookupAndLock === "function";
    if (!this.#legacy && this._lookup === proto._lookup) {
      throw new L2Error(
        "ADAPTER_INVALID",
        `adapter "${this.type}" implements neither _lookup (0.2) nor _lookupAndLock (0.1)`,
        { adapterType: this.type, hint: "implement _lookup, _store, _load and _delete" },
      );
    }
    if (this._open === proto._open) {
      // Nothing to start: operations run in the tick of the call, as in 0.1.
      this.#started = true;
      this.#ready = Promise.resolve();
      return;
    }
    // After the subclass constructor has run (a microtask later), never inside it.
    this.#ready = Promise.resolve()
      .then(() => this._open())
      .then(() => {
        this.#started = true;
      });
    this.#ready.catch(() => {});
  }

  get capabilities(): AdapterCapabilities {
    const proto = L2AdapterBase.prototype;
    return {
      listKeys: !this.#legacy || this._listKeys !== proto._listKeys,
      vectoredIo: this._storeParts !== proto._storeParts && this._loadParts !== proto._loadParts,
    };
  }

  /** True from the moment `close()` is called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Settles when `_open()` finished; rejects with its error (which every operation then rejects with). */
  whenReady(): Promise<void> {
    return this.#ready;
  }

  // ---- public surface -------------------------------------------------------------------------------

  store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<StoreResult> {
    return this.#run("store", keys, objects, "objects", async () => {
      const sizes = objects.map((o) => o.byteLength);
      return this.#store(keys, sizes, options, (k, idx, opts) =>
        this._store(k, idx ? idx.map((i) => objects[i]!) : objects, opts),
      );
    });
  }

  storeParts(keys: readonly ObjectKey[], parts: Parts, options?: OperationOptions): Promise<StoreResult> {
    return this.#run("storeParts", keys, undefined, "", async () => {
      this.#checkParts("storeParts", keys, parts);
      const sizes = parts.map(partsSize);
      const vectored = !this.#legacy && this.capabilities.vectoredIo === true;
      return this.#store(keys, sizes, options, (k, idx, opts) => {
        const chosen = idx ? idx.map((i) => parts[i]!) : parts;
        return vectored ? this._storeParts(k, chosen, opts) : this._store(k, chosen.map(joinParts), opts);
      });
    });
  }

  lookupAndLock(keys: readonly ObjectKey[], options?: OperationOptions): Promise<Bitmap> {
    return this.#run("lookupAndLock", keys, undefined, "", async () => {
      if (keys.length === 0) return new Bitmap(0);
      const opts = options ?? NO_OPTIONS;
      if (this.#legacy) {
        const bitmap = await (this as unknown as LegacyHooks)._lookupAndLock(keys, opts);
        return this.#checkBitmap("lookupAndLock", bitmap, keys.length);
      }
      if (opts.signal?.aborted) return new Bitmap(keys.length);
      const result = await this._lookup(keys, opts);
      const found = this.#checkBitmap(
        "lookupAndLock",
        isBitmap(result) ? result : result?.found,
        keys.length,
      );
      const sizes = isBitmap(result) ? undefined : result.sizes;
      const adopted: [ObjectKey[], number[]] = [[], []];
      const gone: KeyListEntry[] = [];
      keys.forEach((key, i) => {
        if (found.test(i) && this.#deleting.has(key.id)) found.clear(i);
        if (found.test(i)) {
          this.#locks.lock(key);
          const size = sizes?.[i];
          if (size !== undefined && this.#index.set(key, size)) {
            adopted[0].push(key);
            adopted[1].push(size);
          }
        } else {
          const entry = this.#index.delete(key);
          if (entry) gone.push(entry);
        }
      });
      this.#emitStored(adopted[0], adopted[1], "found");
      this.#emitDeleted(gone);
      return found;
    });
  }

  unlock(keys: readonly ObjectKey[]): void {
    if (!Array.isArray(keys) || keys.length === 0) return;
    try {
      const valid = keys.filter(isObjectKey);
      if (this.#legacy) (this as unknown as LegacyHooks)._unlock?.(valid);
      else for (const key of valid) this.#locks.unlock(key);
    } catch (error) {
      this.logger.warn("unlock failed; ignored", { error: String(error) });
    }
  }

  load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<Bitmap> {
    return this.#run("load", keys, targets, "targets", async () => {
      const sizes = targets.map((t) => t.byteLength);
      return this.#load(keys, sizes, options, (opts) => this._load(keys, targets, opts));
    });
  }

  loadParts(keys: readonly ObjectKey[], parts: Parts, options?: OperationOptions): Promise<Bitmap> {
    return this.#run("loadParts", keys, undefined, "", async () => {
      this.#checkParts("loadParts", keys, parts);
      const sizes = parts.map(partsSize);
      if (!this.#legacy && this.capabilities.vectoredIo === true) {
        return this.#load(keys, sizes, options, (opts) => this._loadParts(keys, parts, opts));
      }
      // No vectored I/O: load into one buffer per key, then hand each part its slice.
      const joined = sizes.map((size) => new Uint8Array(size));
      const loaded = await this.#load(keys, sizes, options, (opts) => this._load(keys, joined, opts));
      for (const i of loaded.indices()) splitInto(joined[i]!, parts[i]!);
      return loaded;
    });
  }

  delete(keys: readonly ObjectKey[]): Promise<void> {
    return this.#run("delete", keys, undefined, "", async () => {
      if (keys.length === 0) return;
      if (this.#legacy) {
        await this._delete(keys, NO_OPTIONS);
        return;
      }
      const seen = new Set<string>();
      const candidates = keys.filter((key) => {
        if (seen.has(key.id) || this.#locks.isLocked(key) || this.#deleting.has(key.id)) return false;
        seen.add(key.id);
        return true;
      });
      if (candidates.length === 0) return;
      for (const key of candidates) this.#deleting.add(key.id);
      try {
        const removed = await this._delete(candidates, NO_OPTIONS);
        const gone: KeyListEntry[] = [];
        candidates.forEach((key, i) => {
          if (isBitmap(removed) && !removed.test(i)) return;
          const entry = this.#index.delete(key);
          if (entry) gone.push(entry);
        });
        this.#emitDeleted(gone);
      } finally {
        for (const key of candidates) this.#deleting.delete(key.id);
      }
    });
  }

  listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return this.#track("listKeys", async () => {
      await this.#ready;
      if (!this.capabilities.listKeys) {
        throw new L2Error("NOT_SUPPORTED", `adapter type "${this.type}" does not support listKeys`, {
          adapterType: this.type,
        });
      }
      const { pageSize, cursor, modelName } = options ?? ({} as ListKeysOptions);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_LIST_PAGE_SIZE) {
        throw this.#argument(
          "pageSize",
          `must be an integer from 1 to ${MAX_LIST_PAGE_SIZE}, got ${String(pageSize)}`,
        );
      }
      if (cursor !== undefined && typeof cursor !== "string")
        throw this.#argument("cursor", "must be a string");
      if (modelName !== undefined && typeof modelName !== "string") {
        throw this.#argument("modelName", "must be a string");
      }
      return this._listKeys({ pageSize, cursor, modelName });
    });
  }

  /** From the key index: what this adapter stored, recovered or found, each key counted once. */
  usage(): AdapterUsage {
    return this.#index.usage(this.#capacityBytes);
  }

  recoveredEntries(): readonly KeyListEntry[] {
    return [...this.#index.entries()];
  }

  status(): AdapterStatus {
    let details: Record<string, unknown> = {};
    let healthy = !this.closed;
    try {
      details = this._status();
      healthy &&= this._healthy();
    } catch (error) {
      healthy = false;
      details = { statusError: String(error) };
    }
    const usage = this.usage();
    return {
      ...details,
      healthy,
      type: this.type,
      closed: this.closed,
      indexedKeyCount: this.#index.size,
      lockedKeyCount: this.#locks.size,
      totalBytesUsed: usage.totalBytesUsed,
      totalCapacityBytes: usage.totalCapacityBytes,
    };
  }

  addListener(listener: L2AdapterListener): () => void {
    if (typeof listener !== "object" || listener === null)
      throw this.#argument("listener", "must be an object");
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closeController.abort(new L2Error("ADAPTER_CLOSED", `adapter "${this.type}" is closing`));
      await this.#ready.catch(() => {});
      // Operations and tracked work settle first; only then may the subclass release its resources.
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      try {
        await this._close();
      } finally {
        this.#locks.clear();
        this.#closed = true;
      }
    })();
    return this.#closing;
  }

  // ---- hooks for subclasses (I/O only) ---------------------------------------------------------------

  /** Start-up (directories, connections, recovery). Runs once, before any operation; failure fails each. */
  protected async _open(): Promise<void> {}

  /** 0.2: which keys are present. Return sizes too when they are cheap, so found keys are counted. */
  protected _lookup(_keys: readonly ObjectKey[], _options: OperationOptions): Promise<Bitmap | LookupResult> {
    return Promise.reject(new L2Error("ADAPTER_INVALID", `adapter "${this.type}" has no _lookup`));
  }

  /**
   * Writes the keys that passed admission. Return a {@link StoreOutcome} (0.2) so the base knows what is
   * stored; a 0.1 adapter returns a StoreResult and calls `notifyStored` itself.
   */
  protected abstract _store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<StoreResult | StoreOutcome>;

  /** Vectored store (object i = parts[i] joined). Override together with `_loadParts`. */
  protected _storeParts(
    keys: readonly ObjectKey[],
    parts: Parts,
    options: OperationOptions,
  ): Promise<StoreResult | StoreOutcome> {
    return this._store(keys, parts.map(joinParts), options);
  }

  /** Fills targets; a missing key or a size mismatch is a miss. Report keys found not to exist in `gone`. */
  protected abstract _load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<Bitmap | LoadOutcome>;

  /** Vectored load: fills parts[i] in order; a hit only when the object's size is the parts' total. */
  protected _loadParts(
    _keys: readonly ObjectKey[],
    _parts: Parts,
    _options: OperationOptions,
  ): Promise<Bitmap | LoadOutcome> {
    return Promise.reject(new L2Error("NOT_SUPPORTED", `adapter "${this.type}" has no _loadParts`));
  }

  /**
   * Optional own eviction (FIFO, a backend's native policy): called before admission when a store's new
   * bytes exceed the free capacity by `bytesNeeded`. Delete what you choose with `this.delete()`; keys
   * still in use are locked and skipped. What still does not fit is refused.
   */
  protected async _makeRoom(_bytesNeeded: number): Promise<void> {}

  /** Removes keys (0.2: never locked ones; returns which were removed, default all). */
  protected abstract _delete(keys: readonly ObjectKey[], options: OperationOptions): Promise<void | Bitmap>;

  /** Pages over the index by default; override when the backend lists for itself (files, a database). */
  protected _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    if (this.#legacy) {
      return Promise.reject(
        new L2Error("NOT_SUPPORTED", `adapter type "${this.type}" does not support listKeys`),
      );
    }
    return Promise.resolve(pageKeyEntries(this.#index.entries(), options));
  }

  /** Release resources; called once, after every operation and tracked work settled. */
  protected async _close(): Promise<void> {}

  /** Adapter-specific status details. */
  protected _status(): Record<string, unknown> {
    return {};
  }

  protected _healthy(): boolean {
    return true;
  }

  // ---- helpers for subclasses -------------------------------------------------------------------------

  /** True once `close()` finished. */
  protected get fullyClosed(): boolean {
    return this.#closed;
  }

  protected setCapacityBytes(bytes: number): void {
    this.#capacityBytes = Math.max(0, Math.floor(bytes));
  }

  /** Whether `key` holds at least one lock (0.2 adapters; 0.1 adapters keep their own table). */
  protected isKeyLocked(key: ObjectKey): boolean {
    return this.#locks.isLocked(key);
  }

  /** Locks held on `key` (0.2 adapters). */
  protected keyLockCount(key: ObjectKey): number {
    return this.#locks.count(key);
  }

  /** Whether the index knows `key`, and its size. */
  protected indexedSizeOf(key: ObjectKey): number | undefined {
    return this.#index.get(key)?.sizeBytes;
  }

  /** Keeps `close()` waiting for an adapter's own long work (a background sweep, a reconnect). */
  protected trackWork<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work);
    const forget = () => this.#inflight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** From `_open`: keys found at start-up, oldest first. Counted once; listeners hear nothing. */
  protected recordRecoveredKeys(entries: Iterable<KeyListEntry>): void {
    for (const entry of entries) this.#index.set(entry.key, entry.sizeBytes);
  }

  /** Keys another process removed (or the server dropped): they leave the index; listeners hear it. */
  protected recordGoneKeys(keys: readonly ObjectKey[]): void {
    const gone: KeyListEntry[] = [];
    for (const key of keys) {
      const entry = this.#index.delete(key);
      if (entry) gone.push(entry);
    }
    this.#emitDeleted(gone);
  }

  /** 0.1: report stored keys. Feeds the index (a key is counted once) and the listeners. */
  protected notifyStored(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    if (keys.length === 0) return;
    for (const [i, key] of keys.entries()) this.#index.set(key, sizes[i] ?? 0);
    this.#emitStored(keys, sizes, "stored");
  }

  /** 0.1: report loaded keys (0.2 adapters: the base does it from the load bitmap). */
  protected notifyAccessed(keys: readonly ObjectKey[]): void {
    if (keys.length === 0) return;
    this.#emit("onKeysAccessed", (l) => l.onKeysAccessed?.(keys));
  }

  /** 0.1: report deleted keys. */
  protected notifyDeleted(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    if (keys.length === 0) return;
    for (const key of keys) this.#index.delete(key);
    this.#emit("onKeysDeleted", (l) => l.onKeysDeleted?.(keys, sizes));
  }

  // ---- internals -----------------------------------------------------------------------------------

  async #store(
    keys: readonly ObjectKey[],
    sizes: readonly number[],
    options: OperationOptions | undefined,
    write: (
      keys: readonly ObjectKey[],
      indices: number[] | undefined,
      options: OperationOptions,
    ) => Promise<StoreResult | StoreOutcome>,
  ): Promise<StoreResult> {
    if (keys.length === 0) return { ok: true, bytesWritten: 0 };
    const opts = options ?? NO_OPTIONS;
    if (this.#legacy) return this.#checkStoreResult(await write(keys, undefined, opts));
    if (opts.signal?.aborted) {
      return { ok: false, bytesWritten: 0, error: this.#aborted("store") };
    }
    // Admission: new bytes must fit beside what is stored and what other stores have reserved. An adapter
    // with its own eviction (`_makeRoom`) is asked for room when a key does not fit, after the keys
    // admitted before it are written, so its policy can evict those too.
    const ownEviction = this._makeRoom !== L2AdapterBase.prototype._makeRoom;
    const results: StoreResult[] = [];
    const batch = new Set<string>();
    let segment: number[] = [];
    let segmentReserved = 0;
    let refused: L2Error | undefined;
    const flush = async () => {
      if (segment.length === 0) return;
      const indices = segment;
      const reserved = segmentReserved;
      segment = [];
      segmentReserved = 0;
      const segmentKeys = indices.map((i) => keys[i]!);
      let result: StoreResult | StoreOutcome;
      try {
        result = await write(segmentKeys, indices.length === keys.length ? undefined : indices, opts);
      } finally {
        this.#reservedBytes -= reserved;
      }
      results.push(
        this.#settleStore(
          segmentKeys,
          indices.map((i) => sizes[i]!),
          result,
        ),
      );
    };
    for (const [i, key] of keys.entries()) {
      const size = sizes[i]!;
      const known = this.#index.has(key) || batch.has(key.id);
      if (!known && this.#capacityBytes > 0 && !this.#selfAdmission) {
        let free = this.#capacityBytes - this.usage().totalBytesUsed - this.#reservedBytes;
        if (size > free && ownEviction && size <= this.#capacityBytes && !opts.signal?.aborted) {
          await flush();
          await this._makeRoom(
            size - (this.#capacityBytes - this.usage().totalBytesUsed - this.#reservedBytes),
          );
          free = this.#capacityBytes - this.usage().totalBytesUsed - this.#reservedBytes;
        }
        if (size > free) {
          refused ??= this.#full(key, size, free);
          continue;
        }
        this.#reservedBytes += size;
        segmentReserved += size;
      }
      batch.add(key.id);
      segment.push(i);
    }
    await flush();
    const failed = results.find((r) => !r.ok);
    const error = refused ?? failed?.error;
    return {
      ok: refused === undefined && failed === undefined,
      bytesWritten: results.reduce((n, r) => n + r.bytesWritten, 0),
      error: refused === undefined && failed === undefined ? undefined : error,
    };
  }

  #full(key: ObjectKey, size: number, free: number): L2Error {
    const capacity = this.#capacityBytes;
    const why =
      size > capacity
        ? `an object of ${size} bytes is larger than the capacity of ${capacity} bytes`
        : `${size} bytes do not fit (${capacity - free}/${capacity} bytes used or reserved)`;
    return new L2Error(
      "IO_FAILED",
      `${this.type} adapter is full: capacity reached, ${why}; key ${key.id} not stored`,
      {
        adapterType: this.type,
        hint: "raise the capacity, or add an eviction block to the config",
      },
    );
  }

  #settleStore(
    keys: readonly ObjectKey[],
    sizes: readonly number[],
    result: StoreResult | StoreOutcome,
  ): StoreResult {
    let stored: Bitmap;
    let written: Bitmap | undefined;
    let error: L2Error | undefined;
    let reportedBytes: number | undefined;
    if (isStoreOutcome(result)) {
      stored = this.#checkBitmap("store", result.stored, keys.length);
      written =
        result.written === undefined ? undefined : this.#checkBitmap("store", result.written, keys.length);
      error = result.error;
    } else {
      const checked = this.#checkStoreResult(result);
      // A StoreResult carries no per-key outcome: all stored when ok, otherwise only what the adapter
      // reported itself (notifyStored); its bytesWritten is taken as it is.
      stored = new Bitmap(keys.length, checked.ok ? keys.length : 0);
      reportedBytes = checked.bytesWritten;
      error = checked.error;
      if (!checked.ok && !error) error = new L2Error("IO_FAILED", `${this.type} store failed`);
    }
    const wroteKeys: [ObjectKey[], number[]] = [[], []];
    const foundKeys: [ObjectKey[], number[]] = [[], []];
    let bytesWritten = 0;
    const seen = new Set<string>();
    keys.forEach((key, i) => {
      if (!stored.test(i) || seen.has(key.id)) return;
      seen.add(key.id);
      const known = this.#index.has(key);
      const wrote = written ? written.test(i) : !known;
      // A key that was already there keeps its recorded size: nothing was overwritten.
      if (wrote || !known) this.#index.set(key, sizes[i]!);
      if (wrote) bytesWritten += sizes[i]!;
      const into = wrote ? wroteKeys : known ? undefined : foundKeys;
      into?.[0].push(key);
      into?.[1].push(sizes[i]!);
    });
    this.#emitStored(wroteKeys[0], wroteKeys[1], "stored");
    this.#emitStored(foundKeys[0], foundKeys[1], "found");
    if (reportedBytes !== undefined) bytesWritten = reportedBytes;
    const allStored = stored.popcount() === keys.length;
    // Every key stored but an error reported (written, not made durable): still not ok.
    const failure = allStored ? error : (error ?? new L2Error("IO_FAILED", `${this.type} store failed`));
    return { ok: failure === undefined, bytesWritten, error: failure };
  }

  async #load(
    keys: readonly ObjectKey[],
    sizes: readonly number[],
    options: OperationOptions | undefined,
    read: (options: OperationOptions) => Promise<Bitmap | LoadOutcome>,
  ): Promise<Bitmap> {
    if (keys.length === 0) return new Bitmap(0);
    const opts = options ?? NO_OPTIONS;
    if (this.#legacy) return this.#checkBitmap("load", (await read(opts)) as Bitmap, keys.length);
    if (opts.signal?.aborted) return new Bitmap(keys.length);
    const result = await read(opts);
    const loaded = this.#checkBitmap("load", isBitmap(result) ? result : result?.loaded, keys.length);
    const gone = isBitmap(result) ? undefined : result.gone;
    const accessed: ObjectKey[] = [];
    const adopted: [ObjectKey[], number[]] = [[], []];
    const goneKeys: ObjectKey[] = [];
    keys.forEach((key, i) => {
      if (loaded.test(i)) {
        accessed.push(key);
        if (this.#index.set(key, sizes[i]!)) {
          adopted[0].push(key);
          adopted[1].push(sizes[i]!);
        }
      } else if (gone?.test(i)) {
        goneKeys.push(key);
      }
    });
    this.#emitStored(adopted[0], adopted[1], "found");
    this.recordGoneKeys(goneKeys);
    this.notifyAccessed(accessed);
    return loaded;
  }

  #emitStored(keys: readonly ObjectKey[], sizes: readonly number[], origin: "stored" | "found"): void {
    if (keys.length === 0) return;
    const info = origin === "stored" ? STORED : FOUND;
    this.#emit("onKeysStored", (l) => l.onKeysStored?.(keys, sizes, info));
  }

  #emitDeleted(entries: readonly KeyListEntry[]): void {
    if (entries.length === 0) return;
    const keys = entries.map((e) => e.key);
    const sizes = entries.map((e) => e.sizeBytes);
    this.#emit("onKeysDeleted", (l) => l.onKeysDeleted?.(keys, sizes));
  }

  #emit(event: string, call: (listener: L2AdapterListener) => void): void {
    for (const listener of [...this.#listeners]) {
      try {
        call(listener);
      } catch (error) {
        this.logger.warn(`listener ${event} threw; ignored`, { error: String(error) });
      }
    }
  }

  #run<R>(
    op: string,
    keys: readonly ObjectKey[],
    buffers: readonly Uint8Array[] | undefined,
    buffersName: string,
    fn: () => Promise<R>,
  ): Promise<R> {
    return this.#track(op, async () => {
      if (!Array.isArray(keys)) throw this.#argument("keys", `${op}() needs an array of ObjectKey`);
      const bad = keys.findIndex((k) => !isObjectKey(k));
      if (bad >= 0)
        throw this.#argument(`keys[${bad}]`, "is not an ObjectKey (create keys with new ObjectKey())");
      if (buffersName) {
        if (!Array.isArray(buffers))
          throw this.#argument(buffersName, `${op}() needs an array of Uint8Array`);
        if (buffers.length !== keys.length) {
          throw this.#argument(
            buffersName,
            `has ${buffers.length} entries for ${keys.length} keys; pass one per key`,
          );
        }
        const badBuf = buffers.findIndex((b) => !(b instanceof Uint8Array));
        if (badBuf >= 0) throw this.#argument(`${buffersName}[${badBuf}]`, "is not a Uint8Array");
      }
      // Once started, the hook runs in the same tick as the call (0.1 adapters rely on that).
      if (!this.#started) await this.#ready;
      return fn();
    });
  }

  #checkParts(op: string, keys: readonly ObjectKey[], parts: Parts): void {
    if (!Array.isArray(parts) || parts.length !== keys.length) {
      throw this.#argument("parts", `${op}() needs one array of Uint8Array per key`);
    }
    parts.forEach((list, i) => {
      if (!Array.isArray(list) || list.some((p) => !(p instanceof Uint8Array))) {
        throw this.#argument(`parts[${i}]`, "is not an array of Uint8Array");
      }
    });
  }

  #track<R>(op: string, fn: () => Promise<R>): Promise<R> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new L2Error(
          "ADAPTER_CLOSED",
          `${op}() called on a closed "${this.type}" adapter; create a new adapter`,
          { adapterType: this.type },
        ),
      );
    }
    return this.trackWork(fn());
  }

  #checkStoreResult(result: StoreResult | StoreOutcome): StoreResult {
    const r = result as StoreResult;
    if (typeof r?.ok !== "boolean" || !(r.bytesWritten >= 0)) {
      throw this.#invalidResult("store", "a StoreResult with ok and bytesWritten >= 0");
    }
    return r;
  }

  #checkBitmap(op: string, bitmap: Bitmap | undefined, size: number): Bitmap {
    if (!isBitmap(bitmap) || bitmap.size !== size) {
      throw this.#invalidResult(op, `a Bitmap of size ${size}`);
    }
    return bitmap;
  }

  #invalidResult(op: string, expected: string): L2Error {
    return new L2Error(
      "ADAPTER_INVALID",
      `adapter "${this.type}" returned a malformed ${op} result; expected ${expected}`,
      { adapterType: this.type },
    );
  }

  #aborted(op: string): L2Error {
    return new L2Error("ABORTED", `${op}() on the "${this.type}" adapter was aborted by its signal`, {
      adapterType: this.type,
    });
  }

  #argument(field: string, message: string): L2Error {
    return new L2Error("ARGUMENT_INVALID", `${field} ${message}`, { field, adapterType: this.type });
  }
}

function isStoreOutcome(value: StoreResult | StoreOutcome): value is StoreOutcome {
  return typeof value === "object" && value !== null && isBitmap((value as StoreOutcome).stored);
}

function partsSize(parts: readonly Uint8Array[]): number {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  return size;
}

/** One buffer holding the parts in order (the copy that vectored adapters avoid). */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(partsSize(parts));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

function splitInto(source: Uint8Array, parts: readonly Uint8Array[]): void {
  let offset = 0;
  for (const part of parts) {
    part.set(source.subarray(offset, offset + part.byteLength));
    offset += part.byteLength;
  }
}
