import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { L2Error, type L2Logger, type ObjectKey } from "@x/l2-core";
import { errnoOf, type FsOps } from "./fs-ops.js";
import { keyFileNames, statKeyFile } from "./key-files.js";
import { type DirectIo, isDirectIoRejection } from "./odirect.js";
import { byteLengthOf, gather, viewsOf } from "./parts.js";
import { newTempName } from "./temp-names.js";

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
const FILE_MODE = 0o600;
/** link() refused by the file system itself (some FUSE/SMB mounts): publish by rename instead. */
const LINK_UNSUPPORTED = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK"]);

export interface PublishContext {
  /** Type name for errors. */
  adapterType: string;
  ops: FsOps;
  tempDir: string;
  direct: DirectIo;
  syncWrites: boolean;
  logger: L2Logger;
  /** Set once link() proved unsupported; publishing then renames after an existence check. */
  linkUnsupported: { value: boolean };
  /**
   * Run link/unlink synchronously: on a local file system they take 3-25 µs, less than one libuv
   * thread-pool round trip (~50-100 µs on these VMs). Off for shared (network) directories, where a
   * metadata call may take milliseconds and must not block the event loop.
   */
  syncMetadata: boolean;
}

/** `published` false: a complete file was already there (another writer won), nothing was replaced. */
interface PublishOutcome {
  published: boolean;
  bytesWritten: number;
}

/**
 * Writes the parts one after another from offset 0, retrying short writes: one buffer with write(), several
 * with writev() (a header and its payload go out in one call, without joining them).
 */
async function writeFully(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  const total = byteLengthOf(parts);
  let offset = 0;
  while (offset < total) {
    const { bytesWritten } =
      parts.length === 1
        ? await fh.write(parts[0]!, offset, total - offset, offset)
        : await fh.writev(viewsOf(parts, offset, total), offset);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`write made no progress at offset ${offset}`), { code: "EIO" });
    }
    offset += bytesWritten;
  }
}

async function writeDirect(
  ctx: PublishContext,
  tempPath: string,
  parts: readonly Uint8Array[],
  size: number,
): Promise<boolean> {
  let fh: FileHandle | undefined;
  const window = ctx.direct.acquire(size);
  try {
    fh = await ctx.ops.open(tempPath, CREATE_FLAGS | constants.O_DIRECT, FILE_MODE);
    // The aligned window is a copy anyway, so parts cost nothing extra here.
    gather(parts, window);
    await writeFully(fh, [window]);
    if (ctx.syncWrites) await fh.datasync();
    await fh.close();
    fh = undefined;
    return true;
  } catch (error) {
    await fh?.close().catch(() => {});
    if (!isDirectIoRejection(error)) throw error;
    ctx.direct.disable(error, fh === undefined ? "open" : "write");
    await ctx.ops.unlink(tempPath).catch(() => {});
    return false;
  } finally {
    ctx.direct.release(window);
  }
}

async function writeBuffered(
  ctx: PublishContext,
  tempPath: string,
  parts: readonly Uint8Array[],
): Promise<void> {
  const fh = await ctx.ops.open(tempPath, CREATE_FLAGS, FILE_MODE);
  try {
    await writeFully(fh, parts);
    if (ctx.syncWrites) await fh.datasync();
  } finally {
    await fh.close();
  }
}

