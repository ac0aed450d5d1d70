import { join } from "node:path";
import {
  decodeFsKey,
  isLegacyFsKeyName,
  type L2Logger,
  mapWithConcurrency,
  type ObjectKey,
} from "@x/l2-core";
import { errnoOf, type FsOps } from "./fs-ops.js";
import { isTempOwnerGone, parseTempName } from "./temp-names.js";

/** Temp files of writers on other hosts (shared directories) are removed only after this long. */
export const FOREIGN_TEMP_MAX_AGE_MS = 60 * 60 * 1000;

export interface RecoveredEntry {
  key: ObjectKey;
  sizeBytes: number;
  mtimeMs: number;
}

export interface RecoveryResult {
  /** Key files found, oldest first (mtime), for LRU order. */
  entries: RecoveredEntry[];
  /** Directory entries that are not key files (foreign names, empty, non-regular, symlinks). */
  skipped: number;
  /** Temp leftovers of dead writers that were removed. */
  tempRemoved: number;
  /** Key files with LMCache's legacy three-field names (counted even without `recover`). */
  legacyNames: number;
}

async function removeDeadTemps(ops: FsOps, dir: string, names: string[], logger: L2Logger): Promise<number> {
  let removed = 0;
  const now = Date.now();
  await mapWithConcurrency(names, 16, async (name) => {
    const owner = parseTempName(name);
    if (owner === null) return;
    const path = join(dir, name);
    try {
      const stat = await ops.lstat(path);
      if (!stat.isFile()) return;
      if (!isTempOwnerGone(owner) && now - stat.mtimeMs < FOREIGN_TEMP_MAX_AGE_MS) return;
      await ops.unlink(path);
      removed++;
    } catch (error) {
      if (errnoOf(error) !== "ENOENT")
        logger.warn("could not remove a temp leftover", { path, error: String(error) });
    }
  });
  return removed;
}

/**
 * Start-up scan of the cache directory: removes temp files left by writers that died (this host, process
 * gone; other hosts after an hour) and, when `recover` is set, lists the key files already there so usage
 * and LRU order include them. Only regular non-empty files whose name is a canonical key count; symlinks
 * are never followed.
 */
export async function recoverDirectory(
  ops: FsOps,
  baseDir: string,
  tempDir: string,
  recover: boolean,
  logger: L2Logger,
): Promise<RecoveryResult> {
  const names = await ops.readdir(baseDir);
  let tempRemoved = await removeDeadTemps(ops, baseDir, names, logger);
  if (tempDir !== baseDir) {
    const tempNames = await ops.readdir(tempDir).catch(() => [] as string[]);
    tempRemoved += await removeDeadTemps(ops, tempDir, tempNames, logger);
  }
  const legacyNames = names.filter((n) => n.split("@").length === 3 && isLegacyFsKeyName(n)).length;
  if (!recover) return { entries: [], skipped: 0, tempRemoved, legacyNames };
  const entries: RecoveredEntry[] = [];
  let skipped = 0;
  await mapWithConcurrency(names, 16, async (name) => {
    if (parseTempName(name) !== null) return;
    const key = decodeFsKey(name);
    if (key === null) {
      skipped++;
      return;
    }
    try {
      const stat = await ops.lstat(join(baseDir, name));
      if (!stat.isFile() || stat.size === 0) {
        skipped++;
        return;
      }
      entries.push({ key, sizeBytes: stat.size, mtimeMs: stat.mtimeMs });
    } catch {
      skipped++;
    }
  });
  entries.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.key.id < b.key.id ? -1 : 1));
  return { entries, skipped, tempRemoved, legacyNames };
}

/** What `status().recovery` reports about the start-up scan. */
export function recoverySummary(recovery: RecoveryResult): Record<string, number> {
  return {
    recoveredKeys: recovery.entries.length,
    recoveredBytes: recovery.entries.reduce((sum, e) => sum + e.sizeBytes, 0),
    skippedFiles: recovery.skipped,
    tempFilesRemoved: recovery.tempRemoved,
  };
}
