import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { L2Error } from "@x/l2-core";
import { relativeTmpDirProblem } from "./config.js";
import { errnoOf, type FsOps } from "./fs-ops.js";

export interface FsLayout {
  /** Absolute base directory (as configured, resolved). */
  baseDir: string;
  /** Directory for temp files: `baseDir` itself or the checked `relative_tmp_dir`. */
  tempDir: string;
  /** True when temp files live in their own sub-directory. */
  separateTempDir: boolean;
}

function invalid(field: string, message: string, cause?: unknown): L2Error {
  return new L2Error("CONFIG_INVALID", `field "${field}": ${message}`, {
    adapterType: "fs",
    field,
    cause,
  });
}

/** True when `child` is `parent` or below it (both absolute, resolved). */
function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Creates base_path and relative_tmp_dir (0700, only what is missing) and checks on disk that the temp
 * directory really is inside base_path: no component may be a symlink and both must be on one file system
 * (publishing is a hard link). Every problem is a CONFIG_INVALID error naming the field.
 */
export async function prepareLayout(
  ops: FsOps,
  basePath: string,
  relativeTmpDir: string | undefined,
): Promise<FsLayout> {
  const baseDir = resolve(basePath);
  try {
    await ops.mkdir(baseDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw invalid("base_path", `cannot create ${JSON.stringify(baseDir)}: ${String(error)}`, error);
  }
  const baseStat = await ops.lstat(baseDir).catch((error: unknown) => {
    throw invalid("base_path", `cannot stat ${JSON.stringify(baseDir)}: ${String(error)}`, error);
  });
  if (baseStat.isSymbolicLink()) {
    // A symlinked base is the operator's choice (e.g. a mount moved elsewhere): follow it once, here.
    const target = await ops.realpath(baseDir);
    return prepareLayout(ops, target, relativeTmpDir);
  }
  if (!baseStat.isDirectory()) throw invalid("base_path", `${JSON.stringify(baseDir)} is not a directory`);
  if (relativeTmpDir === undefined) return { baseDir, tempDir: baseDir, separateTempDir: false };

  const problem = relativeTmpDirProblem(relativeTmpDir);
  if (problem) throw invalid("relative_tmp_dir", problem);
  const tempDir = resolve(baseDir, relativeTmpDir);
  if (!isInside(baseDir, tempDir) || tempDir === baseDir) {
    throw invalid("relative_tmp_dir", `resolves to ${JSON.stringify(tempDir)}, outside base_path`);
  }
  // Walk down from base, creating what is missing and refusing symlinks at every step.
  let current = baseDir;
  for (const part of relative(baseDir, tempDir).split(sep)) {
    current = join(current, part);
    let stat = await ops.lstat(current).catch((error: unknown) => {
      if (errnoOf(error) === "ENOENT") return null;
      throw invalid("relative_tmp_dir", `cannot stat ${JSON.stringify(current)}: ${String(error)}`, error);
    });
    if (stat === null) {
      await ops.mkdir(current, { mode: 0o700 }).catch((error: unknown) => {
        if (errnoOf(error) !== "EEXIST") {
          throw invalid(
            "relative_tmp_dir",
            `cannot create ${JSON.stringify(current)}: ${String(error)}`,
            error,
          );
        }
      });
      stat = await ops.lstat(current);
    }
    if (stat.isSymbolicLink()) {
      throw invalid(
        "relative_tmp_dir",
        `${JSON.stringify(current)} is a symlink; temp files must stay inside base_path (use a real sub-directory)`,
      );
    }
    if (!stat.isDirectory())
      throw invalid("relative_tmp_dir", `${JSON.stringify(current)} is not a directory`);
    if (stat.dev !== baseStat.dev) {
      throw invalid(
        "relative_tmp_dir",
        `${JSON.stringify(current)} is on another file system than base_path; publishing needs one file system`,
      );
    }
  }
  const real = await ops.realpath(tempDir);
  const realBase = await ops.realpath(baseDir);
  if (!isInside(realBase, real)) {
    throw invalid("relative_tmp_dir", `resolves to ${JSON.stringify(real)}, outside base_path`);
  }
  return { baseDir, tempDir, separateTempDir: true };
}
