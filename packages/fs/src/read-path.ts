import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { L2Logger, ObjectKey } from "@x/l2-core";
import { errnoOf, type FsOps } from "./fs-ops.js";
import { keyFileNames } from "./key-files.js";
import { type DirectIo, isDirectIoRejection } from "./odirect.js";

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

export interface ReadContext {
  ops: FsOps;
  direct: DirectIo;
  /** `read_ahead_size`: read this many bytes first, the rest only when they all arrived. */
  readAheadSize: number | undefined;
  logger: L2Logger;
}

/**
 * Loads `key` into `target`; true only when the file holds exactly `target.byteLength` bytes and all were
 * read: a shorter or a longer file is a miss. `knownSize` is a size this adapter already saw (store,
 * recovery, lookup): published files are never rewritten, so it saves an fstat per load; the reads still
 * check the length, so a file changed behind the adapter's back is a miss too. Every failure is a miss
 * (logged unless the file is just gone).
 */
export async function loadKeyFile(
  ctx: ReadContext,
  baseDir: string,
  key: ObjectKey,
  target: Uint8Array,
  knownSize: number | undefined,
): Promise<boolean> {
  let names: string[];
  try {
    names = keyFileNames(key);
  } catch {
    return false;
  }
  if (target.byteLength === 0) return false;
  if (knownSize !== undefined && knownSize !== target.byteLength) return false;
  for (const name of names) {
    const hit = await loadFile(ctx, join(baseDir, name), key, target, knownSize !== undefined);
    if (hit !== "missing") return hit;
  }
  return false;
}

async function loadFile(
  ctx: ReadContext,
  path: string,
  key: ObjectKey,
  target: Uint8Array,
  trustedSize: boolean,
): Promise<boolean | "missing"> {
  try {
    if (ctx.direct.usable(target.byteLength)) {
      const result = await loadDirect(ctx, path, target, trustedSize);
      if (result !== "rejected") return result;
    }
    return await loadBuffered(ctx, path, target, trustedSize);
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ENOENT") return "missing";
    // Symlinks (O_NOFOLLOW) are plain misses.
    if (code !== "ELOOP") {
      ctx.logger.warn("load failed; reported as a miss", { key: key.id, errno: code, error: String(error) });
    }
    return false;
  }
}

async function loadBuffered(
  ctx: ReadContext,
  path: string,
  target: Uint8Array,
  trustedSize: boolean,
): Promise<boolean> {
  const fh = await ctx.ops.open(path, READ_FLAGS);
  try {
    if (!trustedSize && !(await sizeMatches(fh, target.byteLength))) return false;
    const readAhead = ctx.readAheadSize;
    if (readAhead !== undefined && readAhead < target.byteLength) {
      // Read the head first; only when it arrives completely is the rest worth reading.
      if (!(await readFully(fh, target, 0, readAhead))) return false;
      return await readPartsExactly(fh, [target], readAhead);
    }
    return await readPartsExactly(fh, [target], 0);
  } finally {
    await fh.close();
  }
}

async function loadDirect(
  ctx: ReadContext,
  path: string,
  target: Uint8Array,
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
  const window = ctx.direct.acquire(target.byteLength + ctx.direct.blockSize);
  try {
    if (!trustedSize && !(await sizeMatches(fh, target.byteLength))) return false;
    if ((await readUntilEnd(fh, window)) !== target.byteLength) return false;
    target.set(window.subarray(0, target.byteLength));
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
 * Receives one more byte than asked for; what lands here is never read, only whether something did (the
 * file is longer than the object). Shared: concurrent reads may write it at once, harmlessly.
 */
const PAST_END = Buffer.alloc(1);

/** The parts from byte `offset` of their concatenation on. */
function partsFrom(parts: readonly Uint8Array[], offset: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = offset;
  for (const part of parts) {
    if (skip >= part.byteLength) {
      skip -= part.byteLength;
      continue;
    }
    out.push(skip === 0 ? part : part.subarray(skip));
    skip = 0;
  }
  return out;
}

/**
 * Fills `parts` (one object laid over several buffers, in order) from file offset `start` on, and checks
 * that the file ends exactly where the last part ends: each readv asks for one byte past the end. A
 * regular file returns fewer bytes than asked only at its end, so a read that stops exactly at the end of
 * the parts proves the length without an fstat.
 */
export async function readPartsExactly(
  fh: FileHandle,
  parts: readonly Uint8Array[],
  start: number,
): Promise<boolean> {
  const total = parts.reduce((sum, p) => sum + p.byteLength, 0);
  let offset = start;
  for (;;) {
    const { bytesRead } = await fh.readv([...partsFrom(parts, offset), PAST_END], offset);
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