async function exists(ops: FsOps, path: string): Promise<boolean> {
  try {
    await ops.lstat(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return false;
    throw error;
  }
}

/**
 * Publishes the parts (one object) under `finalPath` without ever replacing an existing file: the bytes go to a unique
 * owner-only temp file first, then `link(temp, final)` creates the final name only if it is absent (the
 * kernel decides atomically, across processes), then the temp name is removed. A reader therefore sees
 * either no file or the complete one; concurrent writers of one key leave exactly one file; the temp file
 * is removed on every path (a crash in between leaves a `.x-l2-tmp.*` file that start-up cleans).
 */
async function writeAndPublish(
  ctx: PublishContext,
  finalPath: string,
  parts: readonly Uint8Array[],
): Promise<PublishOutcome> {
  const size = byteLengthOf(parts);
  const tempPath = join(ctx.tempDir, newTempName());
  try {
    const wroteDirect = ctx.direct.usable(size) && (await writeDirect(ctx, tempPath, parts, size));
    if (!wroteDirect) await writeBuffered(ctx, tempPath, parts);
    if (!ctx.linkUnsupported.value) {
      try {
        if (ctx.syncMetadata) ctx.ops.linkSync(tempPath, finalPath);
        else await ctx.ops.link(tempPath, finalPath);
        return { published: true, bytesWritten: size };
      } catch (error) {
        const code = errnoOf(error);
        if (code === "EEXIST") return { published: false, bytesWritten: 0 };
        if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw error;
        ctx.linkUnsupported.value = true;
        ctx.logger.warn(
          `link() is not supported here (${code}); publishing by rename after an existence check`,
          {
            errno: code,
          },
        );
      }
    }
    // Fallback only: a writer racing between the check and the rename may replace an identical file.
    if (await exists(ctx.ops, finalPath)) return { published: false, bytesWritten: 0 };
    await ctx.ops.rename(tempPath, finalPath);
    return { published: true, bytesWritten: size };
  } finally {
    await removeTemp(ctx, tempPath);
  }
}

async function removeTemp(ctx: PublishContext, tempPath: string): Promise<void> {
  try {
    if (ctx.syncMetadata) ctx.ops.unlinkSync(tempPath);
    else await ctx.ops.unlink(tempPath);
  } catch (error) {
    if (errnoOf(error) !== "ENOENT") {
      ctx.logger.warn("could not remove a temp file", { tempPath, error: String(error) });
    }
  }
}

export interface PublishKeyOptions {
  /** LMCache's legacy names exist in the directory, so a legacy file of the key counts as present. */
  checkLegacy: boolean;
  /** The adapter believes the key is present: confirm before writing (another process may have deleted it). */
  probablyPresent: boolean;
  /** Called when a key believed present turned out to have no file. */
  onVanished: () => void;
}

/** `written` false: a complete file of the key was already there; `sizeBytes` is then its size. */
export interface KeyPublishResult {
  written: boolean;
  sizeBytes: number;
}

/**
 * Makes `key` present in `baseDir` with the bytes of `parts`, unless a complete file of the key is already
 * there. New keys skip the existence check (link() refuses an existing name anyway, and a duplicate from
 * another process only costs the temp write). Races are settled by the name: an empty file under it is
 * garbage (writers link complete files only) and is replaced; one that vanished is published again once.
 */
export async function publishKey(
  ctx: PublishContext,
  baseDir: string,
  key: ObjectKey,
  parts: readonly Uint8Array[],
  options: PublishKeyOptions,
): Promise<KeyPublishResult> {
  const size = byteLengthOf(parts);
  if (size === 0) {
    throw new L2Error("ARGUMENT_INVALID", "an empty object cannot be stored (empty files are never hits)", {
      adapterType: ctx.adapterType,
      field: "objects",
    });
  }
  const [name, legacyName] = keyFileNames(key);
  const finalPath = join(baseDir, name!);
  if (legacyName !== undefined && options.checkLegacy) {
    const legacy = await statKeyFile(ctx.ops, join(baseDir, legacyName));
    if (typeof legacy === "number") return { written: false, sizeBytes: legacy };
  }
  if (options.probablyPresent) {
    const existing = await statKeyFile(ctx.ops, finalPath);
    if (typeof existing === "number") return { written: false, sizeBytes: existing };
    options.onVanished();
  }
  for (let attempt = 0; ; attempt++) {
    const outcome = await writeAndPublish(ctx, finalPath, parts);
    if (outcome.published) return { written: true, sizeBytes: size };
    const existing = await statKeyFile(ctx.ops, finalPath);
    if (typeof existing === "number") return { written: false, sizeBytes: existing };
    if (existing === "occupied") {
      throw new L2Error(
        "IO_FAILED",
        `${finalPath} exists but is not a regular file; remove it to store this key`,
        {
          adapterType: ctx.adapterType,
        },
      );
    }
    if (attempt > 0) {
      throw new L2Error("IO_FAILED", `could not publish ${finalPath}: the name keeps changing under it`, {
        adapterType: ctx.adapterType,
      });
    }
    // "missing": deleted between link() and lstat(); publish again.
    if (existing === "empty") await ctx.ops.unlink(finalPath).catch(() => {});
  }
}
