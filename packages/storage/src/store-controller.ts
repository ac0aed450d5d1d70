import type { L2Logger, ObjectKey } from "@x/l2-core";
import type { AdapterSlot } from "./adapter-slot.js";
import { pushTo } from "./group.js";
import type { HardQuota } from "./hard-quota.js";
import type { L1Store } from "./l1/l1-store.js";
import { type StorePolicyName, selectStoreTargets } from "./store-policy.js";

export interface StoreControllerOptions {
  l1: L1Store;
  /** Attached, non-draining adapters in priority order. */
  slots: () => readonly AdapterSlot[];
  policy: StorePolicyName;
  logger: L2Logger;
  /** Keys per store call (one batch per adapter). */
  batchKeys: number;
  hardQuota: HardQuota | undefined;
  /** Called after a key was stored to `slot` (tiered bookkeeping). */
  onStored?: ((slot: AdapterSlot, keys: readonly ObjectKey[]) => void) | undefined;
}

/**
 * Moves objects from L1 to L2 in the background. Keys committed to L1 in the same tick are batched; the
 * store policy picks the adapters; each batch holds L1 read locks while the adapter reads the bytes, so
 * eviction cannot free them under it. A failed store is counted, logged and not retried; the key stays in
 * L1 and is not marked stored there.
 */
export class StoreController {
  readonly #options: StoreControllerOptions;
  #queue: ObjectKey[] = [];
  #scheduled = false;
  readonly #inflight = new Set<Promise<void>>();
  /** Per L1 key: adapters it is stored in (for status and skip_l1). */
  readonly #storedIn = new Map<string, Set<number>>();
  /** Per L1 key: store batches still running, and whether one failed (skip_l1 drops only after all passed). */
  readonly #pending = new Map<string, { count: number; failed: boolean }>();
  #closed = false;
  /** Aborted by close(): adapters that support cancellation stop their stores. */
  readonly #closeSignal = new AbortController();
  #stored = 0;
  #failed = 0;

  constructor(options: StoreControllerOptions) {
    this.#options = options;
  }

  get pendingKeys(): number {
    return this.#queue.length + this.#pending.size;
  }

  /** Adapters this key was stored to by this manager (cleared when L1 drops the key). */
  storedIn(key: ObjectKey): number[] {
    return [...(this.#storedIn.get(key.id) ?? [])];
  }

  forget(key: ObjectKey): void {
    this.#storedIn.delete(key.id);
  }

  /**
   * The L1 trigger: a non-temporary object finished its write. It is pinned (read-locked) from here until
   * its store batches hold their own locks, so L1 eviction never drops an object before L2 had a chance.
   */
  enqueue(key: ObjectKey): void {
    if (this.#closed) return;
    if (!this.#options.l1.tryReadLock(key)) return;
    this.#queue.push(key);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#dispatch());
    }
  }

  /** Stores keys held in L1 to one given adapter now (tiered promotion), outside the policy. */
  storeTo(slot: AdapterSlot, keys: readonly ObjectKey[]): void {
    if (this.#closed) return;
    for (let i = 0; i < keys.length; i += this.#options.batchKeys) {
      this.#startBatch(slot, keys.slice(i, i + this.#options.batchKeys));
    }
  }

  /** Starts the stores of everything queued now (end of a put: the I/O overlaps the caller's next copy). */
  dispatchNow(): void {
    this.#dispatch();
  }

  /** Resolves when every store started (or queued) so far has settled. */
  async flush(): Promise<void> {
    this.#dispatch();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Drops queued keys, cancels running stores where the adapter supports it, waits for them to settle. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const key of this.#queue.splice(0)) this.#options.l1.releaseRead(key);
    this.#closeSignal.abort(new Error("storage manager closing"));
    await Promise.allSettled([...this.#inflight]);
  }

  status(): Record<string, unknown> {
    return {
      policy: this.#options.policy,
      queuedKeys: this.#queue.length,
      batchesInFlight: this.#inflight.size,
      storedBatches: this.#stored,
      failedBatches: this.#failed,
    };
  }

  #dispatch(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const keys = this.#queue;
    this.#queue = [];
    const { l1, policy, batchKeys } = this.#options;
    const slots = this.#options.slots();
    const perSlot = new Map<AdapterSlot, ObjectKey[]>();
    for (const key of keys) {
      const { targets, skipped } = selectStoreTargets(policy, key, slots);
      for (const s of skipped) s.skipped("store");
      for (const slot of targets) {
        pushTo(perSlot, slot, key);
      }
    }
    for (const [slot, list] of perSlot) {
      for (let i = 0; i < list.length; i += batchKeys) this.#startBatch(slot, list.slice(i, i + batchKeys));
    }
    // Each batch holds its own read locks now; the enqueue pins can go.
    for (const key of keys) l1.releaseRead(key);
  }

  #startBatch(slot: AdapterSlot, candidates: ObjectKey[]): void {
    const { l1, hardQuota, logger } = this.#options;
    if (slot.state === "draining") return;
    // Read locks first: from here until the adapter settles, eviction cannot take these bytes.
    const keys: ObjectKey[] = [];
    const objects: Uint8Array[] = [];
    for (const key of candidates) {
      if (!l1.tryReadLock(key)) continue;
      const bytes = l1.bytesOf(key)!;
      if (hardQuota && !hardQuota.admit(slot, key, bytes.byteLength)) {
        l1.releaseRead(key);
        continue;
      }
      keys.push(key);
      objects.push(bytes);
      const p = this.#pending.get(key.id);
      if (p) p.count++;
      else this.#pending.set(key.id, { count: 1, failed: false });
    }
    if (keys.length === 0) return;
    const run = (async () => {
      const release = await slot.storeGate.acquire();
      let ok = false;
      try {
        // Removed while this batch waited for its turn: nothing new goes to a draining adapter.
        if (slot.state === "draining") return;
        const result = await slot.store(keys, objects, { signal: this.#closeSignal.signal });
        ok = result.ok;
        if (ok) this.#stored++;
        else {
          this.#failed++;
          logger.warn("background store failed; keys stay in L1, not marked stored", {
            adapter: slot.id,
            keys: keys.length,
            error: result.error?.message,
          });
        }
      } finally {
        release();
        if (hardQuota) {
          keys.forEach((k, i) => {
            hardQuota.settle(slot, k, objects[i]!.byteLength);
          });
        }
        for (const key of keys) l1.releaseRead(key);
        this.#settle(slot, keys, ok);
      }
    })();
    const tracked = run.catch((error: unknown) => {
      logger.error("store batch crashed", { adapter: slot.id, error: String(error) });
    });
    this.#inflight.add(tracked);
    void tracked.then(() => this.#inflight.delete(tracked));
  }

  #settle(slot: AdapterSlot, keys: readonly ObjectKey[], ok: boolean): void {
    const { l1, policy } = this.#options;
    if (ok) {
      for (const key of keys) {
        const set = this.#storedIn.get(key.id);
        if (set) set.add(slot.id);
        else this.#storedIn.set(key.id, new Set([slot.id]));
      }
      this.#options.onStored?.(slot, keys);
    }
    for (const key of keys) {
      const p = this.#pending.get(key.id);
      if (!p) continue;
      if (!ok) p.failed = true;
      if (--p.count > 0) continue;
      this.#pending.delete(key.id);
      // skip_l1: L1 is only a buffer; drop once every target has the key (a read-locked key goes on unlock).
      if (policy === "skip_l1" && !p.failed) {
        l1.delete(key);
        this.#storedIn.delete(key.id);
      }
    }
  }
}
