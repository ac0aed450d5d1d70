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
import { InMemoryL2AdapterConfig } from "./config.js";

const GIB = 2 ** 30;

/** A parsed config as is; a config from another copy of this package or a params object is (re)parsed. */
function toConfig(config: InMemoryL2AdapterConfig | Record<string, unknown>): InMemoryL2AdapterConfig {
  if (config instanceof InMemoryL2AdapterConfig) return config;
  const dict = typeof config.toDict === "function" ? (config.toDict as () => unknown)() : config;
  return InMemoryL2AdapterConfig.fromDict(dict);
}

interface StoredObject {
  readonly key: ObjectKey;
  readonly bytes: Uint8Array;
}

/**
 * Copies of chunks in a Map whose insertion order is the eviction order (FIFO). Before storing a key
 * that does not fit, the oldest unlocked objects are evicted, but only if that frees enough room: an
 * object that cannot fit even then is skipped and nothing is evicted for it. Existing keys are never
 * overwritten. Every store and load completes after bytes / mock_bandwidth_gb.
 */
export class InMemoryL2Adapter extends L2AdapterBase {
  readonly capacityBytes: number;
  readonly bandwidthBytesPerSecond: number;
  readonly #objects = new Map<string, StoredObject>();
  readonly #locks = new KeyLockTable();
  #usedBytes = 0;
  #evictedCount = 0;

  /**
   * `config` may also be a plain params object (`{ max_size_gb: 1 }`); it is then parsed here, so the
   * class works when constructed directly, by its type definition, or through the `plugin` type.
   */
  constructor(
    config: InMemoryL2AdapterConfig | Record<string, unknown> = {},
    context: Partial<L2AdapterContext> = {},
  ) {
    const parsed = toConfig(config);
    const capacityBytes = Math.floor(parsed.maxSizeGb * GIB);
    super({ type: context.typeName ?? "inmemory", capacityBytes, logger: context.logger });
    this.capacityBytes = capacityBytes;
    this.bandwidthBytesPerSecond = parsed.mockBandwidthGb * GIB;
  }

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    const started = performance.now();
    let storedKeys: ObjectKey[] = [];
    let sizes: number[] = [];
    let bytesWritten = 0;
    let failure: L2Error | undefined;
    // Listeners and accounting must hear of a store before they hear of its eviction.
    const reportStored = () => {
      this.notifyStored(storedKeys, sizes);
      storedKeys = [];
      sizes = [];
    };
    keys.forEach((key, i) => {
      const object = objects[i]!;
      if (this.#objects.has(key.id)) return;
      const problem = this.#makeRoom(object.byteLength, reportStored);
      if (problem) {
        failure ??= new L2Error("IO_FAILED", `inmemory adapter: ${problem}; key ${key.id} not stored`, {
          adapterType: this.type,
        });
        return;
      }
      // A copy: the caller may reuse its buffer as soon as the store settles.
      this.#objects.set(key.id, { key, bytes: new Uint8Array(object) });
      this.#usedBytes += object.byteLength;
      storedKeys.push(key);
      sizes.push(object.byteLength);
      bytesWritten += object.byteLength;
    });
    reportStored();
    await this.#transfer(bytesWritten, started);
    return { ok: failure === undefined, bytesWritten, error: failure };
  }

  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    const found = new Bitmap(keys.length);
    keys.forEach((key, i) => {
      if (!this.#objects.has(key.id)) return;
      this.#locks.lock(key);
      found.set(i);
    });
    return found;
  }

  protected _unlock(keys: readonly ObjectKey[]): void {
    for (const key of keys) this.#locks.unlock(key);
  }

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    const started = performance.now();
    const loaded = new Bitmap(keys.length);
    const accessed: ObjectKey[] = [];
    let bytes = 0;
    keys.forEach((key, i) => {
      const stored = this.#objects.get(key.id);
      const target = targets[i]!;
      // A target of another size is a miss: half-filled buffers must never look like hits.
      if (!stored || stored.bytes.byteLength !== target.byteLength) return;
      target.set(stored.bytes);
      bytes += target.byteLength;
      loaded.set(i);
      accessed.push(key);
    });
    this.notifyAccessed(accessed);
    await this.#transfer(bytes, started);
    return loaded;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    const deleted: ObjectKey[] = [];
    const sizes: number[] = [];
    for (const key of keys) {
      if (this.#locks.isLocked(key)) continue;
      const removed = this.#remove(key.id);
      if (removed) {
        deleted.push(removed.key);
        sizes.push(removed.bytes.byteLength);
      }
    }
    this.notifyDeleted(deleted, sizes);
  }

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    const entries = [...this.#objects.values()].map((o) => ({ key: o.key, sizeBytes: o.bytes.byteLength }));
    return pageKeyEntries(entries, options);
  }

  protected override async _close(): Promise<void> {
    this.#objects.clear();
    this.#locks.clear();
    this.#usedBytes = 0;
  }

  protected override _status(): Record<string, unknown> {
    return {
      storedObjectCount: this.#objects.size,
      lockedKeyCount: this.#locks.size,
      evictedObjectCount: this.#evictedCount,
      currentSizeBytes: this.#usedBytes,
      maxCapacityBytes: this.capacityBytes,
    };
  }

  /** Whether `key` is stored (for tests and debugging). */
  has(key: ObjectKey): boolean {
    return this.#objects.has(key.id);
  }

  /** Locks currently held on `key`. */
  lockCount(key: ObjectKey): number {
    return this.#locks.count(key);
  }

  /**
   * Frees room for `size` bytes by evicting the oldest unlocked objects. Returns why it cannot, without
   * evicting anything, when even evicting every unlocked object would not be enough.
   */
  #makeRoom(size: number, beforeEvicting: () => void): string | undefined {
    if (size > this.capacityBytes) {
      return `object of ${size} bytes is larger than the capacity of ${this.capacityBytes} bytes (max_size_gb)`;
    }
    let needed = this.#usedBytes + size - this.capacityBytes;
    if (needed <= 0) return undefined;
    const victims: StoredObject[] = [];
    for (const stored of this.#objects.values()) {
      if (needed <= 0) break;
      if (this.#locks.isLocked(stored.key)) continue;
      victims.push(stored);
      needed -= stored.bytes.byteLength;
    }
    if (needed > 0) {
      return `object of ${size} bytes does not fit: ${this.#usedBytes} of ${this.capacityBytes} bytes used and the rest is locked`;
    }
    beforeEvicting();
    for (const victim of victims) this.#remove(victim.key.id);
    this.#evictedCount += victims.length;
    this.notifyDeleted(
      victims.map((v) => v.key),
      victims.map((v) => v.bytes.byteLength),
    );
    return undefined;
  }

  #remove(id: string): StoredObject | undefined {
    const stored = this.#objects.get(id);
    if (!stored) return undefined;
    this.#objects.delete(id);
    this.#usedBytes -= stored.bytes.byteLength;
    return stored;
  }

  /** Waits until `bytes` would have crossed the simulated link; close() cuts the wait short. */
  #transfer(bytes: number, startedMs: number): Promise<void> {
    const remainingMs = (bytes / this.bandwidthBytesPerSecond) * 1000 - (performance.now() - startedMs);
    if (remainingMs < 1 || this.closeSignal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.closeSignal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, remainingMs);
      this.closeSignal.addEventListener("abort", done, { once: true });
    });
  }
}
