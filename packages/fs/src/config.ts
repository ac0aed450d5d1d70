import { defineL2AdapterConfig, z } from "@x/l2-core";

const positiveInt = (what: string) =>
  z
    .number({ message: `must be a positive integer (${what})` })
    .int({ message: `must be a positive integer (${what})` })
    .positive({ message: `must be a positive integer (${what})` });

/** Why a `relative_tmp_dir` is unusable, or undefined when it is fine (checked again on disk at start). */
export function relativeTmpDirProblem(value: string): string | undefined {
  if (value.length === 0) return "must not be empty; omit the key to keep temp files next to the keys";
  if (value.includes("\0")) return "must not contain NUL";
  if (value.startsWith("/") || value.startsWith("\\") || /^[A-Za-z]:/.test(value)) {
    return "must be relative to base_path, not absolute";
  }
  if (value.split(/[\\/]/).some((part) => part === "..")) {
    return 'must not contain ".." (it has to stay inside base_path)';
  }
  if (value.split(/[\\/]/).every((part) => part === "" || part === ".")) {
    return 'must name a sub-directory of base_path, not base_path itself (omit it, or use e.g. ".tmp")';
  }
  return undefined;
}

/** Default number of per-key I/O operations in flight inside one batch. */
export const DEFAULT_IO_CONCURRENCY = 8;

/** LMCache's `fs` adapter keys (FSL2AdapterConfig plus the capacity and concurrency variants). */
export class FsL2AdapterConfig extends defineL2AdapterConfig(
  "fs",
  z.object({
    base_path: z
      .string({ message: "must be a string (the cache directory)" })
      .min(1, { message: "must be a non-empty path (the cache directory)" })
      .refine((v) => !v.includes("\0"), { message: "must not contain NUL" })
      .describe("directory holding one file per key; created (0700) if missing"),
    relative_tmp_dir: z
      .string({ message: "must be a string" })
      .superRefine((value, ctx) => {
        const problem = relativeTmpDirProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional()
      .describe(
        "sub-directory of base_path for temp files (relative, no '..'); default: temp files live in base_path",
      ),
    read_ahead_size: positiveInt("bytes")
      .optional()
      .describe("bytes read first on load; the rest is read only if they all arrive"),
    use_odirect: z
      .boolean({ message: "must be true or false" })
      .default(false)
      .describe(
        "O_DIRECT for block-aligned chunk sizes; falls back to buffered I/O if the kernel rejects it",
      ),
    max_capacity_gb: z
      .number({ message: "must be a number >= 0 (GiB)" })
      .nonnegative({ message: "must be a number >= 0 (GiB); 0 = unbounded" })
      .default(0)
      .describe(
        "capacity in GiB (2^30 bytes); 0 = unbounded. Stores that would exceed it fail; eviction needs an `eviction` block",
      ),
    recover_on_start: z
      .boolean({ message: "must be true or false" })
      .default(true)
      .describe("count key files already in base_path at start (usage, LRU order by mtime)"),
    io_concurrency: positiveInt("operations in flight")
      .default(DEFAULT_IO_CONCURRENCY)
      .describe("per-key file operations in flight inside one batch"),
    sync_writes: z
      .boolean({ message: "must be true or false" })
      .default(false)
      .describe(
        "fdatasync each file before publishing it and fsync the directory after (power-loss durability)",
      ),
  }),
  {
    summary:
      "one file per key in a local or shared directory, LMCache's fs layout, crash-safe atomic publish",
    example: { base_path: "/var/cache/x-l2", max_capacity_gb: 100, eviction: { eviction_policy: "LRU" } },
  },
) {}
