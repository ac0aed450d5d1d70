import { join } from "node:path";
import {
  Bitmap,
  encodeFsKey,
  type KeyListPage,
  L2AdapterBase,
  type L2AdapterContext,
  L2Error,
  type ListKeysOptions,
  type LoadOutcome,
  type LookupResult,
  mapWithConcurrency,
  type ObjectKey,
  type OperationOptions,
  type StoreOutcome,
} from "@x/l2-core";
import type { FsL2AdapterConfig } from "./config.js";
import { type FsOps, nodeFsOps } from "./fs-ops.js";
import { GoneSweep } from "./gone-sweep.js";
import { DirectorySyncGroup } from "./group-commit.js";
import { findKeyFile, removeKeyFiles } from "./key-files.js";
import { listKeyFiles } from "./listing.js";
import { DirectIo } from "./odirect.js";
import type { FsLayout } from "./paths.js";
import { type PublishContext, publishKey } from "./publisher.js";
import { type LoadResult, loadKeyFile, type ReadContext } from "./read-path.js";
import { type RecoveryResult, recoverySummary } from "./recovery.js";
import { startUp } from "./start-up.js";
import { abortedStoreError, batchStoreError, directorySyncError, type KeyStore } from "./store-batch.js";

const GIB = 2 ** 30;

/** Injection points for tests; production code passes nothing. */
export interface FsL2AdapterOptions {
  /** File-system calls to use instead of node:fs/promises (fault injection: ENOSPC, EIO). */
  fsOps?: FsOps;
  /** Hand out O_DIRECT windows off alignment so the kernel rejects them (tests the fallback). */
  misalignDirectBuffersForTest?: boolean;
}

type Parts = readonly (readonly Uint8Array[])[];

/**
 * LMCache-compatible filesystem adapter: one file per key directly under `base_path`, named by the FS key
 * codec, raw bytes. Files are published atomically and never replaced; lookups look at the directory
 * itself, so files published by other processes are hits. The base ({@link L2AdapterBase}) keeps the key
 * index, usage, capacity admission and locks; this class only does the file I/O. Start-up (`_open`)
 * creates the directories, cleans temp leftovers and recovers existing key files before any operation
 * runs: use {@link FsL2Adapter.open}, or `new` and then `await adapter.whenReady()`.
 */
