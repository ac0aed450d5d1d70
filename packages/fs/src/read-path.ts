import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { L2Logger, ObjectKey } from "@x/l2-core";
import { errnoOf, type FsOps } from "./fs-ops.js";
import { keyFileNames } from "./key-files.js";
import { type DirectIo, isDirectIoRejection } from "./odirect.js";
import { byteLengthOf, scatter, viewsOf } from "./parts.js";

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

export interface ReadContext {
  ops: FsOps;
  direct: DirectIo;
  /** `read_ahead_size`: read this many bytes first, the rest only when they all arrived. */
  readAheadSize: number | undefined;
  logger: L2Logger;
}

/** "gone": no file of the key is there (another process may have deleted it). */
export type LoadResult = "hit" | "miss" | "gone";

/**
 * Loads `key` into `parts` (the object laid over one or more caller buffers, in order); a hit only when the
 * file holds exactly as many bytes as the parts together and all were read: a shorter or a longer file is a
 * miss. `knownSize` is a size this adapter already saw (store, recovery, lookup): published files are never
 * rewritten, so it saves an fstat per load; the reads still check the length, so a file changed behind the
 * adapter's back is a miss too. Every failure is a miss (logged unless the file is just gone).
 */
export async function loadKeyFile(
  ctx: ReadContext,
  baseDir: string,
  key: ObjectKey,
  parts: readonly Uint8Array[],
  knownSize: number | undefined,
): Promise<LoadResult> {
  let names: string[];
  try {
    names = keyFileNames(key);
  } catch {
    return "miss";
  }
  const size = byteLengthOf(parts);
  if (size === 0) return "miss";
  if (knownSize !== undefined && knownSize !== size) return "miss";
  for (const name of names) {
    const result = await loadFile(ctx, join(baseDir, name), key, parts, size, knownSize !== undefined);
    if (result !== "gone") return result;
  }
  return "gone";
}

async function loadFile(
  ctx: ReadContext,
  path: string,
  key: ObjectKey,
  parts: readonly Uint8Array[],
  size: number,
  trustedSize: boolean,
): Promise<LoadResult> {
  try {
    if (ctx.direct.usable(size)) {
      const result = await loadDirect(ctx, path, parts, size, trustedSize);
      if (result !== "rejected") return result ? "hit" : "miss";
    }
    return (await loadBuffered(ctx, path, parts, size, trustedSize)) ? "hit" : "miss";
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ENOENT") return "gone";
    // Symlinks (O_NOFOLLOW) are plain misses.
    if (code !== "ELOOP") {
      ctx.logger.warn("load failed; reported as a miss", { key: key.id, errno: code, error: String(error) });
    }
    return "miss";
  }
}

async function loadBuffered(
  ctx: ReadContext,
  path: string,
  parts: readonly Uint8Array[],
  size: number,
  trustedSize: boolean,
): Promise<boolean> {
  const fh = await ctx.ops.open(path, READ_FLAGS);
  try {
    if (!trustedSize && !(await sizeMatches(fh, size))) return false;
    const readAhead = ctx.readAheadSize;
    if (readAhead !== undefined && readAhead < size) {
      // Read the head first; only when it arrives completely is the rest worth reading.
      if (!(await readRange(fh, parts, 0, readAhead))) return false;
      return await readPartsExactly(fh, parts, readAhead);
    }
    return await readPartsExactly(fh, parts, 0);
  } finally {
    await fh.close();
  }
}

async function loadDirect(
  ctx: ReadContext,
  path: string,
  parts: readonly Uint8Array[],
  size: number,
  trustedSize: boolean,
): Promise<boolean | "rejected"> {
  let fh: FileHandle;
  try {
    fh = await ctx.ops.open(path, READ_FLAGS | constants.O_DIRECT);
  } catch (error) {
    if (!isDirectIoRejection(error)) throw error;
    ctx.direct.disable(error, "open for read");
    return "rejected";
  }
  // One block more than the object: a longer file fills into it, so the length check costs no extra call.
  const window = ctx.direct.acquire(size + ctx.direct.blockSize);
  try {
    if (!trustedSize && !(await sizeMatches(fh, size))) return false;
    if ((await readUntilEnd(fh, window)) !== size) return false;
    scatter(window, parts);
    return true;
  } catch (error) {
    if (!isDirectIoRejection(error)) throw error;
    ctx.direct.disable(error, "read");
    return "rejected";
  } finally {
    ctx.direct.release(window);
    await fh.close();
  }
}

/** A short or long file is a miss: the bytes would not be exactly the stored object. */
async function sizeMatches(fh: FileHandle, expected: number): Promise<boolean> {
  const stat = await fh.stat();
  return stat.isFile() && stat.size === expected;
}

/** Reads bytes [start, end) of the file into the same bytes of the parts; false if the file ends early. */
async function readRange(
  fh: FileHandle,
  parts: readonly Uint8Array[],
  start: number,
  end: number,
): Promise<boolean> {
  let offset = start;
  while (offset < end) {
    const { bytesRead } = await fh.readv(viewsOf(parts, offset, end), offset);
    if (bytesRead === 0) return false;
    offset += bytesRead;
  }
  return true;
}

/**
 * Receives one more byte than asked for; what lands here is never read, only whether something did (the
 * file is longer than the object). Shared: concurrent reads may write it at once, harmlessly.
 */
const PAST_END = Buffer.alloc(1);

/**
 * Fills the parts from file offset `start` on and checks that the file ends exactly where the last part
 * ends: each readv asks for one byte past the end. A regular file returns fewer bytes than asked only at
 * its end, so a read that stops exactly at the end of the parts proves the length without an fstat.
 */
async function readPartsExactly(
  fh: FileHandle,
  parts: readonly Uint8Array[],
  start: number,
): Promise<boolean> {
  const total = byteLengthOf(parts);
  let offset = start;
  for (;;) {
    const { bytesRead } = await fh.readv([...viewsOf(parts, offset, total), PAST_END], offset);
    if (bytesRead === 0) return offset === total;
    if (offset + bytesRead > total) return false;
    offset += bytesRead;
    if (offset === total) return true;
  }
}

/** Reads from offset 0 until the file ends or `buffer` is full; the number of bytes read. */
async function readUntilEnd(fh: FileHandle, buffer: Uint8Array): Promise<number> {
  let offset = 0;
  while (offset < buffer.byteLength) {
    const asked = buffer.byteLength - offset;
    const { bytesRead } = await fh.read(buffer, offset, asked, offset);
    offset += bytesRead;
    if (bytesRead < asked) break;
  }
  return offset;
}
