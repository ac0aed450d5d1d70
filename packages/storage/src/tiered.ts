import { DelegatingL2Adapter, type L2Adapter, type L2Logger, type ObjectKey } from "@x/l2-core";
import type { AdapterSlot } from "./adapter-slot.js";
import type { L1Store } from "./l1/l1-store.js";
import type { StorageMetrics } from "./metrics.js";
import type { StoreController } from "./store-controller.js";

export interface TieredDemotionOptions {
  /** Attached, non-draining adapters in priority order: index 0 is the fastest tier. */
  slots: () => readonly AdapterSlot[];
  l1: L1Store;
  sizeOf: (key: ObjectKey) => number | undefined;
  metrics: StorageMetrics;
  logger: L2Logger;
}

/** Keys moved per demotion step: bounds the memory a demotion holds (keys x chunk size). */
const DEMOTE_BATCH = 8;

/**
 * The `tiered` store policy's moves between adapters. Writes go to the fastest healthy adapter (the store
 * policy). When an adapter's eviction controller removes keys, they are first copied to the next healthy
 * adapter down, and deleted from the faster one only after that copy settled; a key a prefetch loads from a
 * slower adapter is copied up to the fastest one.
 */
export class TieredDemotion {
  readonly #o: TieredDemotionOptions;
  readonly #running = new Set<Promise<unknown>>();

  constructor(options: TieredDemotionOptions) {
    this.#o = options;
  }

  /** What the eviction controller of `slot` sees: the adapter, whose delete demotes first. */
  evictionView(slot: AdapterSlot): L2Adapter {
    const demote = (keys: readonly ObjectKey[]) => this.#demote(slot, keys);
    return new (class extends DelegatingL2Adapter {
      override async delete(keys: readonly ObjectKey[]): Promise<void> {
        await demote(keys);
        return this.inner.delete(keys);
      }
    })(slot.adapter);
  }

  /** A prefetch loaded `keys` from `slot`; when a faster healthy adapter exists, copy them up. */
  promote(slot: AdapterSlot, keys: readonly ObjectKey[], store: StoreController): void {
    const fastest = this.#o.slots().find((s) => s.routable);
    if (!fastest || fastest === slot) return;
    const order = this.#o.slots();
    if (order.indexOf(fastest) > order.indexOf(slot)) return;
    this.#o.metrics.l2Promotions.inc(slot.labels, keys.length);
    store.storeTo(fastest, keys);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  async #demote(slot: AdapterSlot, keys: readonly ObjectKey[]): Promise<void> {
    const order = this.#o.slots();
    const next = order.slice(order.indexOf(slot) + 1).find((s) => s.routable);
    if (!next || order.indexOf(slot) < 0) return;
    const run = (async () => {
      for (let i = 0; i < keys.length; i += DEMOTE_BATCH) {
        await this.#demoteBatch(slot, next, keys.slice(i, i + DEMOTE_BATCH));
      }
    })();
    this.#running.add(run);
    try {
      await run;
    } catch (error) {
      this.#o.logger.warn("demotion failed; the keys are evicted without a copy", {
        from: slot.id,
        to: next.id,
        error: String(error),
      });
    } finally {
      this.#running.delete(run);
    }
  }

  async #demoteBatch(from: AdapterSlot, to: AdapterSlot, keys: ObjectKey[]): Promise<void> {
    const { l1, sizeOf } = this.#o;
    // Bytes still in L1 need no read from the faster adapter.
    const inL1: ObjectKey[] = [];
    const fromL2: ObjectKey[] = [];
    for (const key of keys) (l1.tryReadLock(key) ? inL1 : fromL2).push(key);
    const outKeys: ObjectKey[] = [...inL1];
    const outBytes: Uint8Array[] = inL1.map((k) => l1.bytesOf(k)!);
    const locked: ObjectKey[] = [];
    try {
      const sized = fromL2.filter((k) => sizeOf(k) !== undefined);
      if (sized.length > 0) {
        const found = await from.adapter.lookupAndLock(sized);
        const present = found.gather(sized);
        locked.push(...present);
        const targets = present.map((k) => new Uint8Array(sizeOf(k)!));
        const loaded = present.length > 0 ? await from.adapter.load(present, targets) : found;
        present.forEach((k, i) => {
          if (loaded.test(i)) {
            outKeys.push(k);
            outBytes.push(targets[i]!);
          }
        });
      }
      if (outKeys.length === 0) return;
      const result = await to.store(outKeys, outBytes);
      if (result.ok) this.#o.metrics.l2Demotions.inc(from.labels, outKeys.length);
    } finally {
      if (locked.length > 0) from.adapter.unlock(locked);
      for (const key of inL1) l1.releaseRead(key);
    }
  }
}