export class FsL2Adapter extends L2AdapterBase {
  readonly config: FsL2AdapterConfig;
  readonly capacityBytes: number;
  readonly #ops: FsOps;
  readonly #direct: DirectIo;
  readonly #read: ReadContext;
  readonly #linkUnsupported = { value: false };
  readonly #goneSweep: GoneSweep;
  /**
   * Keys a lookup or store of this adapter is working on (count per key): a delete skips them, so a hit or
   * a "stored" this adapter reports always has its file (the base locks hits only after `_lookup`).
   */
  readonly #busy = new Map<string, number>();
  /** Keys whose unlink is in flight: a lookup that starts meanwhile reports a miss. */
  readonly #unlinking = new Set<string>();
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
    this.#ops = options.fsOps ?? nodeFsOps;
    this.#direct = new DirectIo(
      config.useOdirect,
      this.logger,
      config.ioConcurrency,
      options.misalignDirectBuffersForTest ?? false,
    );
    this.#goneSweep = new GoneSweep(this.#ops);
    const { readAheadSize } = config;
    this.#read = { ops: this.#ops, direct: this.#direct, readAheadSize, logger: this.logger };
  }

  /**
   * Creates the adapter and waits for start-up (directories, temp cleanup, recovery); closes it and
   * rethrows when start-up fails. Kept from 0.1; `createL2Adapter` does the same for every type.
   */
  static async open(
    config: FsL2AdapterConfig,
    context?: Partial<L2AdapterContext>,
    options?: FsL2AdapterOptions,
  ): Promise<FsL2Adapter> {
    const adapter = new FsL2Adapter(config, context, options);
    try {
      await adapter.whenReady();
    } catch (error) {
      await adapter.close();
      throw error;
    }
    return adapter;
  }

  /** @deprecated since 0.2: use `whenReady()`. Settles when start-up finished (0.1's property). */
  get ready(): Promise<void> {
    return this.whenReady();
  }

  /** Absolute cache directory. */
  get baseDir(): string {
    return this.#requireLayout().baseDir;
  }

  /** Absolute path of the file that holds `key`. */
  pathOf(key: ObjectKey): string {
    return join(this.#requireLayout().baseDir, encodeFsKey(key));
  }

  // ---- start-up -------------------------------------------------------------------------------------

  protected override async _open(): Promise<void> {
    try {
      const { layout, recovery } = await startUp(this.#ops, this.config, this.#direct, this.logger);
      this.#layout = layout;
      this.#recovery = recovery;
      this.#dirSync = new DirectorySyncGroup(this.#ops, layout.baseDir);
      this.#legacyNamesSeen = recovery.legacyNames > 0;
      // Oldest mtime first: the eviction controller seeds its LRU order from the index.
      this.recordRecoveredKeys(recovery.entries);
    } catch (error) {
      this.#startError = error;
      throw error;
    }
  }

  #requireLayout(): FsLayout {
    if (this.#layout) return this.#layout;
    throw new L2Error("IO_FAILED", "fs adapter is not started; await FsL2Adapter.open() or whenReady()", {
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

  /** Runs `work` with `keys` marked busy, so this adapter's deletes leave their files alone meanwhile. */
  async #whileBusy<T>(keys: readonly ObjectKey[], work: () => Promise<T>): Promise<T> {
    for (const key of keys) this.#busy.set(key.id, (this.#busy.get(key.id) ?? 0) + 1);
    try {
      return await work();
    } finally {
      for (const key of keys) {
        const left = (this.#busy.get(key.id) ?? 1) - 1;
        if (left > 0) this.#busy.set(key.id, left);
        else this.#busy.delete(key.id);
      }
    }
  }

  // ---- store ----------------------------------------------------------------------------------------

  protected override _store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: OperationOptions,
  ) {
    return this._storeParts(
      keys,
      objects.map((o) => [o]),
      options,
    );
  }

  /** writev: a frame header and its payload go to the file in one call, never joined into one buffer. */
  protected override async _storeParts(
    keys: readonly ObjectKey[],
    parts: Parts,
    { signal }: OperationOptions,
  ): Promise<StoreOutcome> {
    const ctx = this.#publishContext();
    const baseDir = this.#requireLayout().baseDir;
    const outcomes = await this.#whileBusy(keys, () =>
      mapWithConcurrency(keys, this.config.ioConcurrency, async (key, i): Promise<KeyStore> => {
        // Once aborted, no new file is started; writes already running finish (a temp file is ours).
        if (signal?.aborted) return { kind: "aborted" };
        try {
          const result = await publishKey(ctx, baseDir, key, parts[i]!, {
            checkLegacy: this.#legacyNamesSeen,
            probablyPresent: this.indexedSizeOf(key) !== undefined,
            onVanished: () => this.recordGoneKeys([key]),
          });
          return { kind: result.written ? "published" : "existed", sizeBytes: result.sizeBytes };
        } catch (error) {
          return { kind: "failed", error };
        }
      }),
    );
    const stored = new Bitmap(keys.length);
    const written = new Bitmap(keys.length);
    const failures: Array<{ key: ObjectKey; error: unknown }> = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === "failed") failures.push({ key: keys[i]!, error: outcome.error });
      if (outcome.kind !== "published" && outcome.kind !== "existed") return;
      stored.set(i);
      if (outcome.kind === "published") written.set(i);
    });
    if (this.config.syncWrites && written.popcount() > 0) {
      // The names must survive power loss too; one directory fsync covers the whole batch (group commit).
      const syncError = await this.#dirSync!.sync().then(
        () => undefined,
        (error: unknown) => error,
      );
      if (syncError !== undefined) return this.#notDurable(keys, outcomes, syncError);
    }
    if (failures.length > 0) {
      this.#failedStoreKeys += failures.length;
      const error = batchStoreError(this.type, failures, keys.length);
      this.#lastStoreError = error.message;
      return { stored, written, error };
    }
    const aborted = outcomes.some((o) => o.kind === "aborted");
    return {
      stored,
      written,
      error: aborted ? abortedStoreError(this.type, stored, keys.length) : undefined,
    };
  }

  /**
   * Every file of the batch is complete and visible, but the names may not survive a power loss: the task
   * fails. The files this call wrote count as present (they are), not as stored by the call; keys that were
   * there already stay reported as present.
   */
  #notDurable(keys: readonly ObjectKey[], outcomes: readonly KeyStore[], cause: unknown): StoreOutcome {
    const existed = new Bitmap(keys.length);
    const wrote: [ObjectKey[], number[]] = [[], []];
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === "existed") existed.set(i);
      if (outcome.kind !== "published" || this.indexedSizeOf(keys[i]!) !== undefined) return;
      wrote[0].push(keys[i]!);
      wrote[1].push(outcome.sizeBytes);
    });
    this.notifyStored(wrote[0], wrote[1]);
    const error = directorySyncError(this.type, this.#layout!.baseDir, keys.length, cause);
    this.#lastStoreError = error.message;
    return { stored: existed, written: new Bitmap(keys.length), error };
  }

  /** Full by the index: before a store is refused, forget indexed keys whose files others removed. */
  protected override async _makeRoom(bytesNeeded: number): Promise<void> {
    const baseDir = this.#requireLayout().baseDir;
    this.recordGoneKeys(await this.#goneSweep.run(baseDir, () => this.recoveredEntries(), bytesNeeded));
  }

  // ---- lookup ---------------------------------------------------------------------------------------

  /**
   * Looks at the directory itself: files other processes published are hits, and removed ones are not.
   * The signal is not consulted midway: a key reported absent leaves the index, and a stat is cheap.
   */
  protected override async _lookup(keys: readonly ObjectKey[]): Promise<LookupResult> {
    const baseDir = this.#requireLayout().baseDir;
    const sizes = await this.#whileBusy(keys, () =>
      mapWithConcurrency(keys, this.config.ioConcurrency, async (key) => {
        if (this.#unlinking.has(key.id)) return undefined;
        const file = await findKeyFile(this.#ops, baseDir, key).catch(() => undefined);
        if (file?.legacy) this.#legacyNamesSeen = true;
        return this.#unlinking.has(key.id) ? undefined : file?.sizeBytes;
      }),
    );
    const found = new Bitmap(keys.length);
    sizes.forEach((size, i) => {
      if (size !== undefined) found.set(i);
    });
    return { found, sizes };
  }

  // ---- load -----------------------------------------------------------------------------------------

  protected override _load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options: OperationOptions,
  ) {
    return this._loadParts(
      keys,
      targets.map((t) => [t]),
      options,
    );
  }

  /** readv: header and payload land in their own buffers, no copy (O_DIRECT scatters from its window). */
  protected override async _loadParts(
    keys: readonly ObjectKey[],
    parts: Parts,
    { signal }: OperationOptions,
  ): Promise<LoadOutcome> {
    const baseDir = this.#requireLayout().baseDir;
    // Published files are never rewritten, so a size this adapter already saw spares an fstat per load.
    // Once aborted no new read starts; a read already filling a caller's buffer always finishes first.
    const results = await mapWithConcurrency(
      keys,
      this.config.ioConcurrency,
      (key, i): Promise<LoadResult> =>
        signal?.aborted
          ? Promise.resolve("miss")
          : loadKeyFile(this.#read, baseDir, key, parts[i]!, this.indexedSizeOf(key)),
    );
    const loaded = new Bitmap(keys.length);
    const gone = new Bitmap(keys.length);
    results.forEach((result, i) => {
      if (result === "hit") loaded.set(i);
      else if (result === "gone") gone.set(i);
    });
    return { loaded, gone };
  }

  // ---- delete ---------------------------------------------------------------------------------------

  /** Unlinks regular files only; a key whose file stays (busy, EACCES, not a file) is reported kept. */
  protected override async _delete(keys: readonly ObjectKey[]): Promise<Bitmap> {
    const baseDir = this.#requireLayout().baseDir;
    const removed = await mapWithConcurrency(keys, Math.max(this.config.ioConcurrency, 16), async (key) => {
      if (this.#busy.has(key.id) || this.#unlinking.has(key.id)) return false;
      this.#unlinking.add(key.id);
      try {
        return await removeKeyFiles(this.#ops, baseDir, key, this.logger).catch(() => false);
      } finally {
        this.#unlinking.delete(key.id);
      }
    });
    const bitmap = new Bitmap(keys.length);
    removed.forEach((gone, i) => {
      if (gone) bitmap.set(i);
    });
    return bitmap;
  }

  // ---- listing and status ---------------------------------------------------------------------------

  /** Over the directory, not the index: keys other processes published are listed too. */
  protected override _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
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
      storedObjectCount: this.recoveredEntries().length,
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
}
