import {
  Bitmap,
  type KeyListPage,
  KeyLockTable,
  L2AdapterBase,
  type L2AdapterContext,
  L2Error,
  type ListKeysOptions,
  type ObjectKey,
  pageKeyEntries,
  type StoreResult,
} from "@x/l2-core";
import type { MockL2AdapterConfig } from "./config.js";

const GIB = 2 ** 30;

interface StoredObject {
  key: ObjectKey;
  bytes: Uint8Array;
}

/**
 * The reference adapter: copies of chunks in a Map, refcounted locks, completion delayed by
 * bytes / bandwidth, no overwrite of existing keys. A key that does not fit in the remaining capacity is
 * not stored and fails its task (the keys before it stay stored).
 */
export class MockL2Adapter extends L2AdapterBase {
  readonly capacityBytes: number;
  readonly bandwidthBytesPerSecond: number;
  readonly #objects = new Map<string, StoredObject>();
  readonly #locks = new KeyLockTable();
  readonly #timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  #usedBytes = 0;

  constructor(config: MockL2AdapterConfig, context?: Partial<L2AdapterContext>) {
    // At least one byte: a capacity of 0 would read as "unknown" (usageFraction -1) in the base accounting.
    const capacityBytes = Math.max(1, Math.floor(config.maxSizeGb * GIB));
    super({ type: context?.typeName ?? "mock", capacityBytes, logger: context?.logger });
    this.capacityBytes = capacityBytes;
    this.bandwidthBytesPerSecond = config.mockBandwidthGb * GIB;
  }

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    const started = performance.now();
    const storedKeys: ObjectKey[] = [];
    const sizes: number[] = [];
    let failure: L2Error | undefined;
    keys.forEach((key, i) => {
      const object = objects[i]!;
      if (this.#objects.has(key.id)) return;
      if (this.#usedBytes + object.byteLength > this.capacityBytes) {
        failure ??= new L2Error(
          "IO_FAILED",
          `mock adapter is full: ${object.byteLength} bytes do not fit (${this.#usedBytes}/${this.capacityBytes} used)`,
          { adapterType: this.type },
        );
        return;
      }
      // Copy: the caller owns its buffer and may reuse it as soon as the store settles.
      this.#objects.set(key.id, { key, bytes: new Uint8Array(object) });
      this.#usedBytes += object.byteLength;
      storedKeys.push(key);
      sizes.push(object.byteLength);
    });
    const bytesWritten = sizes.reduce((a, b) => a + b, 0);
    this.notifyStored(storedKeys, sizes);
    await this.#simulateTransfer(bytesWritten, started);
    return { ok: failure === undefined, bytesWritten, error: failure };
  }

  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    const bitmap = new Bitmap(keys.length);
    keys.forEach((key, i) => {
      if (this.#objects.has(key.id)) {
        this.#locks.lock(key);
        bitmap.set(i);
      }
    });
    return bitmap;
  }

  protected _unlock(keys: readonly ObjectKey[]): void {
    for (const key of keys) this.#locks.unlock(key);
  }

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    const started = performance.now();
    const bitmap = new Bitmap(keys.length);
    const accessed: ObjectKey[] = [];
    let bytes = 0;
    keys.forEach((key, i) => {
      const stored = this.#objects.get(key.id);
      const target = targets[i]!;
      if (!stored || stored.bytes.byteLength !== target.byteLength) return;
      target.set(stored.bytes);
      bytes += target.byteLength;
      bitmap.set(i);
      accessed.push(key);
    });
    this.notifyAccessed(accessed);
    await this.#simulateTransfer(bytes, started);
    return bitmap;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    const deleted: ObjectKey[] = [];
    const sizes: number[] = [];
    for (const key of keys) {
      const stored = this.#objects.get(key.id);
      if (!stored || this.#locks.isLocked(key)) continue;
      this.#objects.delete(key.id);
      this.#usedBytes -= stored.bytes.byteLength;
      deleted.push(stored.key);
      sizes.push(stored.bytes.byteLength);
    }
    this.notifyDeleted(deleted, sizes);
  }

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    const entries = [...this.#objects.values()].map((o) => ({ key: o.key, sizeBytes: o.bytes.byteLength }));
    return pageKeyEntries(entries, options);
  }

  protected override async _close(): Promise<void> {
    for (const pending of this.#timers) {
      clearTimeout(pending.timer);
      pending.resolve();
    }
    this.#timers.clear();
    this.#objects.clear();
    this.#locks.clear();
  }

  protected override _status(): Record<string, unknown> {
    return {
      storedObjectCount: this.#objects.size,
      lockedKeyCount: this.#locks.size,
      currentSizeBytes: this.#usedBytes,
      maxCapacityBytes: this.capacityBytes,
    };
  }

  /** For tests: whether `key` is stored. */
  debugHasKey(key: ObjectKey): boolean {
    return this.#objects.has(key.id);
  }

  /** For tests: the number of locks held on `key`. */
  debugLockCount(key: ObjectKey): number {
    return this.#locks.count(key);
  }

  #simulateTransfer(bytes: number, startedMs: number): Promise<void> {
    const remainingMs = (bytes / this.bandwidthBytesPerSecond) * 1000 - (performance.now() - startedMs);
    if (remainingMs < 1) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const pending = {
        resolve,
        timer: setTimeout(() => {
          this.#timers.delete(pending);
          resolve();
        }, remainingMs),
      };
      this.#timers.add(pending);
    });
  }
}
