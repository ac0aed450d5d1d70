import type { KeyListEntry, KeyListPage, ListKeysOptions } from "./adapter.js";
import { L2Error } from "./errors.js";

/** Cursor = the id of the last key returned, so pages stay stable while keys are added or removed. */
export function encodeListCursor(lastKeyId: string): string {
  return Buffer.from(lastKeyId, "utf8").toString("base64url");
}

export function decodeListCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (id.length === 0 || encodeListCursor(id) !== cursor) {
    throw new L2Error("ARGUMENT_INVALID", "cursor is malformed; pass the nextCursor of a previous page", {
      field: "cursor",
    });
  }
  return id;
}

/**
 * One page over entries ordered by key id. For adapters that hold their index in memory; `entries` need
 * not be sorted.
 */
export function pageKeyEntries(entries: Iterable<KeyListEntry>, options: ListKeysOptions): KeyListPage {
  const after = options.cursor === undefined ? undefined : decodeListCursor(options.cursor);
  const matching: KeyListEntry[] = [];
  for (const entry of entries) {
    if (options.modelName !== undefined && entry.key.modelName !== options.modelName) continue;
    if (after !== undefined && entry.key.id <= after) continue;
    matching.push(entry);
  }
  matching.sort((a, b) => (a.key.id < b.key.id ? -1 : a.key.id > b.key.id ? 1 : 0));
  const page = matching.slice(0, options.pageSize);
  const last = page[page.length - 1];
  return {
    entries: page,
    nextCursor: matching.length > options.pageSize && last ? encodeListCursor(last.key.id) : null,
  };
}
