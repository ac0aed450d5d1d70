import type { Fault } from "./faulty-adapter.js";

/** One deliberately broken adapter per rule: the fault, the case id that must catch it, and the bug. */
export interface BrokenAdapter {
  readonly fault: Fault;
  readonly rule: string;
  readonly bug: string;
}

export const BROKEN_ADAPTERS: readonly BrokenAdapter[] = [
  { fault: "type-empty", rule: "shape.methods", bug: "type is an empty string" },
  { fault: "status-healthy-not-boolean", rule: "status.healthy-and-type", bug: 'status().healthy is "yes"' },
  {
    fault: "store-bytes-first-key-only",
    rule: "store.result-ok-bytes",
    bug: "bytesWritten counts the first key only",
  },
  {
    fault: "restore-rewrites-bytes",
    rule: "store.restore-zero-bytes",
    bug: "a re-store reports its bytes again",
  },
  { fault: "empty-store-not-ok", rule: "store.empty-batch", bug: "an empty store reports ok: false" },
  {
    fault: "keeps-caller-buffer",
    rule: "store.copies-caller-buffer",
    bug: "keeps a reference to the caller's buffer",
  },
  {
    fault: "no-argument-checks",
    rule: "args.rejects-bad-batches",
    bug: "no argument checks (TypeError on a short batch)",
  },
  { fault: "bitmap-word-rounded", rule: "lookup.bitmap-length", bug: "bitmap size rounded up to 32 bits" },
  { fault: "bit-order-compact", rule: "lookup.bit-per-key", bug: "hits packed into the first bits" },
  { fault: "delete-ignores-locks", rule: "lock.survives-delete", bug: "delete removes locked keys" },
  {
    fault: "lock-not-counted",
    rule: "lock.refcount",
    bug: "a lock is a flag, not a count (unlock frees too early)",
  },
  { fault: "unlock-noop", rule: "lock.unlock-releases", bug: "unlock never releases (lost unlock)" },
  { fault: "lock-misses", rule: "lock.hits-only", bug: "lookup locks missing keys too" },
  {
    fault: "unlock-throws-unknown",
    rule: "lock.unlock-unknown-silent",
    bug: "unlock throws for unknown keys",
  },
  { fault: "unlock-underflow", rule: "lock.extra-unlock-no-underflow", bug: "lock counts go negative" },
  {
    fault: "partial-load-hit",
    rule: "load.partial-is-miss",
    bug: "a too-small target is filled partly and reported as a hit",
  },
  {
    fault: "oversize-load-hit",
    rule: "load.oversize-is-miss",
    bug: "a too-large target is reported as a hit",
  },
  { fault: "load-stops-at-miss", rule: "load.mixed-hits-misses", bug: "load stops at the first miss" },
  {
    fault: "load-first-64k-only",
    rule: "load.exact-bytes",
    bug: "only the first 64 KiB of a chunk are copied",
  },
  { fault: "load-rejects-miss", rule: "load.miss-never-rejects", bug: "load rejects when a key is missing" },
  {
    fault: "load-ignores-view-offset",
    rule: "load.respects-view-bounds",
    bug: "writes at offset 0 of the target's ArrayBuffer",
  },
  {
    fault: "delete-only-first",
    rule: "delete.removes",
    bug: "delete removes the first key of the batch only",
  },
  { fault: "delete-throws-missing", rule: "delete.idempotent", bug: "deleting a missing key rejects" },
  { fault: "delete-keeps-usage", rule: "delete.frees-usage", bug: "delete does not give back bytes" },
  { fault: "usage-single-bucket", rule: "usage.per-salt", bug: "every salt counted in the unsalted bucket" },
  { fault: "restore-double-counted", rule: "usage.restore-counted-once", bug: "re-store counted twice" },
  {
    fault: "usage-negative",
    rule: "usage.never-negative",
    bug: "a second delete subtracts again (negative usage)",
  },
  {
    fault: "fraction-zero-without-capacity",
    rule: "usage.fraction",
    bug: "usageFraction 0 instead of -1 without capacity",
  },
  {
    fault: "usage-live-object",
    rule: "usage.snapshot-immutable",
    bug: "usage() returns one live, mutable object",
  },
  {
    fault: "stored-event-on-restore",
    rule: "listener.stored-event",
    bug: "re-stores are reported as stored",
  },
  {
    fault: "accessed-includes-misses",
    rule: "listener.accessed-event",
    bug: "missed keys are reported as accessed",
  },
  {
    fault: "deleted-event-for-locked",
    rule: "listener.deleted-event",
    bug: "locked keys are reported as deleted",
  },
  {
    fault: "listener-throw-breaks",
    rule: "listener.throwing-does-not-break",
    bug: "a throwing listener fails the store",
  },
  { fault: "remove-listener-noop", rule: "listener.remove", bug: "the remove function does nothing" },
  {
    fault: "list-capability-lies",
    rule: "list.capability-honest",
    bug: "says listKeys is unsupported but serves it",
  },
  { fault: "list-cursor-off-by-one", rule: "list.pages-all-keys", bug: "the cursor skips one key per page" },
  { fault: "list-ignores-model", rule: "list.model-filter", bug: "modelName filter ignored" },
  {
    fault: "list-accepts-any-page-size",
    rule: "list.page-size-validation",
    bug: "invalid pageSize accepted",
  },
  {
    fault: "list-offset-cursor",
    rule: "list.stable-cursor",
    bug: "cursor is an offset, so deletes shift pages",
  },
  {
    fault: "racy-store",
    rule: "concurrency.same-key-stores",
    bug: "parallel stores of one key overwrite in place, mixing values",
  },
  {
    fault: "same-key-double-count",
    rule: "concurrency.same-key-usage-once",
    bug: "check-then-act race counts a key twice",
  },
  {
    fault: "shared-scratch-buffer",
    rule: "isolation.no-cross-keys",
    bug: "one staging buffer shared by parallel loads (bytes leak across keys)",
  },
  {
    fault: "publish-before-copy",
    rule: "concurrency.load-during-store",
    bug: "a key is visible before its bytes are written",
  },
  { fault: "large-chunks-truncated", rule: "chunks.binary-sizes", bug: "chunks over 64 KiB are truncated" },
  { fault: "zero-chunk-sparse", rule: "chunks.all-zero", bug: "all-zero chunks are dropped" },
  { fault: "key-ignores-salt", rule: "keys.salt-distinct", bug: "the salt is not part of the storage key" },
  {
    fault: "key-ignores-group",
    rule: "keys.group-distinct",
    bug: "the object group is not part of the storage key",
  },
  {
    fault: "key-ignores-rank",
    rule: "keys.rank-distinct",
    bug: "the kv rank is not part of the storage key",
  },
  {
    fault: "key-ignores-model",
    rule: "keys.model-distinct",
    bug: "the model is not part of the storage key",
  },
  { fault: "close-not-idempotent", rule: "close.idempotent", bug: "a second close() rejects" },
  {
    fault: "closed-flag-late",
    rule: "close.closed-flag",
    bug: "closed turns true only after close() resolved",
  },
  { fault: "hang-after-close", rule: "close.rejects-after-close", bug: "calls after close() never settle" },
  {
    fault: "close-does-not-wait",
    rule: "close.settles-inflight",
    bug: "close() resolves while operations still run",
  },
];
