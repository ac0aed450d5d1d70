import { L2Error, type ObjectKey } from "@x/l2-core";
import { errnoOf } from "./fs-ops.js";

/** What one key of a store batch came to; `adopted`: this call added the key to the accounting. */
export type KeyStoreOutcome =
  | { kind: "published"; key: ObjectKey; sizeBytes: number; adopted: boolean }
  | { kind: "existed"; key: ObjectKey; sizeBytes: number; adopted: boolean }
  | { kind: "failed"; key: ObjectKey; error: unknown };

/** A batch's outcomes, added up: the keys to count as stored (with sizes), bytes written, failures. */
export function summarizeBatch(outcomes: readonly KeyStoreOutcome[]): {
  counted: ObjectKey[];
  sizes: number[];
  bytesWritten: number;
  failures: Array<{ key: ObjectKey; error: unknown }>;
} {
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
  return { counted, sizes, bytesWritten, failures };
}

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
