import { Bitmap, L2AdapterBase, type L2AdapterContext, type ObjectKey, type StoreOutcome } from "@x/l2-core";
import type { MockL2AdapterConfig } from "./config.js";

const GIB = 2 ** 30;

/**
 * LMCache's reference adapter: copies of chunks in a Map, completion delayed by bytes / bandwidth, no
 * overwrite of existing keys. Locks, capacity (a key that does not fit fails its task), usage and
 * listeners are the base's.
 */
export class MockL2Adapter extends L2AdapterBase {
  readonly capacityBytes: number;
  readonly bandwidthBytesPerSecond: number;
  readonly #objects = new Map<string, Uint8Array>();

  constructor(config: MockL2AdapterConfig, context?: Partial<L2AdapterContext>) {
    // At least one byte: a capacity of 0 would read as "unknown" (usageFraction -1).
    const capacityBytes = Math.max(1, Math.floor(config.maxSizeGb * GIB));
    super({ type: context?.typeName ?? "mock", capacityBytes, logger: context?.logger });
    this.capacityBytes = capacityBytes;
    this.bandwidthBytesPerSecond = config.mockBandwidthGb * GIB;
  }

  protected override async _lookup(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return Bitmap.fromBooleans(keys.map((key) => this.#objects.has(key.id)));
  }

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreOutcome> {
    const started = performance.now();
    const written = new Bitmap(keys.length);
    let bytes = 0;
    keys.forEach((key, i) => {
      if (this.#objects.has(key.id)) return;
      // A copy: the caller may reuse its buffer as soon as the store settles.
      this.#objects.set(key.id, new Uint8Array(objects[i]!));
      bytes += objects[i]!.byteLength;
      written.set(i);
    });
    await this.#transfer(bytes, started);
    return { stored: new Bitmap(keys.length, keys.length), written };
  }

  /** Returns a Bitmap, as in 0.1, so subclasses that post-process `super._load` keep working. */
  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    const started = performance.now();
    const loaded = new Bitmap(keys.length);
    const gone: ObjectKey[] = [];
    let bytes = 0;
    keys.forEach((key, i) => {
      const stored = this.#objects.get(key.id);
      if (!stored) gone.push(key);
      else if (stored.byteLength === targets[i]!.byteLength) {
        targets[i]!.set(stored);
        bytes += stored.byteLength;
        loaded.set(i);
      }
    });
    this.recordGoneKeys(gone);
    await this.#transfer(bytes, started);
    return loaded;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    for (const key of keys) this.#objects.delete(key.id);
  }

  protected override async _close(): Promise<void> {
    this.#objects.clear();
  }

  protected override _status(): Record<string, unknown> {
    return {
      storedObjectCount: this.#objects.size,
      currentSizeBytes: this.usage().totalBytesUsed,
      maxCapacityBytes: this.capacityBytes,
    };
  }

  /** For tests: whether `key` is stored. */
  debugHasKey(key: ObjectKey): boolean {
    return this.#objects.has(key.id);
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
