import {
  Bitmap,
  isL2Error,
  type L2Adapter,
  type L2AdapterConfigBase,
  type L2AdapterListener,
  L2Error,
  type L2EvictionController,
  type L2Logger,
  type ObjectKey,
  type OperationOptions,
  Semaphore,
  type StoreResult,
} from "@x/l2-core";
import type { StorageMetrics } from "./metrics.js";

/** The `{ signal }` last argument of store / load / lookupAndLock; adapters that cannot cancel ignore it. */
export type CallOptions = OperationOptions;

/**
 * active: routed to. unhealthy: failing; skipped for stores and lookups, probed until it recovers.
 * draining: being removed; nothing new is routed, in-flight work finishes.
 */
export type AdapterState = "active" | "unhealthy" | "draining";

export interface AdapterSlotOptions {
  id: number;
  adapter: L2Adapter;
  config: L2AdapterConfigBase | undefined;
  metrics: StorageMetrics;
  logger: L2Logger;
  /** Consecutive failed calls that make the adapter unhealthy. */
  failureThreshold: number;
  /** Store batches in flight to this adapter at once. */
  storeMaxInFlight: number;
}

/**
 * One L2 adapter as the manager drives it: its stable id (= priority index for the initial list), health,
 * every call it is running (so removal can drain them), and its metric children. Calls through a slot never
 * reject: a failure is counted, logged, fed to health and returned as a miss or `ok: false`.
 */
export class AdapterSlot {
  readonly id: number;
  readonly adapter: L2Adapter;
  readonly config: L2AdapterConfigBase | undefined;
  readonly type: string;
  readonly storeGate: Semaphore;
  #eviction: L2EvictionController | undefined;
  #ownsEviction = false;
  /** Bytes of admitted stores still running (room is made for them too). */
  #pendingBytes = 0;
  /** Removes the manager's listeners from the adapter. */
  readonly disposers: Array<() => void> = [];
  #state: AdapterState = "active";
  /** Per operation: a store that keeps failing is a broken adapter even while its lookups succeed. */
  readonly #consecutive = new Map<string, number>();
  #lastError: string | undefined;
  #since = Date.now();
  readonly #inflight = new Set<Promise<unknown>>();
  /** Prefetch requests holding locks in this adapter. */
  #refs = 0;
  #idleWaiters: Array<() => void> = [];
  readonly #metrics: StorageMetrics;
  readonly #labels: { adapter: string; type: string };
  readonly #logger: L2Logger;
  readonly #failureThreshold: number;

  constructor(options: AdapterSlotOptions) {
    this.id = options.id;
    this.adapter = options.adapter;
    this.config = options.config;
    this.type = options.config?.type ?? options.adapter.type;
    this.storeGate = new Semaphore(options.storeMaxInFlight);
    this.#metrics = options.metrics;
    this.#labels = { adapter: String(options.id), type: this.type };
    this.#logger = options.logger;
    this.#failureThreshold = options.failureThreshold;
  }

  get evictionController(): L2EvictionController | undefined {
    return this.#eviction;
  }

  /** True when the manager attached the controller (and must make room before stores and close it). */
  get ownsEviction(): boolean {
    return this.#ownsEviction;
  }

  attachEviction(controller: L2EvictionController, owned: boolean): void {
    this.#eviction = controller;
    this.#ownsEviction = owned;
  }

  get labels(): { adapter: string; type: string } {
    return this.#labels;
  }

  get state(): AdapterState {
    return this.#state;
  }

  /** New stores and lookups may go here. */
  get routable(): boolean {
    return this.#state === "active" && !this.adapter.closed;
  }

