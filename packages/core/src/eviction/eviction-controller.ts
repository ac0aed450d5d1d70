import type { L2Adapter, L2AdapterListener } from "../adapter.js";
import type { EvictionConfig, EvictionPolicyName } from "../config/eviction.js";
import { L2Error } from "../errors.js";
import { createConsoleLogger, type L2Logger } from "../logger.js";
import type { ObjectKey } from "../object-key.js";
import { LruTracker, type TrackedKey } from "./lru-tracker.js";
import type { QuotaManager } from "./quota-manager.js";

export interface L2EvictionControllerOptions {
  /** The adapter config's parsed `eviction` block (`config.eviction`); null = the controller never evicts. */
  eviction: EvictionConfig | null;
  /** Per-salt byte limits; with policy `IsolatedLRU` they switch the controller to per-salt mode. */
  quotas?: QuotaManager | undefined;
  /** Period of automatic rounds in ms (default 1000); 0 = only `runOnce()`. The timer never keeps Node alive. */
  intervalMs?: number | undefined;
  /** Keys per `delete()` call (default 256). */
  deleteBatchSize?: number | undefined;
  logger?: L2Logger | undefined;
}

export interface EvictionRoundResult {
  /** What the round did: nothing to do, global LRU, or per-salt quotas. */
  readonly mode: "idle" | "global" | "per-salt";
  readonly evictedKeys: number;
  readonly evictedBytes: number;
  /** Candidates the adapter did not delete (locked, or failed): retried in a later round. */
  readonly skippedKeys: number;
}

const IDLE: EvictionRoundResult = Object.freeze({
  mode: "idle",
  evictedKeys: 0,
  evictedBytes: 0,
  skippedKeys: 0,
});

/**
 * LMCache's L2EvictionController for one adapter. It keeps LRU order from the adapter's stored / accessed /
 * deleted events and evicts through `adapter.delete()`, so keys the adapter has locked are never removed
 * (delete skips them; they are retried next round).
 *
 * - `LRU`: when `usageFraction >= triggerWatermark`, deletes the oldest keys until `evictionRatio` of the
 *   tracked bytes are gone.
 * - `IsolatedLRU` with a {@link QuotaManager}: per cache salt, when the salt's bytes reach
 *   `triggerWatermark × quota` its oldest keys go until `evictionRatio` of its bytes are gone; salts without
 *   a quota are wiped. Without a quota manager it behaves like `LRU`.
 * - `noop`: tracks nothing, evicts nothing.
 *
 * Runs every `intervalMs` on an unref'd timer and on demand with `runOnce()`; `close()` stops it.
 */
export class L2EvictionController {
  readonly adapter: L2Adapter;
  readonly policy: EvictionPolicyName | null;
  readonly triggerWatermark: number;
  readonly evictionRatio: number;
  readonly quotas: QuotaManager | undefined;
  readonly #tracker = new LruTracker();
  readonly #logger: L2Logger;
  readonly #batchSize: number;
  readonly #removeListener: () => void;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<EvictionRoundResult> = Promise.resolve(IDLE);
  #running = false;
  #closed = false;
  #seeded = false;
  /** Keys of the delete call in flight, to count what the adapter really removed. */
  #pending: Set<string> | undefined;
  #pendingDeleted = { keys: 0, bytes: 0 };
  #rounds = 0;
  #evictedKeys = 0;
  #evictedBytes = 0;
  #lastError: string | undefined;

