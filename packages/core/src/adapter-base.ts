import type {
  AdapterCapabilities,
  AdapterStatus,
  KeyListPage,
  L2Adapter,
  L2AdapterListener,
  ListKeysOptions,
  StoreResult,
} from "./adapter.js";
import { Bitmap, isBitmap } from "./bitmap.js";
import { L2Error } from "./errors.js";
import { createConsoleLogger, type L2Logger } from "./logger.js";
import { isObjectKey, type ObjectKey } from "./object-key.js";
import { type AdapterUsage, UsageCounter } from "./usage.js";

export interface L2AdapterBaseOptions {
  /** Type name reported by `status()` and in errors. */
  type: string;
  /** Capacity for `usage()`; 0 = unknown/unbounded. */
  capacityBytes?: number;
  logger?: L2Logger;
}

export const MAX_LIST_PAGE_SIZE = 10_000;

/**
 * Template for adapters (abstract-level style): the public methods check arguments, reject after close,
 * track in-flight work so `close()` can wait for it, verify result shapes, and keep byte accounting and
 * listeners. Subclasses implement the `_`-prefixed methods on already-validated input and call
 * `notifyStored` / `notifyAccessed` / `notifyDeleted` after the fact.
 */
export abstract class L2AdapterBase implements L2Adapter {
  readonly type: string;
  protected readonly logger: L2Logger;
  /** Aborted when `close()` starts: long waits inside an adapter should listen to it. */
  protected readonly closeSignal: AbortSignal;
  readonly #closeController = new AbortController();
  readonly #usage: UsageCounter;
  readonly #listeners = new Set<L2AdapterListener>();
  readonly #inflight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: L2AdapterBaseOptions) {
    this.type = options.type;
    this.logger = options.logger ?? createConsoleLogger(options.type);
    this.#usage = new UsageCounter(options.capacityBytes ?? 0, this.logger);
    this.closeSignal = this.#closeController.signal;
  }

  get capabilities(): AdapterCapabilities {
    return { listKeys: this._listKeys !== L2AdapterBase.prototype._listKeys };
  }

  /** True from the moment `close()` is called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  // ---- public surface -------------------------------------------------------------------------------

  store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    return this.#run("store", keys, objects, "objects", async () => {
      if (keys.length === 0) return { ok: true, bytesWritten: 0 };
      const result = await this._store(keys, objects);
      if (typeof result?.ok !== "boolean" || !(result.bytesWritten >= 0)) {
        throw this.#invalidResult("store", "a StoreResult with ok and bytesWritten >= 0");
      }
      return result;
    });
  }

  lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return this.#run("lookupAndLock", keys, undefined, "", async () => {
      if (keys.length === 0) return new Bitmap(0);
      return this.#checkBitmap("lookupAndLock", await this._lookupAndLock(keys), keys.length);
    });
  }

  unlock(keys: readonly ObjectKey[]): void {
    if (!Array.isArray(keys) || keys.length === 0) return;
    try {
      this._unlock(keys.filter(isObjectKey));
    } catch (error) {
      this.logger.warn("unlock failed; ignored", { error: String(error) });
    }
  }

  load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    return this.#run("load", keys, targets, "targets", async () => {
      if (keys.length === 0) return new Bitmap(0);
      return this.#checkBitmap("load", await this._load(keys, targets), keys.length);
    });
  }

  delete(keys: readonly ObjectKey[]): Promise<void> {
    return this.#run("delete", keys, undefined, "", async () => {
      if (keys.length > 0) await this._delete(keys);
    });
  }

  listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return this.#track("listKeys", async () => {
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

  usage(): AdapterUsage {
    return this.#usage.snapshot();
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
      // Operations already running settle first; only then may the subclass release its resources.
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      await this._close();
      this.#closed = true;
    })();
    return this.#closing;
  }

  // ---- for subclasses ------------------------------------------------------------------------------

  protected abstract _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult>;
  protected abstract _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap>;
  protected abstract _unlock(keys: readonly ObjectKey[]): void;
  protected abstract _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap>;
  protected abstract _delete(keys: readonly ObjectKey[]): Promise<void>;

  /** Override to support listing; the default marks the capability as absent. */
  protected _listKeys(_options: ListKeysOptions): Promise<KeyListPage> {
    return Promise.reject(
      new L2Error("NOT_SUPPORTED", `adapter type "${this.type}" does not support listKeys`),
    );
  }

  /** Release resources; called once, after every in-flight operation settled. */
  protected async _close(): Promise<void> {}

  /** Adapter-specific status details. */
  protected _status(): Record<string, unknown> {
    return {};
  }

  protected _healthy(): boolean {
    return true;
  }

  /** True once `close()` finished. */
  protected get fullyClosed(): boolean {
    return this.#closed;
  }

  protected setCapacityBytes(bytes: number): void {
    this.#usage.capacityBytes = bytes;
  }

  protected notifyStored(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    if (keys.length === 0) return;
    this.#usage.add(keys, sizes);
    this.#emit("onKeysStored", (l) => l.onKeysStored?.(keys, sizes));
  }

  protected notifyAccessed(keys: readonly ObjectKey[]): void {
    if (keys.length === 0) return;
    this.#emit("onKeysAccessed", (l) => l.onKeysAccessed?.(keys));
  }

  protected notifyDeleted(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    if (keys.length === 0) return;
    this.#usage.subtract(keys, sizes);
    this.#emit("onKeysDeleted", (l) => l.onKeysDeleted?.(keys, sizes));
  }

  // ---- internals -----------------------------------------------------------------------------------

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
      return fn();
    });
  }

  #track<R>(op: string, fn: () => Promise<R>): Promise<R> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new L2Error(
          "ADAPTER_CLOSED",
          `${op}() called on a closed "${this.type}" adapter; create a new adapter`,
          {
            adapterType: this.type,
          },
        ),
      );
    }
    const promise = fn();
    this.#inflight.add(promise);
    const forget = () => this.#inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  #checkBitmap(op: string, bitmap: Bitmap, size: number): Bitmap {
    if (!isBitmap(bitmap) || bitmap.size !== size) {
      throw this.#invalidResult(op, `a Bitmap of size ${size}`);
    }
    return bitmap;
  }

  #invalidResult(op: string, expected: string): L2Error {
    return new L2Error(
      "ADAPTER_INVALID",
      `adapter "${this.type}" returned a malformed ${op} result; expected ${expected}`,
      {
        adapterType: this.type,
      },
    );
  }

  #argument(field: string, message: string): L2Error {
    return new L2Error("ARGUMENT_INVALID", `${field} ${message}`, { field, adapterType: this.type });
  }
}
