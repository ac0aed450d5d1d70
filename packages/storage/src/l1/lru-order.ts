import type { L1EvictionOrder } from "./eviction-order.js";

/** Least recently used first. A Set keeps insertion order, so re-inserting moves an id to the end. */
export class LruOrder implements L1EvictionOrder {
  readonly name = "LRU" as const;
  readonly #order = new Set<string>();

  inserted(id: string): void {
    this.#order.delete(id);
    this.#order.add(id);
  }

  accessed(id: string): void {
    if (this.#order.delete(id)) this.#order.add(id);
  }

  removed(id: string): void {
    this.#order.delete(id);
  }

  victims(): Iterable<string> {
    return this.#order;
  }
}
