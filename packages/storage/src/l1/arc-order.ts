import type { L1EvictionOrder } from "./eviction-order.js";

/**
 * Adaptive Replacement Cache (Megiddo & Modha), measured in bytes because chunks differ in size. T1 holds
 * objects seen once recently, T2 objects seen at least twice; B1 / B2 remember what was evicted from each.
 * A re-insert of a key remembered in B1 means T1 was too small, so the target `p` for T1 grows; one in B2
 * shrinks it. Victims come from T1 while T1 is larger than `p`, else from T2 (then the other list, because
 * locked objects cannot go).
 */
export class ArcOrder implements L1EvictionOrder {
  readonly name = "ARC" as const;
  readonly #capacity: number;
  readonly #t1 = new Map<string, number>();
  readonly #t2 = new Map<string, number>();
  readonly #b1 = new Map<string, number>();
  readonly #b2 = new Map<string, number>();
  #t1Bytes = 0;
  #t2Bytes = 0;
  #b1Bytes = 0;
  #b2Bytes = 0;
  /** Target size of T1 in bytes. */
  #p = 0;

  constructor(capacityBytes: number) {
    this.#capacity = capacityBytes;
  }

  get targetT1Bytes(): number {
    return this.#p;
  }

  inserted(id: string, sizeBytes: number): void {
    const inB1 = this.#b1.get(id);
    const inB2 = this.#b2.get(id);
    if (inB1 !== undefined) {
      this.#p = Math.min(
        this.#capacity,
        this.#p + Math.max(sizeBytes, (this.#b2Bytes / this.#b1Bytes) * sizeBytes),
      );
      this.#forget(this.#b1, id, "b1");
      this.#put(this.#t2, id, sizeBytes, "t2");
    } else if (inB2 !== undefined) {
      this.#p = Math.max(0, this.#p - Math.max(sizeBytes, (this.#b1Bytes / this.#b2Bytes) * sizeBytes));
      this.#forget(this.#b2, id, "b2");
      this.#put(this.#t2, id, sizeBytes, "t2");
    } else {
      this.#put(this.#t1, id, sizeBytes, "t1");
    }
    this.#trimGhosts();
  }

  accessed(id: string): void {
    const inT1 = this.#t1.get(id);
    if (inT1 !== undefined) {
      this.#forget(this.#t1, id, "t1");
      this.#put(this.#t2, id, inT1, "t2");
      return;
    }
    const inT2 = this.#t2.get(id);
    if (inT2 !== undefined) {
      this.#t2.delete(id);
      this.#t2.set(id, inT2);
    }
  }

  removed(id: string, evicted: boolean): void {
    const inT1 = this.#t1.get(id);
    if (inT1 !== undefined) {
      this.#forget(this.#t1, id, "t1");
      if (evicted) this.#put(this.#b1, id, inT1, "b1");
    }
    const inT2 = this.#t2.get(id);
    if (inT2 !== undefined) {
      this.#forget(this.#t2, id, "t2");
      if (evicted) this.#put(this.#b2, id, inT2, "b2");
    }
    this.#trimGhosts();
  }

  *victims(): Iterable<string> {
    const [first, second] = this.#t1Bytes > this.#p ? [this.#t1, this.#t2] : [this.#t2, this.#t1];
    // Copies: the caller removes entries while it walks.
    yield* [...first.keys()];
    yield* [...second.keys()];
  }

  #put(map: Map<string, number>, id: string, size: number, which: "t1" | "t2" | "b1" | "b2"): void {
    map.set(id, size);
    this.#add(which, size);
  }

  #forget(map: Map<string, number>, id: string, which: "t1" | "t2" | "b1" | "b2"): void {
    const size = map.get(id);
    if (size === undefined) return;
    map.delete(id);
    this.#add(which, -size);
  }

  #add(which: "t1" | "t2" | "b1" | "b2", delta: number): void {
    if (which === "t1") this.#t1Bytes += delta;
    else if (which === "t2") this.#t2Bytes += delta;
    else if (which === "b1") this.#b1Bytes += delta;
    else this.#b2Bytes += delta;
  }

  /** Ghost lists together stay within the capacity, oldest forgotten first. */
  #trimGhosts(): void {
    while (this.#b1Bytes + this.#b2Bytes > this.#capacity) {
      const [map, which] =
        this.#b1Bytes >= this.#b2Bytes ? [this.#b1, "b1" as const] : [this.#b2, "b2" as const];
      const oldest = map.keys().next();
      if (oldest.done) break;
      this.#forget(map, oldest.value, which);
    }
  }
}
