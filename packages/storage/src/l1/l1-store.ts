import type { ObjectKey } from "@x/l2-core";
import { ArcOrder } from "./arc-order.js";
import type { L1EvictionOrder, L1EvictionPolicyName } from "./eviction-order.js";
import { LruOrder } from "./lru-order.js";

/** One object held in L1. */
interface L1Entry {
  readonly key: ObjectKey;
  readonly bytes: Uint8Array;
  /** Readers in progress (store to L2, prefetch result, get). A read-locked object is never evicted. */
  readLocks: number;
  /** Reserved and not yet filled: only its writer touches `bytes`; nobody reads it, nobody evicts it. */
  writing: boolean;
  /** Came from L2 (prefetch staging): never triggers a store. */
  temporary: boolean;
  /** Resolves with whether the write committed; set while `writing`. */
  written: Promise<boolean> | undefined;
  settleWrite: ((committed: boolean) => void) | undefined;
  /** Delete as soon as the last read lock goes (skip_l1 after a store that finished under a reader). */
  dropWhenUnlocked: boolean;
}

export type ReserveWriteResult =
  | { readonly status: "reserved"; readonly buffer: Uint8Array }
  | { readonly status: "present" }
  | { readonly status: "writing"; readonly written: Promise<boolean> }
  | { readonly status: "full" };

export interface L1StoreOptions {
  capacityBytes: number;
  policy?: L1EvictionPolicyName | undefined;
  /** A non-temporary object finished its write: the store controller's trigger. */
  onCommitted?: ((key: ObjectKey, bytes: Uint8Array) => void) | undefined;
  /** A readable object left L1, evicted or deleted. */
  onRemoved?: ((key: ObjectKey, sizeBytes: number, evicted: boolean) => void) | undefined;
}

/**
 * The L1 object store: bounded memory, read/write locks per object, and eviction of unlocked objects in
 * LRU (or ARC) order. A write that cannot find room among unlocked objects fails without evicting
 * anything, so a full, locked L1 loses nothing it holds. Synchronous: every call completes in one tick,
 * which is what makes "check then act" safe without a mutex.
 */
export class L1Store {
  readonly capacityBytes: number;
  readonly policy: L1EvictionPolicyName;
  readonly #entries = new Map<string, L1Entry>();
  readonly #order: L1EvictionOrder;
  readonly #onCommitted: L1StoreOptions["onCommitted"];
  readonly #onRemoved: L1StoreOptions["onRemoved"];
  #usedBytes = 0;
  /** Freed buffers by size, for reuse; their bytes plus `#usedBytes` never exceed the capacity. */
  readonly #free = new Map<number, Uint8Array[]>();
  #freeBytes = 0;
  #readLocks = 0;
  #writeLocks = 0;
  #evictions = 0;
  #evictedBytes = 0;

