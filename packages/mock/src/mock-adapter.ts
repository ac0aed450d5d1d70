import {
  abortableDelay,
  Bitmap,
  L2AdapterBase,
  type L2AdapterContext,
  type ObjectKey,
  type StoreOutcome,
} from "@x/l2-core";
import type { MockL2AdapterConfig } from "./config.js";

const GIB = 2 ** 30;

/** LMCache's reference adapter: copies in a Map, bandwidth simulated; locks, usage, capacity are the base's. */
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
    const written = keys.map((key, i) => {
      if (this.#objects.has(key.id)) return false;
      this.#objects.set(key.id, new Uint8Array(objects[i]!)); // a copy (Buffer#slice would be a view)
      return true;
    });
    await this.#transfer(objects.reduce((n, o, i) => (written[i] ? n + o.byteLength : n), 0));
    return { stored: new Bitmap(keys.length, keys.length), written: Bitmap.fromBooleans(written) };
  }

  /** A Bitmap, as in 0.1: subclasses that post-process `super._load` keep working. */
  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    const loaded = new Bitmap(keys.length);
    for (const [i, key] of keys.entries()) {
      const stored = this.#objects.get(key.id);
      if (stored?.byteLength !== targets[i]!.byteLength) continue; // missing or another size: a miss
      targets[i]!.set(stored);
      loaded.set(i);
    }
    this.recordGoneKeys(keys.filter((key) => !this.#objects.has(key.id)));
    await this.#transfer(loaded.indices().reduce((n, i) => n + targets[i]!.byteLength, 0));
    return loaded;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    for (const key of keys) this.#objects.delete(key.id);
  }

  protected override async _close(): Promise<void> {
    this.#objects.clear();
  }

  protected override _status(): Record<string, unknown> {
    const currentSizeBytes = this.usage().totalBytesUsed;
    return { storedObjectCount: this.#objects.size, currentSizeBytes, maxCapacityBytes: this.capacityBytes };
  }

  /** For tests: whether `key` is stored. */
  debugHasKey(key: ObjectKey): boolean {
    return this.#objects.has(key.id);
  }

  /** Completes after bytes / bandwidth; close() cuts the wait short. */
  #transfer(bytes: number): Promise<void> {
    return abortableDelay((bytes / this.bandwidthBytesPerSecond) * 1000, this.closeSignal);
  }
}
