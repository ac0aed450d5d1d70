import type { L2Logger, ObjectKey } from "@x/l2-core";
import type { AdapterSlot } from "./adapter-slot.js";
import { pushTo } from "./group.js";
import type { L1Store } from "./l1/l1-store.js";
import type { StorageMetrics } from "./metrics.js";

export interface PrefetchControllerOptions {
  l1: L1Store;
  /** Attached, non-draining adapters in priority order. */
  slots: () => readonly AdapterSlot[];
  maxInFlight: number;
  /** Deadline per request, from prefetch() to its answer; undefined = none. */
  loadTimeoutMs: number | undefined;
  /** Size of the object stored under a key (a load needs a target of exactly that size). */
  sizeOf: (key: ObjectKey) => number | undefined;
  metrics: StorageMetrics;
  logger: L2Logger;
  /** Keys loaded from `slot` into L1 (tiered promotion). */
  onLoaded?: ((slot: AdapterSlot, keys: readonly ObjectKey[]) => void) | undefined;
}

interface PrefetchRequest {
  readonly keys: readonly ObjectKey[];
  readonly started: number;
  readonly abort: AbortController;
  /** keys[i] is read-locked in L1 by this request. */
  readonly held: boolean[];
  resolve: (count: number) => void;
  published: boolean;
  timer: NodeJS.Timeout | undefined;
  queued: boolean;
  /** Answered at its deadline, I/O still draining. */
  draining: boolean;
}

/** One L2 lock this request holds: key position `pos` (in the miss list) locked in `slot`. */
type LockSets = AdapterSlot[][];

/**
 * Brings keys from L2 into L1, as LMCache's PrefetchController: L1 read-lock pass; lookup of the misses on
 * every healthy adapter at once; a plan that takes each key from the lowest-index adapter holding it, trimmed
 * to the leading run that some tier can serve; phase-1 unlock of locks outside the plan; temporary L1
 * buffers (they never trigger a store); loads per adapter; phase-2 unlock per adapter as its load settles.
 *
 * Beyond LMCache: a key whose load misses although its lookup reported it present is a failure of that
 * adapter, and the key is loaded from the next adapter that reported it (its lock is kept until then).
 * With a deadline the request answers with the prefix usable by then and aborts its calls through their
 * AbortSignal; late I/O still drains, and a staging buffer is released only after the adapter writing it
 * has settled. Requests beyond `maxInFlight` wait in a FIFO queue; a draining request keeps its slot.
 */
export class PrefetchController {
  readonly #o: PrefetchControllerOptions;
  readonly #queue: PrefetchRequest[] = [];
  readonly #running = new Map<PrefetchRequest, Promise<void>>();
  #inFlight = 0;
  #closed = false;
  #deadlineHits = 0;
  #draining = 0;

  constructor(options: PrefetchControllerOptions) {
    this.#o = options;
  }

