import type { Bitmap } from "./bitmap.js";
import type { L2Error } from "./errors.js";
import type { L2Logger } from "./logger.js";
import type { EncodedObjectKey, ObjectKey } from "./object-key.js";
import type { AdapterUsage } from "./usage.js";

/**
 * Result of one store task. Task-level, as in LMCache: `ok` is true only when every key of the batch is
 * stored (or was already there). `bytesWritten` counts only bytes this task wrote; a re-stored key adds 0.
 */
export interface StoreResult {
  readonly ok: boolean;
  readonly bytesWritten: number;
  /** Why the task failed, when it did. */
  readonly error?: L2Error | undefined;
}

/**
 * How keys came to be known: `stored` by this adapter, or `found` present (written by another process,
 * or by an earlier run) by a lookup or load.
 */
export interface KeysStoredInfo {
  readonly origin: "stored" | "found";
}

/** Called after the fact; a listener that throws is logged and cannot stop the operation. */
export interface L2AdapterListener {
  onKeysStored?(keys: readonly ObjectKey[], sizes: readonly number[], info?: KeysStoredInfo): void;
  onKeysAccessed?(keys: readonly ObjectKey[]): void;
  onKeysDeleted?(keys: readonly ObjectKey[], sizes: readonly number[]): void;
}

export interface ListKeysOptions {
  /** Only keys of this model. */
  modelName?: string | undefined;
  /** Entries per page, 1..10000. */
  pageSize: number;
  /** `nextCursor` of the previous page; absent for the first page. */
  cursor?: string | undefined;
}

export interface KeyListEntry {
  readonly key: ObjectKey;
  readonly sizeBytes: number;
}

export interface KeyListPage {
  readonly entries: readonly KeyListEntry[];
  /** Opaque; null when there are no more pages. */
  readonly nextCursor: string | null;
}

/** JSON-friendly list entry, for status endpoints and the CLI. */
export interface EncodedKeyListEntry {
  key: EncodedObjectKey;
  size_bytes: number;
}

export interface AdapterStatus {
  readonly healthy: boolean;
  readonly type: string;
  readonly [detail: string]: unknown;
}

/** What the adapter can do beyond the required surface. */
export interface AdapterCapabilities {
  /** `listKeys` returns pages instead of rejecting with NOT_SUPPORTED. */
  readonly listKeys: boolean;
  /**
   * `storeParts` / `loadParts` write and read the parts of an object without joining them into one buffer
   * (files: writev / readv). Absent or false: they exist but copy.
   */
  readonly vectoredIo?: boolean;
}

/** Per-call options of `store`, `load` and `lookupAndLock` (a 0.2 addition; adapters may ignore it). */
export interface OperationOptions {
  /**
   * Aborting asks the adapter to stop starting new I/O for this call. The call still settles normally:
   * a store with `ok: false` (code ABORTED), a lookup or load with the bits it completed. A buffer the
   * adapter is writing is never abandoned mid-way: the promise settles only when nothing touches it.
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * L1 memory an adapter may register with a transport (RDMA/NIXL in LMCache). On machines without such
 * hardware it is absent; adapters must work without it.
 */
export interface L1MemoryDesc {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly size: number;
  readonly alignBytes: number;
  readonly stableRegistrationSize?: number;
}

/** What the framework hands an adapter at creation. */
export interface L2AdapterContext {
  readonly logger: L2Logger;
  /** The adapter's type name as configured (`fs`, `mock`, `plugin`, ...). */
  readonly typeName: string;
  readonly l1MemoryDesc?: L1MemoryDesc | undefined;
  /** Tensor-parallel rank of this worker, for adapters with per-rank endpoints. */
  readonly tpRank?: number | undefined;
}

/**
 * The L2 adapter contract. LMCache's submit / poll / event-fd triple maps to one Promise per batch:
 * `submit_store_task` + store fd + `pop_completed_store_tasks` is `await store()`;
 * `submit_lookup_and_lock_task` + `query_lookup_and_lock_result` is `await lookupAndLock()`;
 * `submit_load_task` + `query_load_result` is `await load()`; `submit_unlock` is `unlock()`.
 * Every method may be called concurrently with any other.
 */
export interface L2Adapter {
  readonly type: string;
  readonly capabilities: AdapterCapabilities;
  /** Stores `objects[i]` under `keys[i]`; the adapter reads the caller's buffers only until it settles. */
  store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<StoreResult>;
  /** Bit i set ⇔ keys[i] is present; each hit is locked against eviction (refcounted). */
  lookupAndLock(keys: readonly ObjectKey[], options?: OperationOptions): Promise<Bitmap>;
  /** Drops one lock per key. Never throws; unknown or unlocked keys are ignored. */
  unlock(keys: readonly ObjectKey[]): void;
  /**
   * Fills `targets[i]` with the bytes of keys[i]. Bit i is set only when the target was filled completely
   * with exactly the stored object (a size mismatch is a miss). Misses never reject.
   */
  load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<Bitmap>;
  /**
   * Like `store`, where object i is the concatenation of `parts[i]` (for example a frame header and the
   * payload). Optional; `L2AdapterBase` provides it for every adapter.
   */
  storeParts?(
    keys: readonly ObjectKey[],
    parts: readonly (readonly Uint8Array[])[],
    options?: OperationOptions,
  ): Promise<StoreResult>;
  /**
   * Like `load`, filling `parts[i]` in order; bit i is set only when the stored object's size is the sum
   * of the parts' sizes and every part was filled. Optional; `L2AdapterBase` provides it.
   */
  loadParts?(
    keys: readonly ObjectKey[],
    parts: readonly (readonly Uint8Array[])[],
    options?: OperationOptions,
  ): Promise<Bitmap>;
  /**
   * The keys the adapter knows, oldest first: those found at start-up (recovered from disk, say), then
   * those stored since. The eviction controller seeds its LRU order from it. Optional.
   */
  recoveredEntries?(): readonly KeyListEntry[];
  /** Settles when start-up (directories, connections, recovery) finished; rejects with its error. Optional. */
  whenReady?(): Promise<void>;
  /** Removes unlocked keys; locked and missing keys are skipped. Idempotent. */
  delete(keys: readonly ObjectKey[]): Promise<void>;
  /** Stable cursor pages over the stored keys; rejects with NOT_SUPPORTED unless `capabilities.listKeys`. */
  listKeys(options: ListKeysOptions): Promise<KeyListPage>;
  usage(): AdapterUsage;
  status(): AdapterStatus;
  /** Registers a listener; returns a function that removes it. */
  addListener(listener: L2AdapterListener): () => void;
  /**
   * Idempotent. Resolves only when no operation still touches a caller buffer. Every later call except
   * `unlock`, `usage` and `status` rejects with ADAPTER_CLOSED.
   */
  close(): Promise<void>;
  readonly closed: boolean;
}
