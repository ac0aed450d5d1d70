import {
  Bitmap,
  L2AdapterBase,
  type L2AdapterContext,
  type LoadOutcome,
  type ObjectKey,
  type StoreOutcome,
} from "@x/l2-core";
import { InMemoryL2AdapterConfig } from "./config.js";

const GIB = 2 ** 30;

/** A parsed config as is; a config from another copy of this package or a params object is (re)parsed. */
function toConfig(config: InMemoryL2AdapterConfig | Record<string, unknown>): InMemoryL2AdapterConfig {
  if (config instanceof InMemoryL2AdapterConfig) return config;
  const dict = typeof config.toDict === "function" ? (config.toDict as () => unknown)() : config;
  return InMemoryL2AdapterConfig.fromDict(dict);
}

/**
 * Copies of chunks in a Map. When a store does not fit, the oldest unlocked objects are evicted first
 * (FIFO), but only if that frees enough room. Existing keys are never overwritten; every store and load
 * completes after bytes / mock_bandwidth_gb. Locks, usage, capacity and listeners are the base's.
 */
export class InMemoryL2Adapter extends L2AdapterBase {
  readonly capacityBytes: number;
  readonly bandwidthBytesPerSecond: number;
  readonly #objects = new Map<string, Uint8Array>();
  #evictedCount = 0;

  /** `config` may also be a plain params object (`{ max_size_gb: 1 }`), as the `plugin` type passes it. */
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

  protected override async _lookup(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return Bitmap.fromBooleans(keys.map((key) => this.#objects.has(key.id)));
  }

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreOutcome> {
    const written = new Bitmap(keys.length);
    let bytes = 0;
    keys.forEach((key, i) => {
      if (this.#objects.has(key.id)) return;
      this.#objects.set(key.id, new Uint8Array(objects[i]!)); // a copy: the caller reuses its buffer
      bytes += objects[i]!.byteLength;
      written.set(i);
    });
    await this.#transfer(bytes);
    return { stored: new Bitmap(keys.length, keys.length), written };
  }

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<LoadOutcome> {
    const loaded = new Bitmap(keys.length);
    let bytes = 0;
    keys.forEach((key, i) => {
      const stored = this.#objects.get(key.id);
      if (stored?.byteLength !== targets[i]!.byteLength) return; // missing or another size: a miss
      targets[i]!.set(stored);
      bytes += stored.byteLength;
      loaded.set(i);
    });
    await this.#transfer(bytes);
    return { loaded };
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    for (const key of keys) this.#objects.delete(key.id);
  }

  /** FIFO: the oldest unlocked objects go, but only when together they free enough. */
  protected override async _makeRoom(bytesNeeded: number): Promise<void> {
    const victims: ObjectKey[] = [];
    let freed = 0;
    for (const { key, sizeBytes } of this.recoveredEntries()) {
      if (freed >= bytesNeeded) break;
      if (this.isKeyLocked(key)) continue;
      victims.push(key);
      freed += sizeBytes;
    }
    if (freed < bytesNeeded) return;
    await this.delete(victims);
    this.#evictedCount += victims.length;
  }

  protected override async _close(): Promise<void> {
    this.#objects.clear();
  }

  protected override _status(): Record<string, unknown> {
    return {
      storedObjectCount: this.#objects.size,
      evictedObjectCount: this.#evictedCount,
      currentSizeBytes: this.usage().totalBytesUsed,
      maxCapacityBytes: this.capacityBytes,
    };
  }

  /** Whether `key` is stored (for tests and debugging). */
  has(key: ObjectKey): boolean {
    return this.#objects.has(key.id);
  }

  /** Locks currently held on `key`. */
  lockCount(key: ObjectKey): number {
    return this.keyLockCount(key);
  }

  /** Waits until `bytes` would have crossed the simulated link; close() cuts the wait short. */
  #transfer(bytes: number): Promise<void> {
    const ms = (bytes / this.bandwidthBytesPerSecond) * 1000;
    if (ms < 1 || this.closeSignal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.closeSignal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.closeSignal.addEventListener("abort", done, { once: true });
    });
  }
}
