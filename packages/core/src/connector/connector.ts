import type {
  KeyListEntry,
  KeyListPage,
  L2AdapterContext,
  ListKeysOptions,
  OperationOptions,
} from "../adapter.js";
import type { L2AdapterConfigBase } from "../config/config-base.js";
import type { ObjectKey } from "../object-key.js";

/**
 * A key-value backend with batch operations: all an author writes for the short form of an adapter. The
 * bridge ({@link L2ConnectorAdapter}) adds locks, the key index and usage, capacity admission, listeners,
 * start-up and close. Every function gets whole batches; throwing fails the batch (a store `ok: false`,
 * a lookup or load of misses), never the adapter.
 */
export interface L2Connector {
  /**
   * Which keys are present: per key its size in bytes (or `true` when the size is not known cheaply),
   * `undefined` / `false` when absent.
   */
  exists(
    keys: readonly ObjectKey[],
    options: OperationOptions,
  ): Promise<readonly (number | boolean | undefined | null)[]>;
  /**
   * Per key: the stored bytes (the bridge copies them into the target if the size matches), `true` when
   * the connector filled `targets[i]` itself with exactly the object (no copy), or `undefined` / `null` /
   * `false` when absent. A size mismatch is the bridge's to detect, not a reason to throw.
   */
  get(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<readonly (Uint8Array | boolean | undefined | null)[]>;
  /**
   * Writes the objects. Copy or write the bytes before the promise settles: the caller reuses its buffers.
   * Return per key whether it is stored, or nothing when all are. Keys the bridge knows are already
   * stored are not passed again.
   */
  set(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<readonly boolean[] | undefined | void>;
  /** Removes the keys (never locked ones). Return per key whether it was removed, or nothing. */
  delete(keys: readonly ObjectKey[]): Promise<readonly boolean[] | undefined | void>;
  /**
   * Optional own eviction: when a store does not fit in the capacity, pick keys to delete from
   * `candidates` (the unlocked keys, oldest first) to free `bytesNeeded`. Return none to refuse the store
   * instead. An `eviction` block in the config (x-l2's controller) acts before this.
   */
  evict?(bytesNeeded: number, candidates: readonly KeyListEntry[]): readonly ObjectKey[];
  /** Optional own listing (a database, a server); without it the bridge pages over its index. */
  list?(options: ListKeysOptions): Promise<KeyListPage>;
  /** Optional: data left by an earlier run, oldest first, counted in usage() from the start. */
  recover?(): Iterable<KeyListEntry> | AsyncIterable<KeyListEntry> | Promise<Iterable<KeyListEntry>>;
  /** Optional: details for `status()`. Never put secrets here. */
  status?(): Record<string, unknown>;
  /** Optional: whether the backend is usable now (default true). */
  healthy?(): boolean;
  /** Optional: release connections and files; called once, after every operation settled. */
  close?(): Promise<void> | void;
}

/** What `defineL2Connector` needs besides the config class. */
export interface L2ConnectorSpec<C extends L2AdapterConfigBase> {
  /** Creates the backend; may be async (open a connection) and may throw a typed error. */
  open(config: C, context: L2ConnectorContext): L2Connector | Promise<L2Connector>;
  /**
   * Capacity in bytes from the config (e.g. `(c) => c.maxSizeGb * 2 ** 30`). Without it `usageFraction`
   * is -1, stores are never refused, and an `eviction` block never evicts.
   */
  capacityBytes?: ((config: C) => number) | undefined;
}

/** The adapter context, plus the close signal (aborted when `close()` starts). */
export interface L2ConnectorContext extends L2AdapterContext {
  readonly closeSignal: AbortSignal;
}
