import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import {
  Bitmap,
  decodeFsKey,
  decodeListCursor,
  encodeFsKey,
  encodeListCursor,
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
import { type PublishContext, syncDirectory, writeAndPublish } from "./atomic-publish.js";
import type { FsL2AdapterConfig } from "./config.js";
import { errnoOf, type FsOps, nodeFsOps } from "./fs-ops.js";
import { DirectIo, isDirectIoRejection } from "./odirect.js";
import { type FsLayout, prepareLayout } from "./paths.js";
import { type RecoveryResult, recoverDirectory } from "./recovery.js";
import { parseTempName } from "./temp-names.js";

const GIB = 2 ** 30;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Injection points for tests; production code passes nothing. */
export interface FsL2AdapterOptions {
  /** File-system calls to use instead of node:fs/promises (fault injection: ENOSPC, EIO). */
  fsOps?: FsOps;
  /** Hand out O_DIRECT windows off alignment so the kernel rejects them (tests the fallback). */
  misalignDirectBuffersForTest?: boolean;
}

interface IndexEntry {
  key: ObjectKey;
  sizeBytes: number;
}

type StoreOutcome =
  | { kind: "published"; key: ObjectKey; sizeBytes: number; adopted: boolean }
  | { kind: "existed"; key: ObjectKey; sizeBytes: number; adopted: boolean }
  | { kind: "failed"; key: ObjectKey; error: unknown };

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
  readonly #locks = new KeyLockTable();
  /** Keys known to exist: stored, recovered or seen by a lookup. Drives usage accounting. */
  readonly #index = new Map<string, IndexEntry>();
  /** Keys whose unlink is in flight: a lookup racing it reports a miss. */
  readonly #deleting = new Set<string>();
  readonly #linkUnsupported = { value: false };
  #layout: FsLayout | undefined;
  #recovery: RecoveryResult | undefined;
  #startError: unknown;
  #reservedBytes = 0;
  /** LMCache's legacy three-field names exist here, so stores must look for them too. */
  #legacyNamesSeen = false;
  /** Group commit of directory fsyncs (sync_writes): requested / completed generations. */
  #dirSyncRequested = 0;
  #dirSyncDone = 0;
  #dirSyncInflight: Promise<void> | undefined;
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
      const layout = await prepareLayout(this.#ops, this.config.basePath, this.config.relativeTmpDir);
      this.#layout = layout;
      if (this.#direct.requested) {
        const stat = await this.#ops.statfs(layout.tempDir).catch(() => undefined);
        if (stat) this.#direct.setBlockSize(stat.bsize);
      }
      const recovery = await recoverDirectory(
        this.#ops,
        layout.baseDir,
        layout.tempDir,
        this.config.recoverOnStart,
        this.logger,
      );
      this.#recovery = recovery;
      this.#legacyNamesSeen = recovery.legacyNames > 0;
      for (const entry of recovery.entries) this.#index.set(entry.key.id, entry);
      this.notifyStored(
        recovery.entries.map((e) => e.key),
        recovery.entries.map((e) => e.sizeBytes),
      );
      if (recovery.tempRemoved > 0) {
        this.logger.info("removed temp files left by interrupted writers", { count: recovery.tempRemoved });
      }
      if (this.capacityBytes > 0 && this.config.eviction === null) {
        this.logger.warn(
          "max_capacity_gb is set without an `eviction` block: nothing will be evicted, stores fail once " +
            'the capacity is reached; add "eviction": {"eviction_policy": "LRU"} to keep the cache turning over',
          { maxCapacityGb: this.config.maxCapacityGb },
        );
      }
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
    let outcomes: StoreOutcome[];
    try {
      outcomes = await mapWithConcurrency(keys, this.config.ioConcurrency, (key, i) =>
        this.#storeOne(ctx, key, objects[i]!).catch(
          (error: unknown): StoreOutcome => ({ kind: "failed", key, error }),
        ),
      );
    } finally {
      for (const key of keys) this.#locks.unlock(key);
    }
    const counted: ObjectKey[] = [];
    const sizes: number[] = [];
    let bytesWritten = 0;
    const failures: Array<{ key: ObjectKey; error: unknown }> = [];
    for (const outcome of outcomes) {
      if (outcome.kind === "failed") failures.push(outcome);
      else if (outcome.adopted) {
        counted.push(outcome.key);
        sizes.push(outcome.sizeBytes);
      }
      if (outcome.kind === "published") bytesWritten += outcome.sizeBytes;
    }
    this.notifyStored(counted, sizes);
    if (this.config.syncWrites && bytesWritten > 0) {
      // The names must survive power loss too; one directory fsync covers the whole batch.
      const syncError = await this.#syncBaseDirectory().then(
        () => undefined,
        (error: unknown) => error,
      );
      if (syncError !== undefined && failures.length === 0) {
        // Every file is complete and visible, but the names may not survive a power loss: not durable.
        this.#lastStoreError = `directory fsync failed: ${String(syncError)}`;
        return {
          ok: false,
          bytesWritten,
          error: new L2Error(
            "IO_FAILED",
            `all ${keys.length} keys were published but fsync of ${this.#requireLayout().baseDir} failed ` +
              `(${errnoOf(syncError) ?? String(syncError)}); they may not survive a power loss`,
            { adapterType: this.type, cause: syncError },
          ),
        };
      }
    }
    if (failures.length === 0) return { ok: true, bytesWritten };
    const first = failures[0]!;
    this.#failedStoreKeys += failures.length;
    const message =
      `${failures.length} of ${keys.length} keys were not stored (first: ${first.key.toString()}: ` +
      `${errnoOf(first.error) ?? ""} ${first.error instanceof Error ? first.error.message : String(first.error)}); ` +
      "the other keys of the batch are stored completely, failed keys left no file";
    this.#lastStoreError = message;
    const error =
      first.error instanceof L2Error && failures.length === 1
        ? first.error
        : new L2Error("IO_FAILED", message, { adapterType: this.type, cause: first.error });
    return { ok: false, bytesWritten, error };
  }

  /**
   * fsync of base_path covering every link made before the call. Concurrent batches share one fsync
   * (group commit): a caller waits for the first sync that starts after its request.
   */
  async #syncBaseDirectory(): Promise<void> {
    const wanted = ++this.#dirSyncRequested;
    while (this.#dirSyncDone < wanted) {
      if (this.#dirSyncInflight === undefined) {
        const covers = this.#dirSyncRequested;
        this.#dirSyncInflight = syncDirectory(this.#ops, this.#requireLayout().baseDir)
          .then(() => {
            this.#dirSyncDone = Math.max(this.#dirSyncDone, covers);
          })
          .finally(() => {
            this.#dirSyncInflight = undefined;
          });
      }
      await this.#dirSyncInflight;
    }
  }

  async #storeOne(ctx: PublishContext, key: ObjectKey, data: Uint8Array): Promise<StoreOutcome> {
    if (data.byteLength === 0) {
      throw new L2Error("ARGUMENT_INVALID", "an empty object cannot be stored (empty files are never hits)", {
        adapterType: this.type,
        field: "objects",
      });
    }
    const baseDir = this.#requireLayout().baseDir;
    const [name, legacyName] = keyFileNames(key);
    const finalPath = join(baseDir, name!);
    if (legacyName !== undefined && this.#legacyNamesSeen) {
      const legacy = await this.#statKeyFile(join(baseDir, legacyName));
      if (typeof legacy === "number") return this.#existed(key, legacy);
    }
    const known = this.#index.get(key.id);
    if (known) {
      // Most likely still there; confirm, since another process may have deleted it.
      const existing = await this.#statKeyFile(finalPath);
      if (typeof existing === "number") return this.#existed(key, existing);
      this.#forget([known]);
    }
    if (this.capacityBytes > 0) {
      const used = this.usage().totalBytesUsed + this.#reservedBytes;
      if (used + data.byteLength > this.capacityBytes) {
        throw new L2Error(
          "IO_FAILED",
          `capacity reached: ${data.byteLength} bytes do not fit (${used}/${this.capacityBytes} bytes used); ` +
            "raise max_capacity_gb or configure an `eviction` block",
          { adapterType: this.type },
        );
      }
    }
    this.#reservedBytes += data.byteLength;
    try {
      // New keys skip the existence check: link() refuses an existing name anyway, and a duplicate from
      // another process only costs the temp write.
      for (let attempt = 0; ; attempt++) {
        const outcome = await writeAndPublish(ctx, finalPath, data);
        if (outcome.published) {
          // A racing writer of the same key (or a lookup) may have seen this file between our link() and
          // now and already counted it: count each key once.
          const adopted = !this.#index.has(key.id);
          this.#index.set(key.id, { key, sizeBytes: data.byteLength });
          return { kind: "published", key, sizeBytes: data.byteLength, adopted };
        }
        const existing = await this.#statKeyFile(finalPath);
        if (typeof existing === "number") return this.#existed(key, existing);
        if (existing === "occupied") {
          throw new L2Error(
            "IO_FAILED",
            `${finalPath} exists but is not a regular file; remove it to store this key`,
            {
              adapterType: this.type,
            },
          );
        }
        if (attempt > 0) {
          throw new L2Error("IO_FAILED", `could not publish ${finalPath}: the name keeps changing under it`, {
            adapterType: this.type,
          });
        }
        // An empty file was never published by a writer (they link complete files only): garbage, replace it.
        // "missing": deleted between link() and lstat(); publish again.
        if (existing === "empty") await this.#ops.unlink(finalPath).catch(() => {});
      }
    } finally {
      this.#reservedBytes -= data.byteLength;
    }
  }

  #existed(key: ObjectKey, sizeBytes: number): StoreOutcome {
    if (this.#index.has(key.id)) return { kind: "existed", key, sizeBytes, adopted: false };
    this.#index.set(key.id, { key, sizeBytes });
    return { kind: "existed", key, sizeBytes, adopted: true };
  }

  /** Size of a complete key file, "empty", "occupied" (not a regular file) or "missing". */
  async #statKeyFile(path: string): Promise<number | "empty" | "occupied" | "missing"> {
    try {
      const stat = await this.#ops.lstat(path);
      if (!stat.isFile()) return "occupied";
      return stat.size > 0 ? stat.size : "empty";
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return "missing";
      throw error;
    }
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
    const sizes = await mapWithConcurrency(keys, this.config.ioConcurrency, async (key) => {
      if (this.#deleting.has(key.id)) return 0;
      try {
        const names = keyFileNames(key);
        for (const [i, name] of names.entries()) {
          const state = await this.#statKeyFile(join(baseDir, name));
          if (typeof state !== "number") continue;
          if (i > 0) this.#legacyNamesSeen = true;
          return state;
        }
      } catch {}
      return 0;
    });
    const bitmap = new Bitmap(keys.length);
    const adopted: IndexEntry[] = [];
    keys.forEach((key, i) => {
      const size = sizes[i]!;
      if (size > 0 && !this.#deleting.has(key.id)) {
        bitmap.set(i);
        if (!this.#index.has(key.id)) {
          const entry = { key, sizeBytes: size };
          this.#index.set(key.id, entry);
          adopted.push(entry);
        }
      } else {
        this.#locks.unlock(key);
      }
    });
    // A file published by another process becomes part of this adapter's accounting once seen.
    this.notifyStored(
      adopted.map((e) => e.key),
      adopted.map((e) => e.sizeBytes),
    );
    return bitmap;
  }

  protected _unlock(keys: readonly ObjectKey[]): void {
    for (const key of keys) this.#locks.unlock(key);
  }

  // ---- load -----------------------------------------------------------------------------------------

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    await this.ready;
    const baseDir = this.#requireLayout().baseDir;
    const hits = await mapWithConcurrency(keys, this.config.ioConcurrency, (key, i) =>
      this.#loadOne(baseDir, key, targets[i]!),
    );
    const bitmap = new Bitmap(keys.length);
    const accessed: ObjectKey[] = [];
    hits.forEach((hit, i) => {
      if (!hit) return;
      bitmap.set(i);
      accessed.push(keys[i]!);
    });
    this.notifyAccessed(accessed);
    return bitmap;
  }

  async #loadOne(baseDir: string, key: ObjectKey, target: Uint8Array): Promise<boolean> {
    let names: string[];
    try {
      names = keyFileNames(key);
    } catch {
      return false;
    }
    if (target.byteLength === 0) return false;
    // Published files are never rewritten, so a size this adapter already saw (store, recovery, lookup)
    // still holds and saves an fstat per load; a file that ends early is still caught by the read.
    const knownSize = this.#index.get(key.id)?.sizeBytes;
    if (knownSize !== undefined && knownSize !== target.byteLength) return false;
    const trusted = knownSize !== undefined;
    for (const name of names) {
      const hit = await this.#loadFile(join(baseDir, name), key, target, trusted);
      if (hit !== "missing") return hit;
    }
    return false;
  }

  async #loadFile(
    path: string,
    key: ObjectKey,
    target: Uint8Array,
    trustedSize: boolean,
  ): Promise<boolean | "missing"> {
    try {
      if (this.#direct.usable(target.byteLength)) {
        const result = await this.#loadDirect(path, target, trustedSize);
        if (result !== "rejected") return result;
      }
      return await this.#loadBuffered(path, target, trustedSize);
    } catch (error) {
      const code = errnoOf(error);
      if (code === "ENOENT") return "missing";
      // Symlinks (O_NOFOLLOW) are plain misses.
      if (code !== "ELOOP") {
        this.logger.warn("load failed; reported as a miss", {
          key: key.id,
          errno: code,
          error: String(error),
        });
      }
      return false;
    }
  }

  async #loadBuffered(path: string, target: Uint8Array, trustedSize: boolean): Promise<boolean> {
    const fh = await this.#ops.open(path, READ_FLAGS);
    try {
      if (!trustedSize && !(await this.#sizeMatches(fh, target.byteLength))) return false;
      const readAhead = this.config.readAheadSize;
      if (readAhead !== undefined && readAhead < target.byteLength) {
        // Read the head first; only when it arrives completely is the rest worth reading.
        if (!(await readFully(fh, target, 0, readAhead))) return false;
        return await readFully(fh, target, readAhead, target.byteLength);
      }
      return await readFully(fh, target, 0, target.byteLength);
    } finally {
      await fh.close();
    }
  }

  async #loadDirect(path: string, target: Uint8Array, trustedSize: boolean): Promise<boolean | "rejected"> {
    let fh: FileHandle;
    try {
      fh = await this.#ops.open(path, READ_FLAGS | constants.O_DIRECT);
    } catch (error) {
      if (!isDirectIoRejection(error)) throw error;
      this.#direct.disable(error, "open for read");
      return "rejected";
    }
    const window = this.#direct.acquire(target.byteLength);
    try {
      if (!trustedSize && !(await this.#sizeMatches(fh, target.byteLength))) return false;
      if (!(await readFully(fh, window, 0, window.byteLength))) return false;
      target.set(window);
      return true;
    } catch (error) {
      if (!isDirectIoRejection(error)) throw error;
      this.#direct.disable(error, "read");
      return "rejected";
    } finally {
      this.#direct.release(window);
      await fh.close();
    }
  }

  /** A short or long file is a miss: the bytes would not be exactly the stored object. */
  async #sizeMatches(fh: FileHandle, expected: number): Promise<boolean> {
    const stat = await fh.stat();
    return stat.isFile() && stat.size === expected;
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
    const known = this.#index.get(key.id) ?? null;
    let names: string[];
    try {
      names = keyFileNames(key);
    } catch {
      return null;
    }
    let removedBytes: number | undefined;
    for (const name of names) {
      const path = join(baseDir, name);
      try {
        const stat = await this.#ops.lstat(path);
        // Only regular files are ours to remove; a directory or symlink under a key name is left alone.
        if (!stat.isFile()) return null;
        await this.#ops.unlink(path);
        removedBytes = stat.size;
      } catch (error) {
        if (errnoOf(error) === "ENOENT") continue;
        // e.g. EROFS, EACCES: the file stays, so does its accounting; the controller retries later.
        this.logger.warn("delete failed; key kept", {
          key: key.id,
          errno: errnoOf(error),
          error: String(error),
        });
        return null;
      }
    }
    if (!known) return null;
    return removedBytes === undefined ? known : { key: known.key, sizeBytes: removedBytes };
  }

  // ---- listing and status ---------------------------------------------------------------------------

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    await this.ready;
    const baseDir = this.#requireLayout().baseDir;
    const after = options.cursor === undefined ? undefined : decodeListCursor(options.cursor);
    const byId = new Map<string, ObjectKey>();
    for (const name of await this.#ops.readdir(baseDir)) {
      if (parseTempName(name) !== null) continue;
      const key = decodeFsKey(name);
      if (key === null) continue;
      if (options.modelName !== undefined && key.modelName !== options.modelName) continue;
      if (after !== undefined && key.id <= after) continue;
      byId.set(key.id, key);
    }
    const candidates = [...byId.values()];
    candidates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const entries: KeyListEntry[] = [];
    let examined = 0;
    // Stat in small batches until the page is full; files that are not complete keys are skipped.
    while (entries.length < options.pageSize && examined < candidates.length) {
      const batch = candidates.slice(examined, examined + (options.pageSize - entries.length));
      examined += batch.length;
      const sizes = await mapWithConcurrency(batch, 16, async (key) => {
        for (const name of keyFileNames(key)) {
          const state = await this.#statKeyFile(join(baseDir, name)).catch(() => "missing" as const);
          if (typeof state === "number") return state;
        }
        return "missing" as const;
      });
      batch.forEach((key, i) => {
        const size = sizes[i];
        if (typeof size === "number") entries.push({ key, sizeBytes: size });
      });
    }
    const last = candidates[examined - 1];
    return {
      entries,
      nextCursor: examined < candidates.length && last ? encodeListCursor(last.id) : null,
    };
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
      odirect: {
        requested: this.#direct.requested,
        active: this.#direct.active,
        blockSize: this.#direct.blockSize,
        disabledReason: this.#direct.disabledReason,
      },
      syncWrites: this.config.syncWrites,
      ioConcurrency: this.config.ioConcurrency,
      storedObjectCount: this.#index.size,
      lockedKeyCount: this.#locks.size,
      currentSizeBytes: usage.totalBytesUsed,
      maxCapacityBytes: this.capacityBytes,
      usageFraction: usage.usageFraction,
      evictionConfigured: this.config.eviction !== null,
      recovery: this.#recovery && {
        recoveredKeys: this.#recovery.entries.length,
        recoveredBytes: this.#recovery.entries.reduce((sum, e) => sum + e.sizeBytes, 0),
        skippedFiles: this.#recovery.skipped,
        tempFilesRemoved: this.#recovery.tempRemoved,
      },
      failedStoreKeys: this.#failedStoreKeys,
      lastStoreError: this.#lastStoreError,
      linkSupported: !this.#linkUnsupported.value,
    };
  }

  protected override async _close(): Promise<void> {
    await this.ready.catch(() => {});
    this.#locks.clear();
  }

  /** For tests: locks held on `key`. */
  debugLockCount(key: ObjectKey): number {
    return this.#locks.count(key);
  }
}

/** Reads [start, end) of the file into the same range of `target`; false if the file ends early. */
async function readFully(fh: FileHandle, target: Uint8Array, start: number, end: number): Promise<boolean> {
  let offset = start;
  while (offset < end) {
    const { bytesRead } = await fh.read(target, offset, end - offset, offset);
    if (bytesRead === 0) return false;
    offset += bytesRead;
  }
  return true;
}

/**
 * File names that may hold `key`: the canonical one, then (group 0, unsalted keys only) LMCache's legacy
 * three-field name, which older LMCache versions wrote and which decodes to the same key.
 */
export function keyFileNames(key: ObjectKey): string[] {
  const canonical = encodeFsKey(key);
  if (key.objectGroupId !== 0 || key.cacheSalt !== "") return [canonical];
  const legacy = canonical.replace(/@0@([0-9a-f]+)\.data$/, "@$1.data");
  return legacy === canonical ? [canonical] : [canonical, legacy];
}
