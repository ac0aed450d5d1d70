import type { ObjectKey } from "./object-key.js";

/**
 * Refcounted locks per key: `lookupAndLock` takes one per hit, `unlock` drops one, eviction and `delete`
 * skip keys whose count is above zero.
 */
export class KeyLockTable {
  readonly #counts = new Map<string, number>();

  lock(key: ObjectKey): void {
    this.#counts.set(key.id, (this.#counts.get(key.id) ?? 0) + 1);
  }

  /** Drops one lock; false when the key held none. */
  unlock(key: ObjectKey): boolean {
    const count = this.#counts.get(key.id);
    if (count === undefined) return false;
    if (count <= 1) this.#counts.delete(key.id);
    else this.#counts.set(key.id, count - 1);
    return true;
  }

  isLocked(key: ObjectKey): boolean {
    return this.#counts.has(key.id);
  }

  count(key: ObjectKey): number {
    return this.#counts.get(key.id) ?? 0;
  }

  /** Number of distinct locked keys. */
  get size(): number {
    return this.#counts.size;
  }

  clear(): void {
    this.#counts.clear();
  }
}
