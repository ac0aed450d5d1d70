/** A piece of the staging arena. */
export interface StagingRegion {
  readonly offset: number;
  readonly length: number;
  /** The region's bytes (a view into the arena, no copy). */
  readonly bytes: Buffer;
}

const ALIGN = 64;

interface Waiter {
  sizes: readonly number[];
  resolve(regions: StagingRegion[] | null): void;
  timer: NodeJS.Timeout;
}

/**
 * The receiver's staging memory: one arena of `capacity` bytes allocated once (pages are touched on first
 * write and then reused), carved first-fit into regions. `allocate` is all-or-nothing for a batch and waits
 * a bounded time for space; `free` coalesces neighbours and wakes waiters.
 */
export class StagingBuffer {
  readonly capacity: number;
  readonly #arena: Buffer;
  /** Free extents sorted by offset, never adjacent (coalesced). */
  readonly #free: { offset: number; length: number }[];
  readonly #waiters: Waiter[] = [];
  #usedBytes = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#arena = Buffer.allocUnsafeSlow(capacity);
    this.#free = [{ offset: 0, length: capacity }];
  }

  /** Bytes handed out (aligned sizes). */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Bytes a region of `size` takes (aligned). */
  footprint(size: number): number {
    return align(size);
  }

  get waitingBatches(): number {
    return this.#waiters.length;
  }

  /** Regions for every size now, or null when they do not fit right now. */
  tryAllocate(sizes: readonly number[]): StagingRegion[] | null {
    const taken: StagingRegion[] = [];
    for (const size of sizes) {
      const region = this.#take(size);
      if (!region) {
        for (const r of taken) this.free(r, false);
        return null;
      }
      taken.push(region);
    }
    return taken;
  }

  /** Like tryAllocate, but waits up to `timeoutMs` for space; null = refused (or `signal` aborted). */
  allocate(
    sizes: readonly number[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<StagingRegion[] | null> {
    const total = sizes.reduce((a, s) => a + align(s), 0);
    if (total > this.capacity || signal?.aborted) return Promise.resolve(null);
    const now = this.#waiters.length === 0 ? this.tryAllocate(sizes) : null;
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const giveUp = () => {
        this.#removeWaiter(waiter);
        clearTimeout(waiter.timer);
        signal?.removeEventListener("abort", giveUp);
        resolve(null);
      };
      const waiter: Waiter = {
        sizes,
        resolve: (regions) => {
          signal?.removeEventListener("abort", giveUp);
          resolve(regions);
        },
        timer: setTimeout(giveUp, timeoutMs),
      };
      signal?.addEventListener("abort", giveUp, { once: true });
      this.#waiters.push(waiter);
    });
  }

  free(region: StagingRegion, wake = true): void {
    const length = align(region.length);
    if (length === 0) return;
    this.#usedBytes -= length;
    const list = this.#free;
    let i = 0;
    while (i < list.length && list[i]!.offset < region.offset) i++;
    list.splice(i, 0, { offset: region.offset, length });
    // Coalesce with the next, then with the previous extent.
    const cur = list[i]!;
    const next = list[i + 1];
    if (next && cur.offset + cur.length === next.offset) {
      cur.length += next.length;
      list.splice(i + 1, 1);
    }
    const prev = list[i - 1];
    if (prev && prev.offset + prev.length === cur.offset) {
      prev.length += cur.length;
      list.splice(i, 1);
    }
    if (wake) this.#wake();
  }

  /** Refuses every waiting batch (on close). */
  rejectWaiters(): void {
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) {
      const regions = this.tryAllocate(waiter.sizes);
      if (!regions) continue;
      this.#removeWaiter(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(regions);
    }
  }

  #removeWaiter(waiter: Waiter): void {
    const i = this.#waiters.indexOf(waiter);
    if (i >= 0) this.#waiters.splice(i, 1);
  }

  #take(size: number): StagingRegion | null {
    const length = align(size);
    if (length === 0) return { offset: 0, length: 0, bytes: this.#arena.subarray(0, 0) };
    const i = this.#free.findIndex((f) => f.length >= length);
    if (i < 0) return null;
    const extent = this.#free[i]!;
    const offset = extent.offset;
    extent.offset += length;
    extent.length -= length;
    if (extent.length === 0) this.#free.splice(i, 1);
    this.#usedBytes += length;
    return { offset, length: size, bytes: this.#arena.subarray(offset, offset + size) };
  }
}

function align(size: number): number {
  return Math.ceil(size / ALIGN) * ALIGN;
}
