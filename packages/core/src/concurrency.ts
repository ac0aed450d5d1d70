import { L2Error } from "./errors.js";

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in input order.
 * Rejects with the first error, but only after every started call has settled, so no call is still
 * touching a caller's buffer when the promise settles.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  // NaN or undefined would start no worker at all and resolve with holes instead of results.
  if (!(limit >= 1)) {
    throw new L2Error("ARGUMENT_INVALID", `mapWithConcurrency: limit must be >= 1, got ${String(limit)}`, {
      field: "limit",
    });
  }
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (failure) throw failure.error;
  return results;
}

/** A counting semaphore for bounding concurrent work across calls. */
export class Semaphore {
  #available: number;
  readonly #waiters: Array<() => void> = [];

  constructor(permits: number) {
    // Zero or NaN permits would make every acquire() wait forever.
    if (!Number.isSafeInteger(permits) || permits < 1) {
      throw new L2Error(
        "ARGUMENT_INVALID",
        `Semaphore: permits must be an integer >= 1, got ${String(permits)}`,
        {
          field: "permits",
        },
      );
    }
    this.#available = permits;
  }

  async acquire(): Promise<() => void> {
    if (this.#available > 0) {
      this.#available--;
    } else {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const waiter = this.#waiters.shift();
      if (waiter) waiter();
      else this.#available++;
    };
  }

  async run<R>(fn: () => Promise<R>): Promise<R> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * Resolves after `ms` milliseconds, or at once when `signal` aborts (never rejects): for simulated
 * transfer times and back-off waits that `close()` must cut short.
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(ms >= 1) || signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