  /** Resolves to the number of leading keys held in L1 when the request finished (or hit its deadline). */
  prefetch(keys: readonly ObjectKey[]): Promise<number> {
    this.#o.metrics.prefetchRequests.inc();
    return new Promise<number>((resolve) => {
      const request: PrefetchRequest = {
        keys,
        started: performance.now(),
        abort: new AbortController(),
        held: new Array<boolean>(keys.length).fill(false),
        resolve,
        published: false,
        timer: undefined,
        queued: false,
        draining: false,
      };
      if (this.#closed) {
        this.#publish(request, this.#l1Prefix(keys));
        return;
      }
      const timeout = this.#o.loadTimeoutMs;
      if (timeout !== undefined) request.timer = setTimeout(() => this.#deadline(request), timeout);
      if (this.#inFlight < this.#o.maxInFlight) this.#start(request);
      else {
        request.queued = true;
        this.#queue.push(request);
      }
    });
  }

  status(): Record<string, unknown> {
    return {
      maxInFlight: this.#o.maxInFlight,
      inFlight: this.#inFlight,
      queued: this.#queue.length,
      draining: this.#draining,
      loadTimeoutMs: this.#o.loadTimeoutMs ?? null,
      deadlineHits: this.#deadlineHits,
    };
  }

  /** Answers queued requests from L1, aborts running ones, and waits until their I/O has drained. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const request of this.#queue.splice(0)) this.#publish(request, this.#l1Prefix(request.keys));
    for (const request of this.#running.keys()) request.abort.abort(new Error("storage manager closing"));
    await Promise.allSettled([...this.#running.values()]);
  }

  #start(request: PrefetchRequest): void {
    request.queued = false;
    this.#inFlight++;
    const run = this.#run(request)
      .catch((error: unknown) => {
        this.#o.logger.error("prefetch request failed", { error: String(error) });
      })
      .finally(() => {
        const count = leadingTrue(request.held);
        this.#publish(request, count);
        this.#releaseL1(request);
        if (request.draining) this.#draining--;
        this.#inFlight--;
        this.#running.delete(request);
        const next = this.#queue.shift();
        if (next && !this.#closed) this.#start(next);
      });
    this.#running.set(request, run);
  }

  #deadline(request: PrefetchRequest): void {
    request.timer = undefined;
    if (request.published) return;
    this.#deadlineHits++;
    this.#o.metrics.prefetchDeadlineHits.inc();
    if (request.queued) {
      // Never admitted: answer from L1 alone and drop the request; L2 is recomputed by the caller.
      const at = this.#queue.indexOf(request);
      if (at >= 0) this.#queue.splice(at, 1);
      this.#publish(request, this.#l1Prefix(request.keys));
      return;
    }
    this.#publish(request, leadingTrue(request.held));
    request.draining = true;
    this.#draining++;
    request.abort.abort(new Error("prefetch load deadline"));
  }

  #publish(request: PrefetchRequest, count: number): void {
    if (request.published) return;
    request.published = true;
    if (request.timer) clearTimeout(request.timer);
    request.timer = undefined;
    this.#o.metrics.prefetchSeconds.observe((performance.now() - request.started) / 1000);
    request.resolve(count);
  }

  #l1Prefix(keys: readonly ObjectKey[]): number {
    let n = 0;
    while (n < keys.length && this.#o.l1.has(keys[n]!)) n++;
    return n;
  }

  /** Final step of every request: the keys it read-locked are released; the leading ones are touched. */
  #releaseL1(request: PrefetchRequest): void {
    const { l1 } = this.#o;
    const lead = leadingTrue(request.held);
    request.keys.forEach((key, i) => {
      if (!request.held[i]) return;
      if (i < lead) l1.touch(key);
      l1.releaseRead(key);
      request.held[i] = false;
    });
  }

  async #run(request: PrefetchRequest): Promise<void> {
    const { l1, metrics } = this.#o;
    const { keys, held } = request;
    const signal = request.abort.signal;

    // 1. L1 lock pass. A key another request is writing right now is waited for, not loaded twice.
    let l1Hits = 0;
    const writing: Promise<boolean>[] = [];
    const writingAt: number[] = [];
    keys.forEach((key, i) => {
      if (l1.tryReadLock(key)) {
        held[i] = true;
        l1Hits++;
        return;
      }
      const pending = l1.pendingWrite(key);
      if (pending) {
        writing.push(pending);
        writingAt.push(i);
      }
    });
    if (writing.length > 0) {
      await Promise.all(writing);
      // Served from L1 once the other request's load landed: an L1 hit for this request, no L2 I/O of its own.
      for (const i of writingAt) {
        if (held[i] || !l1.tryReadLock(keys[i]!)) continue;
        held[i] = true;
        l1Hits++;
      }
    }
    if (l1Hits > 0) metrics.prefetchL1Hits.inc(l1Hits);
    const misses: number[] = [];
    keys.forEach((_, i) => {
      if (!held[i]) misses.push(i);
    });
    if (misses.length === 0 || signal.aborted) return;

    // 2. Lookup on every healthy adapter at once.
    const slots: AdapterSlot[] = [];
    for (const slot of this.#o.slots()) {
      if (slot.routable) slots.push(slot);
      else if (slot.state === "unhealthy") slot.skipped("lookup");
    }
    if (slots.length === 0) return;
    for (const slot of slots) slot.acquire();
    try {
      await this.#fromL2(request, slots, misses);
    } finally {
      for (const slot of slots) slot.release();
    }
  }

