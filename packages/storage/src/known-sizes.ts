import type { ObjectKey } from "@x/l2-core";

/**
 * Sizes of objects this manager has seen (put, stored by an adapter, recovered at start), so a prefetch can
 * size its L1 buffer. Bounded: the oldest entries are forgotten first.
 */
export class KnownSizes {
  readonly #sizes = new Map<string, number>();
  readonly #limit: number;

  constructor(limit = 1_000_000) {
    this.#limit = limit;
  }

  remember(key: ObjectKey, sizeBytes: number): void {
    if (!(sizeBytes > 0)) return;
    if (this.#sizes.get(key.id) === sizeBytes) return;
    this.#sizes.delete(key.id);
    this.#sizes.set(key.id, sizeBytes);
    if (this.#sizes.size > this.#limit) {
      const oldest = this.#sizes.keys().next();
      if (!oldest.done) this.#sizes.delete(oldest.value);
    }
  }

  get(key: ObjectKey): number | undefined {
    return this.#sizes.get(key.id);
  }
}
