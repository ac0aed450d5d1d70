import type { AdapterStatus, L2Adapter, OperationOptions, StoreResult } from "../adapter.js";
import type { SharedAdapterConfig } from "../config/config-base.js";
import { L2EvictionController } from "../eviction/eviction-controller.js";
import type { L2Logger } from "../logger.js";
import type { ObjectKey } from "../object-key.js";
import { DelegatingL2Adapter } from "./delegating-adapter.js";

type Parts = readonly (readonly Uint8Array[])[];

/**
 * What `createL2Adapter` returns when a config's shared keys ask for more than the adapter itself does:
 * `eviction` attaches an {@link L2EvictionController} (rounds at the watermark, plus room made before a
 * store that would not fit), `persist_enabled: false` deletes at `close()` the keys this adapter stored.
 */
export class ManagedL2Adapter extends DelegatingL2Adapter {
  readonly evictionController: L2EvictionController | undefined;
  readonly persistEnabled: boolean;
  readonly #storedKeys = new Map<string, ObjectKey>();
  readonly #removeListener: (() => void) | undefined;
  readonly #logger: L2Logger;
  #closing: Promise<void> | undefined;
  /** Bytes of stores admitted through this wrapper and not settled: room is made for them too. */
  #pendingBytes = 0;

  constructor(inner: L2Adapter, shared: SharedAdapterConfig, logger: L2Logger) {
    super(inner);
    this.#logger = logger;
    this.persistEnabled = shared.persistEnabled;
    if (shared.eviction && shared.eviction.policy !== "noop") {
      this.evictionController = new L2EvictionController(inner, { eviction: shared.eviction, logger });
      if (!(inner.usage().totalCapacityBytes > 0)) {
        logger.warn("eviction is configured but the adapter reports no capacity, so it will never evict", {
          adapterType: inner.type,
          hint: "set the adapter's capacity key (for example max_size_gb)",
        });
      }
    }
    if (!this.persistEnabled) {
      this.#removeListener = inner.addListener({
        // Only what this adapter wrote: keys found present were written by someone else.
        onKeysStored: (keys, _sizes, info) => {
          if (info?.origin === "found") return;
          for (const key of keys) this.#storedKeys.set(key.id, key);
        },
        onKeysDeleted: (keys) => {
          for (const key of keys) this.#storedKeys.delete(key.id);
        },
      });
    }
  }

  override async store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<StoreResult> {
    const bytes = Array.isArray(objects) ? objects.reduce((n, o) => n + (o?.byteLength ?? 0), 0) : 0;
    return this.#withRoom(bytes, () => this.inner.store(keys, objects, options));
  }

  override async storeParts(
    keys: readonly ObjectKey[],
    parts: Parts,
    options?: OperationOptions,
  ): Promise<StoreResult> {
    const bytes = Array.isArray(parts)
      ? parts.reduce((n, p) => n + p.reduce((m: number, b: Uint8Array) => m + b.byteLength, 0), 0)
      : 0;
    return this.#withRoom(bytes, () => super.storeParts(keys, parts, options));
  }

  override status(): AdapterStatus {
    const status = this.inner.status();
    return this.evictionController ? { ...status, eviction: this.evictionController.status() } : status;
  }

  override close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.evictionController?.close();
      if (!this.persistEnabled && !this.inner.closed) {
        const keys = [...this.#storedKeys.values()];
        try {
          for (let i = 0; i < keys.length; i += 256) await this.inner.delete(keys.slice(i, i + 256));
        } catch (error) {
          this.#logger.warn("persist_enabled is false but deleting stored keys at close failed", {
            error: String(error),
          });
        }
      }
      this.#removeListener?.();
      await this.inner.close();
    })();
    return this.#closing;
  }

  async #withRoom(bytes: number, store: () => Promise<StoreResult>): Promise<StoreResult> {
    if (!this.evictionController || this.inner.closed) return store();
    try {
      await this.evictionController.makeRoom(bytes + this.#pendingBytes);
    } catch (error) {
      this.#logger.warn("eviction before a store failed; storing anyway", { error: String(error) });
    }
    this.#pendingBytes += bytes;
    try {
      return await store();
    } finally {
      this.#pendingBytes -= bytes;
    }
  }
}