  async #fromL2(request: PrefetchRequest, slots: AdapterSlot[], misses: number[]): Promise<void> {
    const { l1, metrics, sizeOf } = this.#o;
    const { keys, held } = request;
    const signal = request.abort.signal;
    const missKeys = misses.map((i) => keys[i]!);
    const found = await Promise.all(slots.map((slot) => slot.lookupAndLock(missKeys, { signal })));
    // locks[pos]: adapters holding a lock on missKeys[pos] for this request, in priority order.
    const locks: LockSets = missKeys.map(() => []);
    found.forEach((bitmap, s) => {
      const slot = slots[s]!;
      let hits = 0;
      for (let pos = 0; pos < missKeys.length; pos++) {
        if (bitmap.size > pos && bitmap.test(pos)) {
          locks[pos]!.push(slot);
          hits++;
        }
      }
      if (missKeys.length - hits > 0) metrics.l2Misses.inc(slot.labels, missKeys.length - hits);
    });
    const unlock = (pos: number, only?: AdapterSlot) => {
      const list = locks[pos]!;
      for (const slot of only ? [only] : [...list]) {
        const at = list.indexOf(slot);
        if (at < 0) continue;
        list.splice(at, 1);
        slot.unlock([missKeys[pos]!]);
      }
    };
    try {
      // 3. Plan and trim: the prefix ends at the first key neither L1 nor any adapter can serve.
      let cut = keys.length;
      for (let pos = 0; pos < misses.length; pos++) {
        if (locks[pos]!.length === 0) {
          cut = misses[pos]!;
          break;
        }
      }
      // 4. Reserve temporary L1 buffers for the planned keys, in order; the prefix shrinks where one fails.
      const buffers: (Uint8Array | undefined)[] = new Array(misses.length);
      const otherWriters: Array<{ i: number; written: Promise<boolean> }> = [];
      for (let pos = 0; pos < misses.length; pos++) {
        const i = misses[pos]!;
        if (i >= cut) break;
        const size = sizeOf(missKeys[pos]!);
        if (size === undefined) {
          cut = i;
          break;
        }
        const r = l1.reserveWrite(missKeys[pos]!, size, true);
        if (r.status === "reserved") buffers[pos] = r.buffer;
        else if (r.status === "present") {
          if (l1.tryReadLock(keys[i]!)) held[i] = true;
          unlock(pos);
        } else if (r.status === "writing") {
          otherWriters.push({ i, written: r.written });
          unlock(pos);
        } else {
          cut = i;
          break;
        }
      }
      // Phase-1 unlock: every lock outside the plan; L1 locks past the prefix are not needed either.
      for (let pos = 0; pos < misses.length; pos++) if (misses[pos]! >= cut) unlock(pos);
      for (let i = cut + 1; i < keys.length; i++) {
        if (held[i]) {
          l1.releaseRead(keys[i]!);
          held[i] = false;
        }
      }
      const planned: number[] = [];
      for (let pos = 0; pos < misses.length; pos++) if (buffers[pos]) planned.push(pos);

      // 5. Load, per adapter; a key the adapter failed to deliver moves to the next adapter holding it.
      const loadFrom = async (slot: AdapterSlot, positions: number[]): Promise<void> => {
        const loaded = await slot.load(
          positions.map((p) => missKeys[p]!),
          positions.map((p) => buffers[p]!),
          { signal },
        );
        const ok: ObjectKey[] = [];
        const retry = new Map<AdapterSlot, number[]>();
        let failedHere = 0;
        positions.forEach((pos, n) => {
          const key = missKeys[pos]!;
          if (loaded.size > n && loaded.test(n)) {
            l1.finishWrite(key, true);
            held[misses[pos]!] = true;
            ok.push(key);
            unlock(pos);
            return;
          }
          unlock(pos, slot);
          if (signal.aborted) {
            l1.abortWrite(key);
            return;
          }
          failedHere++;
          const next = locks[pos]![0];
          if (!next) {
            l1.abortWrite(key);
            return;
          }
          pushTo(retry, next, pos);
        });
        if (ok.length > 0) {
          metrics.l2Hits.inc(slot.labels, ok.length);
          this.#o.onLoaded?.(slot, ok);
        }
        if (failedHere > 0) {
          slot.recordFailure("load", `${failedHere} key(s) its lookup reported present did not load`);
        } else if (positions.length > 0) slot.recordSuccess("load");
        await Promise.all([...retry].map(([next, list]) => loadFrom(next, list)));
      };
      const first = new Map<AdapterSlot, number[]>();
      for (const pos of planned) {
        const slot = locks[pos]![0]!;
        pushTo(first, slot, pos);
      }
      try {
        await Promise.all([...first].map(([slot, list]) => loadFrom(slot, list)));
      } finally {
        // A throw above must not leave a reservation behind (a settled load no longer writes it).
        for (const pos of planned) l1.abortWrite(missKeys[pos]!);
      }
      // Keys another request was loading: theirs once they commit.
      if (otherWriters.length > 0) {
        await Promise.all(otherWriters.map((w) => w.written));
        for (const { i } of otherWriters) if (!held[i] && l1.tryReadLock(keys[i]!)) held[i] = true;
      }
    } finally {
      for (let pos = 0; pos < misses.length; pos++) unlock(pos);
    }
  }
}

function leadingTrue(bits: readonly boolean[]): number {
  let n = 0;
  while (n < bits.length && bits[n]) n++;
  return n;
}
