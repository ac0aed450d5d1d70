import { join } from "node:path";
import {
  Bitmap,
  encodeFsKey,
  type KeyListEntry,
  type KeyListPage,
  KeyLockTable,
  L2AdapterBase,
  type L2AdapterContext,
  L2Error,
  type ListKeysOptions,
  mapWithConcurrency,
  type ObjectKey,
  type StoreResult,
} from "@x/l2-core";
import { CapacityAdmission } from "./capacity.js";
import type { FsL2AdapterConfig } from "./config.js";
import { type FsOps, nodeFsOps } from "./fs-ops.js";
import { DirectorySyncGroup } from "./group-commit.js";
import { findKeyFile, removeKeyFiles } from "./key-files.js";
import { listKeyFiles } from "./listing.js";
import { DirectIo } from "./odirect.js";
import type { FsLayout } from "./paths.js";
import { type PublishContext, publishKey } from "./publisher.js";
import { loadKeyFile, type ReadContext } from "./read-path.js";
import { type RecoveryResult, recoverySummary } from "./recovery.js";
import { startUp } from "./start-up.js";
import { batchStoreError, directorySyncError, type KeyStoreOutcome, summarizeBatch } from "./store-batch.js";

const GIB = 2 ** 30;

/** Injection points for tests; production code passes nothing. */
export interface FsL2AdapterOptions {
  /** File-system calls to use instead of node:fs/promises (fault injection: ENOSPC, EIO). */
  fsOps?: FsOps;
  /** Hand out O_DIRECT windows off alignment so the kernel rejects them (tests the fallback). */
  misalignDirectBuffersForTest?: boolean;
}

/** A key this adapter counts, with the size of its file. */
type IndexEntry = KeyListEntry;

/**
 * LMCache-compatible filesystem adapter: one file per key directly under `base_path`, named by the FS key
 * codec, raw bytes. Files are published atomically and never replaced; lookups look at the directory
 * itself, so files published by other processes are hits. Use {@link FsL2Adapter.open} (or `new` and
 * then `await adapter.ready`): start-up creates the directories, cleans temp leftovers and recovers
 * existing key files before any operation runs.
 */
export class FsL2Adapter extends L2AdapterBase {
  readonly config: FsL2AdapterConfig;
  readonly capacityBytes: number;
  /** Settles when start-up finished; every operation waits for it. */
  readonly ready: Promise<void>;
  readonly #ops: FsOps;
  readonly #direct: DirectIo;
  readonly #read: ReadContext;
  readonly #locks = new KeyLockTable();
  /** Keys known to exist: stored, recovered or seen by a lookup. Drives usage accounting. */
  readonly #index = new Map<string, IndexEntry>();
  /** Keys whose unlink is in flight: a lookup racing it reports a miss. */
  readonly #deleting = new Set<string>();
  readonly #linkUnsupported = { value: false };
  readonly #admission: CapacityAdmission;
  #layout: FsLayout | undefined;
  #recovery: RecoveryResult | undefined;
  #startError: unknown;
  /** LMCache's legacy three-field names exist here, so stores must look for them too. */
  #legacyNamesSeen = false;
  /** Group commit of base_path fsyncs (sync_writes). */
  #dirSync: DirectorySyncGroup | undefined;
  #lastStoreError: string | undefined;
  #failedStoreKeys = 0;