  /** The longest current run of failures of one operation. */
  get consecutiveFailures(): number {
    return Math.max(0, ...this.#consecutive.values());
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Calls and prefetch references still open. */
  get busy(): number {
    return this.#inflight.size + this.#refs;
  }

  startDraining(): void {
    this.#state = "draining";
  }

  /** An unhealthy adapter passed its probe. */
  markRecovered(): void {
    if (this.#state !== "unhealthy") return;
    this.#state = "active";
    this.#consecutive.clear();
    this.#since = Date.now();
    this.#logger.info("L2 adapter recovered; routing to it again", { adapter: this.id, type: this.type });
  }

  markUnhealthy(reason: string): void {
    if (this.#state !== "active") return;
    this.#state = "unhealthy";
    this.#lastError = reason;
    this.#since = Date.now();
    this.#logger.warn("L2 adapter unhealthy; skipping it for stores and lookups until a probe passes", {
      adapter: this.id,
      type: this.type,
      reason,
    });
  }

  /** Counts a call that was not routed here because the adapter was unhealthy. */
  skipped(op: "store" | "lookup"): void {
    this.#metrics.l2SkippedUnhealthy.inc({ ...this.#labels, op });
  }

  readonly #userListeners = new Map<L2AdapterListener, () => void>();

  addListener(listener: L2AdapterListener): void {
    if (!this.#userListeners.has(listener))
      this.#userListeners.set(listener, this.adapter.addListener(listener));
  }

  removeListener(listener: L2AdapterListener): void {
    this.#userListeners.get(listener)?.();
    this.#userListeners.delete(listener);
  }

  /** Removes every listener the manager registered on this adapter. */
  dispose(): void {
    for (const remove of this.#userListeners.values()) remove();
    this.#userListeners.clear();
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  quotaRefused(): void {
    this.#metrics.l2QuotaRefused.inc(this.#labels);
  }

  acquire(): void {
    this.#refs++;
  }

  release(): void {
    this.#refs--;
    this.#maybeIdle();
  }

  /** Resolves once no call and no prefetch reference is open. */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options?: CallOptions,
  ): Promise<StoreResult> {
    const started = performance.now();
    const result = await this.#track(async () => {
      try {
        // What core's wrapper does for the controllers it attaches: room first (for this batch and the ones
        // already admitted and still running), so stores past capacity succeed.
        if (!this.#ownsEviction || !this.#eviction) return await this.adapter.store(keys, objects, options);
        const bytes = objects.reduce((n, o) => n + o.byteLength, 0);
        await this.#eviction.makeRoom(bytes + this.#pendingBytes).catch(() => undefined);
        this.#pendingBytes += bytes;
        try {
          return await this.adapter.store(keys, objects, options);
        } finally {
          this.#pendingBytes -= bytes;
        }
      } catch (error) {
        return { ok: false, bytesWritten: 0, error: asL2Error(error, "store") };
      }
    });
    this.#metrics.l2StoreSeconds.observe(this.#labels, (performance.now() - started) / 1000);
    if (result.bytesWritten > 0) this.#metrics.l2BytesStored.inc(this.#labels, result.bytesWritten);
    if (result.ok) this.recordSuccess("store");
    else if (this.#full(objects)) {
      // A full adapter is not a broken one: its lookups and loads still serve; only the store is counted.
      this.#metrics.l2Failures.inc({ ...this.#labels, op: "store_full" });
      this.#logger.debug("L2 adapter full; store refused", {
        adapter: this.id,
        error: result.error?.message,
      });
    } else this.recordFailure("store", result.error?.message ?? "store task failed");
    return result;
  }

  /** All-miss bitmap (and a failure) when the call fails. */
  async lookupAndLock(keys: readonly ObjectKey[], options?: CallOptions): Promise<Bitmap> {
    return this.#track(async () => {
      try {
        const found = await this.adapter.lookupAndLock(keys, options);
        this.recordSuccess("lookup");
        return found;
      } catch (error) {
        this.recordFailure("lookup", String((error as Error)?.message ?? error));
        return new Bitmap(keys.length);
      }
    });
  }

  /** All-miss bitmap when the call fails; the caller judges misses against its lookup. */
  async load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options?: CallOptions,
  ): Promise<Bitmap> {
    const started = performance.now();
    const loaded = await this.#track(async () => {
      try {
        return await this.adapter.load(keys, targets, options);
      } catch (error) {
        // Every key then reads as a miss, which the caller counts as this adapter's failure.
        this.#logger.warn("L2 adapter load threw", {
          adapter: this.id,
          error: String((error as Error)?.message ?? error),
        });
        return new Bitmap(keys.length);
      }
    });
    this.#metrics.l2LoadSeconds.observe(this.#labels, (performance.now() - started) / 1000);
    let bytes = 0;
    for (const i of loaded.indices()) bytes += targets[i]!.byteLength;
    if (bytes > 0) this.#metrics.l2BytesLoaded.inc(this.#labels, bytes);
    return loaded;
  }

  unlock(keys: readonly ObjectKey[]): void {
    if (keys.length === 0) return;
    try {
      this.adapter.unlock(keys);
    } catch (error) {
      // The contract says unlock never throws; one that does must not break the caller's cleanup.
      this.#logger.warn("L2 adapter unlock threw", { adapter: this.id, error: String(error) });
    }
  }

  /** The adapter has a capacity and these objects do not fit in what is left of it. */
  #full(objects: readonly Uint8Array[]): boolean {
    try {
      const usage = this.adapter.usage();
      const incoming = objects.reduce((n, o) => n + o.byteLength, 0);
      return usage.totalCapacityBytes > 0 && usage.totalBytesUsed + incoming > usage.totalCapacityBytes;
    } catch {
      return false;
    }
  }

  recordSuccess(op: string): void {
    this.#consecutive.delete(op);
  }

  recordFailure(op: string, message: string): void {
    const count = (this.#consecutive.get(op) ?? 0) + 1;
    this.#consecutive.set(op, count);
    this.#lastError = `${op}: ${message}`;
    this.#metrics.l2Failures.inc({ ...this.#labels, op });
    this.#logger.warn("L2 adapter call failed", { adapter: this.id, type: this.type, op, error: message });
    if (count >= this.#failureThreshold) {
      this.markUnhealthy(`${count} consecutive ${op} failures, last: ${message}`);
    }
  }

  status(): Record<string, unknown> {
    let adapterStatus: Record<string, unknown>;
    try {
      adapterStatus = { ...this.adapter.status() };
    } catch (error) {
      adapterStatus = { healthy: false, type: this.type, error: String(error) };
    }
    return {
      id: this.id,
      type: this.type,
      state: this.#state,
      since: new Date(this.#since).toISOString(),
      consecutiveFailures: Object.fromEntries(this.#consecutive),
      lastError: this.#lastError,
      inFlight: this.#inflight.size,
      prefetchRefs: this.#refs,
      eviction: this.#eviction?.status(),
      adapter: adapterStatus,
    };
  }

  #track<T>(fn: () => Promise<T>): Promise<T> {
    const promise = fn();
    this.#inflight.add(promise);
    const done = () => {
      this.#inflight.delete(promise);
      this.#maybeIdle();
    };
    promise.then(done, done);
    return promise;
  }

  #maybeIdle(): void {
    if (this.busy !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

function asL2Error(error: unknown, op: string): L2Error {
  if (isL2Error(error)) return error;
  return new L2Error("IO_FAILED", `${op} failed: ${String((error as Error)?.message ?? error)}`, {
    cause: error,
  });
}