  constructor(adapter: L2Adapter, options: L2EvictionControllerOptions) {
    if (typeof adapter?.addListener !== "function" || typeof adapter.delete !== "function") {
      throw new L2Error("ARGUMENT_INVALID", "adapter must be an L2Adapter (addListener, delete, usage)", {
        field: "adapter",
      });
    }
    const intervalMs = options.intervalMs ?? 1000;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new L2Error("ARGUMENT_INVALID", `intervalMs must be a number >= 0, got ${String(intervalMs)}`, {
        field: "intervalMs",
      });
    }
    this.adapter = adapter;
    this.policy = options.eviction?.policy ?? null;
    this.triggerWatermark = options.eviction?.triggerWatermark ?? 1;
    this.evictionRatio = options.eviction?.evictionRatio ?? 0;
    this.quotas = options.quotas;
    this.#logger = options.logger ?? createConsoleLogger("eviction");
    this.#batchSize = Math.max(1, options.deleteBatchSize ?? 256);
    this.#removeListener = adapter.addListener(this.#listener());
    if (this.#active) {
      this.#seedFromRecovered();
      if (intervalMs > 0) {
        this.#timer = setInterval(() => {
          if (this.#running) return;
          this.runOnce().catch((error: unknown) => {
            this.#lastError = String(error);
          });
        }, intervalMs);
        this.#timer.unref();
      }
    }
  }

  get #active(): boolean {
    return this.policy !== null && this.policy !== "noop";
  }

  /** Per-salt mode: IsolatedLRU with quotas. */
  get isolated(): boolean {
    return this.policy === "IsolatedLRU" && this.quotas !== undefined;
  }

  /** Number of keys in the LRU order. */
  get trackedKeys(): number {
    return this.#tracker.size;
  }

  /** The tracked keys, oldest first (for tests and status tools). */
  lruOrder(cacheSalt?: string): ObjectKey[] {
    return [...this.#tracker.oldest(cacheSalt)].map((e) => e.key);
  }

  /** One eviction round now (rounds never overlap); resolves with what it removed. */
  runOnce(): Promise<EvictionRoundResult> {
    const next = this.#round.then(
      () => this.#runRound(),
      () => this.#runRound(),
    );
    this.#round = next.catch(() => IDLE);
    return next;
  }

  /**
   * Admission: before a store of `incomingBytes` new bytes, deletes the oldest unlocked keys until they fit
   * in the capacity (at least; the periodic rounds keep usage under the watermark). Resolves with what it
   * removed; resolves at once when the capacity is unknown, the policy is noop, or the bytes already fit.
   * Concurrent calls are serialized with the rounds.
   */
  makeRoom(incomingBytes: number): Promise<EvictionRoundResult> {
    const next = this.#round.then(
      () => this.#makeRoomNow(incomingBytes),
      () => this.#makeRoomNow(incomingBytes),
    );
    this.#round = next.catch(() => IDLE);
    return next;
  }

  async #makeRoomNow(incomingBytes: number): Promise<EvictionRoundResult> {
    if (this.#closed || !this.#active || this.adapter.closed) return IDLE;
    const usage = this.adapter.usage();
    const capacity = usage.totalCapacityBytes;
    const need = usage.totalBytesUsed + incomingBytes - capacity;
    if (!(capacity > 0) || need <= 0) return IDLE;
    if (!this.#seeded) await this.#seedFromListing().catch(() => {});
    const result = await this.#evictOldest([...this.#tracker.oldest()], need);
    this.#evictedKeys += result.evictedKeys;
    this.#evictedBytes += result.evictedBytes;
    if (result.evictedKeys > 0) this.#logger.debug("evicted L2 keys to admit a store", { ...result });
    return { mode: "global", ...result };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#removeListener();
    await this.#round.catch(() => {});
  }

  status(): Record<string, unknown> {
    const usage = this.adapter.usage();
    return {
      policy: this.policy ?? "none",
      mode: this.isolated ? "per-salt" : "global",
      triggerWatermark: this.triggerWatermark,
      evictionRatio: this.evictionRatio,
      usageFraction: usage.usageFraction,
      totalBytesUsed: usage.totalBytesUsed,
      totalCapacityBytes: usage.totalCapacityBytes,
      trackedKeys: this.#tracker.size,
      saltBuckets: this.#tracker.saltCount,
      rounds: this.#rounds,
      evictedKeys: this.#evictedKeys,
      evictedBytes: this.#evictedBytes,
      lastError: this.#lastError,
      closed: this.#closed,
    };
  }

  // ---- internals -----------------------------------------------------------------------------------

  #listener(): L2AdapterListener {
    return {
      onKeysStored: (keys, sizes) => {
        if (!this.#active) return;
        for (const [i, key] of keys.entries()) this.#tracker.stored(key, sizes[i] ?? 0);
      },
      onKeysAccessed: (keys) => {
        if (!this.#active) return;
        for (const key of keys) this.#tracker.accessed(key);
      },
      onKeysDeleted: (keys, sizes) => {
        keys.forEach((key, i) => {
          this.#tracker.deleted(key);
          if (this.#pending?.has(key.id)) {
            this.#pending.delete(key.id);
            this.#pendingDeleted.keys++;
            this.#pendingDeleted.bytes += sizes[i] ?? 0;
          }
        });
      },
    };
  }

  /** The contract's `recoveredEntries()` (every key the adapter knows, oldest first), when it has one. */
  #seedFromRecovered(): void {
    if (typeof this.adapter.recoveredEntries !== "function") return;
    try {
      this.#tracker.seedOldest(this.adapter.recoveredEntries());
      this.#seeded = true;
    } catch (error) {
      this.#logger.warn("could not seed LRU order from recovered keys", { error: String(error) });
    }
  }

  /** Adapters without the recovery hook: keys stored before the controller existed, via listKeys. */
  async #seedFromListing(): Promise<void> {
    this.#seeded = true;
    if (!this.adapter.capabilities?.listKeys) return;
    const entries: TrackedKey[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.adapter.listKeys({ pageSize: 1000, cursor });
      for (const e of page.entries) entries.push({ key: e.key, sizeBytes: e.sizeBytes });
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    this.#tracker.seedOldest(entries);
  }

  async #runRound(): Promise<EvictionRoundResult> {
    if (this.#closed || !this.#active || this.adapter.closed) {
      if (this.adapter.closed && this.#timer) clearInterval(this.#timer);
      return IDLE;
    }
    this.#running = true;
    try {
      if (!this.#seeded) {
        await this.#seedFromListing().catch((error: unknown) => {
          this.#logger.warn("could not seed LRU order from listKeys", { error: String(error) });
        });
      }
      const result = this.isolated ? await this.#perSaltRound() : await this.#globalRound();
      this.#rounds++;
      this.#evictedKeys += result.evictedKeys;
      this.#evictedBytes += result.evictedBytes;
      if (result.evictedKeys > 0) this.#logger.info("evicted L2 keys", { ...result });
      return result;
    } catch (error) {
      this.#lastError = String(error);
      throw error;
    } finally {
      this.#running = false;
    }
  }

  async #globalRound(): Promise<EvictionRoundResult> {
    const usage = this.adapter.usage();
    if (usage.usageFraction < 0 || usage.usageFraction < this.triggerWatermark) return IDLE;
    const target = Math.ceil(this.evictionRatio * this.#tracker.trackedBytes());
    return { mode: "global", ...(await this.#evictOldest([...this.#tracker.oldest()], target)) };
  }

  async #perSaltRound(): Promise<EvictionRoundResult> {
    const quotas = this.quotas!;
    const usage = this.adapter.usage();
    const totals = { evictedKeys: 0, evictedBytes: 0, skippedKeys: 0 };
    let acted = false;
    for (const [salt, bytes] of Object.entries(usage.bytesByCacheSalt)) {
      if (!(bytes > 0)) continue;
      const limit = quotas.limitFor(salt);
      let target: number;
      if (limit === 0) target = Number.POSITIVE_INFINITY;
      else if (bytes >= this.triggerWatermark * limit)
        target = Math.ceil(this.evictionRatio * this.#tracker.trackedBytes(salt));
      else continue;
      acted = true;
      const r = await this.#evictOldest([...this.#tracker.oldest(salt)], target);
      totals.evictedKeys += r.evictedKeys;
      totals.evictedBytes += r.evictedBytes;
      totals.skippedKeys += r.skippedKeys;
    }
    return acted ? { mode: "per-salt", ...totals } : IDLE;
  }

  /** Deletes candidates oldest first until `target` bytes are gone or candidates run out. */
  async #evictOldest(
    candidates: TrackedKey[],
    target: number,
  ): Promise<{ evictedKeys: number; evictedBytes: number; skippedKeys: number }> {
    let evictedKeys = 0;
    let evictedBytes = 0;
    let skippedKeys = 0;
    let next = 0;
    while (evictedBytes < target && next < candidates.length && !this.#closed && !this.adapter.closed) {
      const batch: ObjectKey[] = [];
      let planned = evictedBytes;
      while (next < candidates.length && batch.length < this.#batchSize && planned < target) {
        const c = candidates[next++]!;
        if (!this.#tracker.has(c.key)) continue;
        batch.push(c.key);
        planned += c.sizeBytes;
      }
      if (batch.length === 0) break;
      this.#pending = new Set(batch.map((k) => k.id));
      this.#pendingDeleted = { keys: 0, bytes: 0 };
      try {
        await this.adapter.delete(batch);
      } finally {
        skippedKeys += this.#pending.size;
        evictedKeys += this.#pendingDeleted.keys;
        evictedBytes += this.#pendingDeleted.bytes;
        this.#pending = undefined;
      }
    }
    return { evictedKeys, evictedBytes, skippedKeys };
  }
}