  constructor(
    config: FsL2AdapterConfig,
    context?: Partial<L2AdapterContext>,
    options: FsL2AdapterOptions = {},
  ) {
    const capacityBytes = Math.floor(config.maxCapacityGb * GIB);
    super({ type: context?.typeName ?? "fs", capacityBytes, logger: context?.logger });
    this.config = config;
    this.capacityBytes = capacityBytes;
    this.#admission = new CapacityAdmission(capacityBytes, this.type);
    this.#ops = options.fsOps ?? nodeFsOps;
    this.#direct = new DirectIo(
      config.useOdirect,
      this.logger,
      config.ioConcurrency,
      options.misalignDirectBuffersForTest ?? false,
    );
    const { readAheadSize } = config;
    this.#read = { ops: this.#ops, direct: this.#direct, readAheadSize, logger: this.logger };
    this.ready = this.#start();
    // Start-up failures surface through every operation; keep Node from reporting them as unhandled.
    this.ready.catch(() => {});
  }

  /** Creates the adapter and waits for start-up (directories, temp cleanup, recovery). */
  static async open(
    config: FsL2AdapterConfig,
    context?: Partial<L2AdapterContext>,
    options?: FsL2AdapterOptions,
  ): Promise<FsL2Adapter> {
    const adapter = new FsL2Adapter(config, context, options);
    try {
      await adapter.ready;
    } catch (error) {
      await adapter.close();
      throw error;
    }
    return adapter;
  }

  /** Absolute cache directory. */
  get baseDir(): string {
    return this.#requireLayout().baseDir;
  }

  /** Absolute path of the file that holds `key`. */
  pathOf(key: ObjectKey): string {
    return join(this.#requireLayout().baseDir, encodeFsKey(key));
  }

  /**
   * Key files found at start that are still present, oldest first: the eviction controller seeds its LRU
   * order from them (LMCache replays recovered keys to eviction listeners only).
   */
  override recoveredEntries(): KeyListEntry[] {
    const out: KeyListEntry[] = [];
    for (const entry of this.#recovery?.entries ?? []) {
      const known = this.#index.get(entry.key.id);
      if (known) out.push({ key: known.key, sizeBytes: known.sizeBytes });
    }
    return out;
  }

  // ---- start-up -------------------------------------------------------------------------------------

  async #start(): Promise<void> {
    try {
      const { layout, recovery } = await startUp(this.#ops, this.config, this.#direct, this.logger);
      this.#layout = layout;
      this.#recovery = recovery;
      this.#dirSync = new DirectorySyncGroup(this.#ops, layout.baseDir);
      this.#legacyNamesSeen = recovery.legacyNames > 0;
      this.#count(recovery.entries);
    } catch (error) {
      this.#startError = error;
      throw error;
    }
  }

  #requireLayout(): FsLayout {
    if (this.#layout) return this.#layout;
    throw new L2Error("IO_FAILED", "fs adapter is not started; await FsL2Adapter.open() or adapter.ready", {
      adapterType: this.type,
      cause: this.#startError,
    });
  }

  #publishContext(): PublishContext {
    return {
      adapterType: this.type,
      ops: this.#ops,
      tempDir: this.#requireLayout().tempDir,
      direct: this.#direct,
      syncWrites: this.config.syncWrites,
      logger: this.logger,
      linkUnsupported: this.#linkUnsupported,
      syncMetadata: !this.config.shared,
    };
  }

  // ---- store ----------------------------------------------------------------------------------------

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    await this.ready;
    const ctx = this.#publishContext();
    // The batch's keys are locked while it runs, so a delete of this adapter (or its eviction controller)
    // cannot remove a key this store is about to report as present.
    for (const key of keys) this.#locks.lock(key);
    let outcomes: KeyStoreOutcome[];
    try {
      outcomes = await mapWithConcurrency(keys, this.config.ioConcurrency, (key, i) =>
        this.#storeOne(ctx, key, objects[i]!).catch(
          (error: unknown): KeyStoreOutcome => ({ kind: "failed", key, error }),
        ),
      );
    } finally {
      for (const key of keys) this.#locks.unlock(key);
    }
    const { counted, sizes, bytesWritten, failures } = summarizeBatch(outcomes);
    this.notifyStored(counted, sizes);
    if (this.config.syncWrites && bytesWritten > 0) {
      // The names must survive power loss too; one directory fsync covers the whole batch.
      const syncError = await this.#dirSync!.sync().then(
        () => undefined,
        (error: unknown) => error,
      );
      if (syncError !== undefined && failures.length === 0) {
        this.#lastStoreError = `directory fsync failed: ${String(syncError)}`;
        const baseDir = this.#requireLayout().baseDir;
        return {
          ok: false,
          bytesWritten,
          error: directorySyncError(this.type, baseDir, keys.length, syncError),
        };
      }
    }
    if (failures.length === 0) return { ok: true, bytesWritten };
    this.#failedStoreKeys += failures.length;
    const error = batchStoreError(this.type, failures, keys.length);
    this.#lastStoreError = error.message;
    return { ok: false, bytesWritten, error };
  }

  async #storeOne(ctx: PublishContext, key: ObjectKey, data: Uint8Array): Promise<KeyStoreOutcome> {
    const known = this.#index.get(key.id);
    const result = await publishKey(ctx, this.#requireLayout().baseDir, key, [data], {
      checkLegacy: this.#legacyNamesSeen,
      probablyPresent: known !== undefined,
      onVanished: () => {
        if (known && this.#index.get(key.id) === known) this.#forget([known]);
      },
      admit: (bytes) => this.#admission.reserve(this.usage().totalBytesUsed, bytes),
    });
    // A racing writer of the same key (or a lookup) may have seen this file between our link() and now
    // and already counted it: count each key once.
    const adopted = !this.#index.has(key.id);
    if (adopted) this.#index.set(key.id, { key, sizeBytes: result.sizeBytes });
    return { kind: result.written ? "published" : "existed", key, sizeBytes: result.sizeBytes, adopted };
  }

  /**
   * Keys a lookup or load found without a file (another process deleted it) leave the accounting, unless
   * the entry changed meanwhile (a store of this adapter re-published the key).
   */
  #forgetGone(keys: readonly ObjectKey[], seen: ReadonlyArray<{ gone?: IndexEntry | undefined }>): void {
    const gone = new Set<IndexEntry>();
    seen.forEach(({ gone: entry }, i) => {
      if (entry && this.#index.get(keys[i]!.id) === entry) gone.add(entry);
    });
    this.#forget([...gone]);
  }

  /**
   * Adds keys found on disk to the accounting once: recovered at start, or seen by a lookup (a file
   * published by another process).
   */
  #count(entries: readonly IndexEntry[]): void {
    const fresh = [...new Map(entries.map((e) => [e.key.id, e])).values()].filter(
      (e) => !this.#index.has(e.key.id),
    );
    for (const e of fresh) this.#index.set(e.key.id, e);
    this.notifyStored(
      fresh.map((e) => e.key),
      fresh.map((e) => e.sizeBytes),
    );
  }

  /** Drops keys whose files vanished (deleted by another process) from accounting. */
  #forget(entries: IndexEntry[]): void {
    for (const e of entries) this.#index.delete(e.key.id);
    this.notifyDeleted(
      entries.map((e) => e.key),
      entries.map((e) => e.sizeBytes),
    );
  }

  // ---- lookup / unlock ------------------------------------------------------------------------------

  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    await this.ready;
    // Lock first, then look: a delete of this adapter that starts after this line skips the key, and one
    // already running is seen through #deleting.
    for (const key of keys) this.#locks.lock(key);
    const baseDir = this.#requireLayout().baseDir;
    const looked = await mapWithConcurrency(keys, this.config.ioConcurrency, async (key) => {
      const known = this.#index.get(key.id);
      if (this.#deleting.has(key.id)) return { size: 0 };
      try {
        const file = await findKeyFile(this.#ops, baseDir, key);
        if (file?.legacy) this.#legacyNamesSeen = true;
        return file ? { size: file.sizeBytes } : { size: 0, gone: known };
      } catch {
        return { size: 0 };
      }
    });
    this.#forgetGone(keys, looked);
    const bitmap = new Bitmap(keys.length);
    const adopted: IndexEntry[] = [];
    keys.forEach((key, i) => {
      const size = looked[i]!.size;
      if (size === 0 || this.#deleting.has(key.id)) {
        this.#locks.unlock(key);
        return;
      }
      bitmap.set(i);
      adopted.push({ key, sizeBytes: size });
    });
    this.#count(adopted);
    return bitmap;
  }

  protected _unlock(keys: readonly ObjectKey[]): void {
    for (const key of keys) this.#locks.unlock(key);
  }

  // ---- load -----------------------------------------------------------------------------------------

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    await this.ready;
    const baseDir = this.#requireLayout().baseDir;
    // Published files are never rewritten, so a size this adapter already saw spares an fstat per load.
    const hits = await mapWithConcurrency(keys, this.config.ioConcurrency, async (key, i) => {
      const known = this.#index.get(key.id);
      const result = await loadKeyFile(this.#read, baseDir, key, [targets[i]!], known?.sizeBytes);
      return { result, gone: result === "gone" ? known : undefined };
    });
    this.#forgetGone(keys, hits);
    const bitmap = new Bitmap(keys.length);
    const accessed: ObjectKey[] = [];
    hits.forEach((hit, i) => {
      if (hit.result !== "hit") return;
      bitmap.set(i);
      accessed.push(keys[i]!);
    });
    this.notifyAccessed(accessed);
    return bitmap;
  }

  // ---- delete ---------------------------------------------------------------------------------------

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    await this.ready;
    const baseDir = this.#requireLayout().baseDir;
    const unique = [...new Map(keys.map((k) => [k.id, k])).values()];
    const deleted = await mapWithConcurrency(unique, Math.max(this.config.ioConcurrency, 16), async (key) => {
      if (this.#locks.isLocked(key) || this.#deleting.has(key.id)) return null;
      this.#deleting.add(key.id);
      try {
        return await this.#deleteOne(baseDir, key);
      } finally {
        this.#deleting.delete(key.id);
      }
    });
    const gone = deleted.filter((e): e is IndexEntry => e !== null);
    this.#forget(gone);
  }

  /** The accounting entry to drop when the key's file is gone afterwards, else null. */
  async #deleteOne(baseDir: string, key: ObjectKey): Promise<IndexEntry | null> {
    const gone = await removeKeyFiles(this.#ops, baseDir, key, this.logger).catch(() => false);
    return gone ? (this.#index.get(key.id) ?? null) : null;
  }

  // ---- listing and status ---------------------------------------------------------------------------

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    await this.ready;
    return listKeyFiles(this.#ops, this.#requireLayout().baseDir, options);
  }

  protected override _healthy(): boolean {
    return this.#layout !== undefined && this.#startError === undefined;
  }

  protected override _status(): Record<string, unknown> {
    const usage = this.usage();
    return {
      basePath: this.#layout?.baseDir ?? this.config.basePath,
      tempDir: this.#layout?.tempDir,
      started: this.#layout !== undefined,
      startError: this.#startError === undefined ? undefined : String(this.#startError),
      odirect: this.#direct.describe(),
      syncWrites: this.config.syncWrites,
      ioConcurrency: this.config.ioConcurrency,
      storedObjectCount: this.#index.size,
      lockedKeyCount: this.#locks.size,
      currentSizeBytes: usage.totalBytesUsed,
      maxCapacityBytes: this.capacityBytes,
      usageFraction: usage.usageFraction,
      evictionConfigured: this.config.eviction !== null,
      recovery: this.#recovery && recoverySummary(this.#recovery),
      failedStoreKeys: this.#failedStoreKeys,
      lastStoreError: this.#lastStoreError,
      linkSupported: !this.#linkUnsupported.value,
    };
  }

  protected override async _close(): Promise<void> {
    await this.ready.catch(() => {});
    this.#locks.clear();
  }
}
