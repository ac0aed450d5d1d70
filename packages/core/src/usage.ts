import type { L2Logger } from "./logger.js";
import type { ObjectKey } from "./object-key.js";

/** A snapshot of an adapter's byte accounting. Frozen; a new object per call. */
export interface AdapterUsage {
  readonly totalBytesUsed: number;
  /** 0 when the capacity is unknown or unbounded. */
  readonly totalCapacityBytes: number;
  /** Bytes per cache salt; only salts with bytes > 0 appear. "" is the unsalted bucket. */
  readonly bytesByCacheSalt: Readonly<Record<string, number>>;
  /** used / capacity, or -1 when the capacity is unknown (no eviction signal). */
  readonly usageFraction: number;
}

/**
 * Byte accounting shared by every adapter: totals and per-salt buckets that never go negative (an
 * underflow is clamped to 0 and logged, because a negative total would disable eviction forever).
 */
export class UsageCounter {
  #total = 0;
  readonly #bySalt = new Map<string, number>();
  #capacity: number;
  readonly #logger: L2Logger;

  constructor(capacityBytes: number, logger: L2Logger) {
    this.#capacity = Math.max(capacityBytes, 0);
    this.#logger = logger;
  }

  get capacityBytes(): number {
    return this.#capacity;
  }

  set capacityBytes(bytes: number) {
    this.#capacity = Math.max(bytes, 0);
  }

  get totalBytes(): number {
    return this.#total;
  }

  add(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    this.#apply(keys, sizes, 1);
  }

  subtract(keys: readonly ObjectKey[], sizes: readonly number[]): void {
    this.#apply(keys, sizes, -1);
  }

  #apply(keys: readonly ObjectKey[], sizes: readonly number[], sign: 1 | -1): void {
    if (keys.length !== sizes.length) {
      throw new RangeError(`usage accounting: ${keys.length} keys but ${sizes.length} sizes`);
    }
    keys.forEach((key, i) => {
      const size = sizes[i]!;
      if (!(size >= 0)) return;
      const before = this.#bySalt.get(key.cacheSalt) ?? 0;
      let after = before + sign * size;
      if (after < 0) {
        this.#logger.warn("accounting underflow in a cache-salt bucket; clamped to 0", {
          cacheSalt: key.cacheSalt,
          before,
          delta: sign * size,
        });
        after = 0;
      }
      if (after > 0) this.#bySalt.set(key.cacheSalt, after);
      else this.#bySalt.delete(key.cacheSalt);
      this.#total += after - before;
    });
    if (this.#total < 0) this.#total = 0;
  }

  snapshot(): AdapterUsage {
    const bytesByCacheSalt = Object.freeze(Object.fromEntries(this.#bySalt));
    return Object.freeze({
      totalBytesUsed: this.#total,
      totalCapacityBytes: this.#capacity,
      bytesByCacheSalt,
      usageFraction: this.#capacity > 0 ? this.#total / this.#capacity : -1,
    });
  }
}
