import type { ObjectKey } from "../object-key.js";

export interface TrackedKey {
  readonly key: ObjectKey;
  readonly sizeBytes: number;
}

/**
 * Recency order of stored keys, globally and per cache salt, fed by adapter events: stored = newest,
 * accessed = move to newest, deleted = forget. Maps keep insertion order, so iteration is oldest first.
 */
export class LruTracker {
  readonly #all = new Map<string, TrackedKey>();
  readonly #bySalt = new Map<string, Map<string, TrackedKey>>();

  get size(): number {
    return this.#all.size;
  }

  get saltCount(): number {
    return this.#bySalt.size;
  }

  has(key: ObjectKey): boolean {
    return this.#all.has(key.id);
  }

  /** Newest position; a known key keeps its size unless a new one is given. */
  stored(key: ObjectKey, sizeBytes: number): void {
    this.#remove(key.id, key.cacheSalt);
    this.#insert({ key, sizeBytes });
  }

  accessed(key: ObjectKey): void {
    const entry = this.#all.get(key.id);
    if (!entry) return;
    this.#remove(key.id, key.cacheSalt);
    this.#insert(entry);
  }

  deleted(key: ObjectKey): void {
    this.#remove(key.id, key.cacheSalt);
  }

  /** Adds keys as older than everything tracked so far (recovered files); known keys stay put. */
  seedOldest(entries: Iterable<TrackedKey>): number {
    const fresh = [...entries].filter((e) => !this.#all.has(e.key.id));
    if (fresh.length === 0) return 0;
    const existing = [...this.#all.values()];
    this.#all.clear();
    this.#bySalt.clear();
    for (const e of fresh) this.#insert(e);
    for (const e of existing) this.#insert(e);
    return fresh.length;
  }

  /** Oldest first, over all keys or over one salt. */
  oldest(cacheSalt?: string): IterableIterator<TrackedKey> {
    if (cacheSalt === undefined) return this.#all.values();
    return (this.#bySalt.get(cacheSalt) ?? new Map<string, TrackedKey>()).values();
  }

  trackedBytes(cacheSalt?: string): number {
    let sum = 0;
    for (const e of this.oldest(cacheSalt)) sum += e.sizeBytes;
    return sum;
  }

  #insert(entry: TrackedKey): void {
    this.#all.set(entry.key.id, entry);
    let bucket = this.#bySalt.get(entry.key.cacheSalt);
    if (!bucket) {
      bucket = new Map();
      this.#bySalt.set(entry.key.cacheSalt, bucket);
    }
    bucket.set(entry.key.id, entry);
  }

  #remove(id: string, salt: string): void {
    if (!this.#all.delete(id)) return;
    const bucket = this.#bySalt.get(salt);
    bucket?.delete(id);
    if (bucket?.size === 0) this.#bySalt.delete(salt);
  }
}
