import type { Bitmap } from "@x/l2-core";
import { L2Error, type ObjectKey } from "@x/l2-core";
import { errnoOf } from "./fs-ops.js";

/** What one key of a store came to. */
export type KeyStore =
  | { kind: "published" | "existed"; sizeBytes: number }
  | { kind: "failed"; error: unknown }
  | { kind: "aborted" };

/**
 * The task error of a batch whose keys did not all get stored: a single typed failure is passed through,
 * several are summarised (how many, the first cause). The keys that were published stay: they are
 * complete, immutable files.
 */
export function batchStoreError(
  adapterType: string,
  failures: ReadonlyArray<{ key: ObjectKey; error: unknown }>,
  batchSize: number,
): L2Error {
  const first = failures[0]!;
  const cause = first.error instanceof Error ? first.error.message : String(first.error);
  const message =
    `${failures.length} of ${batchSize} keys were not stored (first: ${first.key.toString()}: ` +
    `${errnoOf(first.error) ?? ""} ${cause}); ` +
    "the other keys of the batch are stored completely, failed keys left no file";
  if (first.error instanceof L2Error && failures.length === 1) return first.error;
  return new L2Error("IO_FAILED", message, { adapterType, cause: first.error });
}

/** Every file of the batch is complete and visible, but the names may not survive a power loss. */
export function directorySyncError(
  adapterType: string,
  baseDir: string,
  batchSize: number,
  cause: unknown,
): L2Error {
  return new L2Error(
    "IO_FAILED",
    `all ${batchSize} keys were published but fsync of ${baseDir} failed ` +
      `(${errnoOf(cause) ?? String(cause)}); they may not survive a power loss`,
    { adapterType, cause },
  );
}

/** The signal aborted the store before every key was started; the keys not started are not stored. */
export function abortedStoreError(adapterType: string, stored: Bitmap, batchSize: number): L2Error {
  return new L2Error(
    "ABORTED",
    `store aborted by its signal: ${batchSize - stored.popcount()} of ${batchSize} keys were not started ` +
      "and are not stored; the others are stored completely",
    { adapterType },
  );
}
