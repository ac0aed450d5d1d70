import { join } from "node:path";
import { decodeFsKey, encodeFsKey, FS_KEY_SUFFIX, type L2Logger, type ObjectKey } from "@x/l2-core";
import { errnoOf, type FsOps } from "./fs-ops.js";

/**
 * File names that may hold `key`: the canonical one, then (group 0, unsalted keys only) LMCache's legacy
 * three-field name `<model>@0x<rank>@<hash>.data`, which older LMCache versions wrote. The legacy name is
 * kept only when the core codec decodes it back to the same key, so the codec stays the one authority on
 * what a key file is called.
 */
export function keyFileNames(key: ObjectKey): string[] {
  const canonical = encodeFsKey(key);
  if (key.objectGroupId !== 0 || key.cacheSalt !== "") return [canonical];
  const [model, rank, , hash] = canonical.slice(0, -FS_KEY_SUFFIX.length).split("@");
  const legacy = `${model}@${rank}@${hash}${FS_KEY_SUFFIX}`;
  return decodeFsKey(legacy)?.equals(key) ? [canonical, legacy] : [canonical];
}

/** Size of a complete key file, or why there is none: "empty", "occupied" (not a regular file), "missing". */
export type KeyFileState = number | "empty" | "occupied" | "missing";

export async function statKeyFile(ops: FsOps, path: string): Promise<KeyFileState> {
  try {
    const stat = await ops.lstat(path);
    if (!stat.isFile()) return "occupied";
    return stat.size > 0 ? stat.size : "empty";
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return "missing";
    throw error;
  }
}

/** The first complete file of `key` (canonical name first): its size and whether it has the legacy name. */
export async function findKeyFile(
  ops: FsOps,
  baseDir: string,
  key: ObjectKey,
): Promise<{ sizeBytes: number; legacy: boolean } | undefined> {
  for (const [i, name] of keyFileNames(key).entries()) {
    const state = await statKeyFile(ops, join(baseDir, name));
    if (typeof state === "number") return { sizeBytes: state, legacy: i > 0 };
  }
  return undefined;
}

/**
 * Unlinks every file of `key` (regular files only: a directory or symlink under a key name is left alone).
 * True when no file of the key is left; false when one stays (not a regular file, or the unlink failed,
 * e.g. EROFS or EACCES: logged, and the caller keeps the key so eviction can retry).
 */
export async function removeKeyFiles(
  ops: FsOps,
  baseDir: string,
  key: ObjectKey,
  logger: L2Logger,
): Promise<boolean> {
  for (const name of keyFileNames(key)) {
    const path = join(baseDir, name);
    try {
      if (!(await ops.lstat(path)).isFile()) return false;
      await ops.unlink(path);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") continue;
      logger.warn("delete failed; key kept", { key: key.id, errno: errnoOf(error), error: String(error) });
      return false;
    }
  }
  return true;
}