  constructor(options: L1StoreOptions) {
    this.capacityBytes = options.capacityBytes;
    this.policy = options.policy ?? "LRU";
    this.#order = this.policy === "ARC" ? new ArcOrder(options.capacityBytes) : new LruOrder();
    this.#onCommitted = options.onCommitted;
    this.#onRemoved = options.onRemoved;
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  get objectCount(): number {
    return this.#entries.size;
  }

  /** Read locks held right now, over all objects (0 when idle: no lock leaked). */
  get readLocks(): number {
    return this.#readLocks;
  }

  /** Objects reserved for a write that has not finished. */
  get writeLocks(): number {
    return this.#writeLocks;
  }

  get evictions(): { objects: number; bytes: number } {
    return { objects: this.#evictions, bytes: this.#evictedBytes };
  }

  /** Present and readable (written). */
  has(key: ObjectKey): boolean {
    const entry = this.#entries.get(key.id);
    return entry !== undefined && !entry.writing;
  }

  /** Size of a readable object, undefined if absent or still being written. */
  sizeOf(key: ObjectKey): number | undefined {
    const entry = this.#entries.get(key.id);
    return entry && !entry.writing ? entry.bytes.byteLength : undefined;
  }

  /**
   * Reserves a buffer of `sizeBytes` for `key`, evicting unlocked objects if needed. The caller fills
   * it, then calls `finishWrite` or `abortWrite`. Nothing is evicted when the room cannot be found.
   */
  reserveWrite(key: ObjectKey, sizeBytes: number, temporary: boolean): ReserveWriteResult {
    const existing = this.#entries.get(key.id);
    if (existing) {
      return existing.writing ? { status: "writing", written: existing.written! } : { status: "present" };
    }
    if (sizeBytes > this.capacityBytes || !this.#makeRoom(sizeBytes)) return { status: "full" };
    const buffer = this.#allocate(sizeBytes);
    let settleWrite: ((committed: boolean) => void) | undefined;
    const written = new Promise<boolean>((resolve) => {
      settleWrite = resolve;
    });
    this.#entries.set(key.id, {
      key,
      bytes: buffer,
      readLocks: 0,
      writing: true,
      temporary,
      written,
      settleWrite,
      dropWhenUnlocked: false,
    });
    this.#usedBytes += sizeBytes;
    this.#writeLocks++;
    return { status: "reserved", buffer };
  }

  /** Makes a reserved object readable; with `readLock` the caller keeps one read lock (atomic hand-over). */
  finishWrite(key: ObjectKey, readLock = false): void {
    const entry = this.#entries.get(key.id);
    if (!entry?.writing) return;
    entry.writing = false;
    this.#writeLocks--;
    if (readLock) {
      entry.readLocks++;
      this.#readLocks++;
    }
    this.#order.inserted(key.id, entry.bytes.byteLength);
    const settle = entry.settleWrite!;
    entry.settleWrite = undefined;
    entry.written = undefined;
    settle(true);
    if (!entry.temporary) this.#onCommitted?.(entry.key, entry.bytes);
  }

  /** Drops a reservation whose write failed; its buffer is not reused while anyone could still write it. */
  abortWrite(key: ObjectKey): void {
    const entry = this.#entries.get(key.id);
    if (!entry?.writing) return;
    this.#writeLocks--;
    this.#entries.delete(key.id);
    this.#release(entry.bytes);
    this.#usedBytes -= entry.bytes.byteLength;
    const settle = entry.settleWrite!;
    entry.settleWrite = undefined;
    settle(false);
  }

  /** Takes a read lock on a readable object; false when absent or still being written. */
  tryReadLock(key: ObjectKey): boolean {
    const entry = this.#entries.get(key.id);
    if (!entry || entry.writing) return false;
    entry.readLocks++;
    this.#readLocks++;
    return true;
  }

  /** The write in progress for `key`, if any: resolves true when it committed. */
  pendingWrite(key: ObjectKey): Promise<boolean> | undefined {
    return this.#entries.get(key.id)?.written;
  }

  releaseRead(key: ObjectKey): void {
    const entry = this.#entries.get(key.id);
    if (!entry || entry.readLocks === 0) return;
    entry.readLocks--;
    this.#readLocks--;
    if (entry.readLocks === 0 && entry.dropWhenUnlocked) this.#remove(entry, false);
  }

  /** The bytes of a readable object. Only valid while the caller holds a read lock or within this tick. */
  bytesOf(key: ObjectKey): Uint8Array | undefined {
    const entry = this.#entries.get(key.id);
    return entry && !entry.writing ? entry.bytes : undefined;
  }

  /** Counts as an access for the eviction order. */
  touch(key: ObjectKey): void {
    const entry = this.#entries.get(key.id);
    if (entry && !entry.writing) this.#order.accessed(key.id);
  }

  /** Removes an unlocked object now; a read-locked one goes when its last reader leaves. */
  delete(key: ObjectKey): boolean {
    const entry = this.#entries.get(key.id);
    if (!entry || entry.writing) return false;
    if (entry.readLocks > 0) {
      entry.dropWhenUnlocked = true;
      return false;
    }
    this.#remove(entry, false);
    return true;
  }

  /** Drops every object (close). Reservations still being written are left to their writers. */
  clear(): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.writing) continue;
      entry.readLocks = 0;
      this.#remove(entry, false);
    }
    this.#readLocks = 0;
    this.#free.clear();
    this.#freeBytes = 0;
  }

  /** Keys currently readable, for status and tests. */
  keys(): ObjectKey[] {
    return [...this.#entries.values()].filter((e) => !e.writing).map((e) => e.key);
  }

  /** Evicts unlocked objects until `sizeBytes` more fit; false (and nothing evicted) when they cannot. */
  #makeRoom(sizeBytes: number): boolean {
    let missing = this.#usedBytes + sizeBytes - this.capacityBytes;
    if (missing <= 0) return true;
    const chosen: L1Entry[] = [];
    for (const id of this.#order.victims()) {
      const entry = this.#entries.get(id);
      if (!entry || entry.writing || entry.readLocks > 0) continue;
      chosen.push(entry);
      missing -= entry.bytes.byteLength;
      if (missing <= 0) break;
    }
    if (missing > 0) return false;
    for (const entry of chosen) {
      this.#remove(entry, true);
      this.#evictions++;
      this.#evictedBytes += entry.bytes.byteLength;
    }
    return true;
  }

  /**
   * A buffer of exactly `size` bytes: a freed one of that size when there is one (its pages are already
   * mapped, so reuse costs no page faults; KV chunks mostly share one size), else a new one. Not
   * zero-filled: the writer overwrites every byte before anyone may read it.
   */
  #allocate(size: number): Uint8Array {
    const list = this.#free.get(size);
    const reused = list?.pop();
    if (reused) {
      if (list!.length === 0) this.#free.delete(size);
      this.#freeBytes -= size;
      return reused;
    }
    // Used plus pooled bytes stay within the capacity: drop pooled buffers of other sizes first.
    for (const [other, buffers] of this.#free) {
      while (this.#usedBytes + this.#freeBytes > this.capacityBytes - size && buffers.length > 0) {
        buffers.pop();
        this.#freeBytes -= other;
      }
      if (buffers.length === 0) this.#free.delete(other);
      if (this.#usedBytes + this.#freeBytes <= this.capacityBytes - size) break;
    }
    return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
  }

  /** Keeps a buffer nobody can touch any more (no reader, no writer) for the next write of its size. */
  #release(buffer: Uint8Array): void {
    const size = buffer.byteLength;
    const list = this.#free.get(size);
    if (list) list.push(buffer);
    else this.#free.set(size, [buffer]);
    this.#freeBytes += size;
  }

  #remove(entry: L1Entry, evicted: boolean): void {
    this.#entries.delete(entry.key.id);
    this.#release(entry.bytes);
    this.#usedBytes -= entry.bytes.byteLength;
    this.#order.removed(entry.key.id, evicted);
    this.#onRemoved?.(entry.key, entry.bytes.byteLength, evicted);
  }
}
