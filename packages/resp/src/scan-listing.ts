import {
  decodeListCursor,
  encodeListCursor,
  type KeyListEntry,
  type KeyListPage,
  L2Error,
  type ListKeysOptions,
  type ObjectKey,
} from "@x/l2-core";
import type { NodeHandle } from "./connection.js";
import { escapeGlob } from "./server-index.js";
import { decodeWireKey } from "./wire-key.js";

const SCAN_COUNT = 1000;

/** Where a listing resumes: a primary, the SCAN cursor of a batch, and the last key id taken from it. */
interface ScanCursor {
  n: number;
  c: string;
  a: string | null;
}

export interface ScanListingIo {
  nodes(): Promise<NodeHandle[]>;
  scan(
    node: NodeHandle,
    cursor: string,
    match: string,
    count: number,
  ): Promise<{ cursor: string; keys: string[] }>;
  /** Sizes of the listed chunks (0 = gone meanwhile). */
  sizes(wireKeys: string[]): Promise<number[]>;
}

/**
 * listKeys over the server itself: SCAN under the key prefix on each primary in address order. Each SCAN
 * batch is taken in key-id order and a page may end inside a batch; the cursor then names the batch and
 * the last id taken, so repeating a cursor gives the same page and keys present throughout come once.
 */
export async function listKeysByScan(
  io: ScanListingIo,
  keyPrefix: string,
  options: ListKeysOptions,
): Promise<KeyListPage> {
  let at: ScanCursor = options.cursor === undefined ? { n: 0, c: "0", a: null } : parseCursor(options.cursor);
  const nodes = await io.nodes();
  const match = keyPrefix === "" ? "*" : `${escapeGlob(keyPrefix)}@*`;
  const found: { key: ObjectKey; wire: string; from: ScanCursor }[] = [];
  // One more than a page, so the last page is known to be the last.
  while (found.length <= options.pageSize && at.n < nodes.length) {
    const reply = await io.scan(nodes[at.n]!, at.c, match, SCAN_COUNT);
    const after = at.a;
    const batch = reply.keys
      .map((wire) => ({ wire, key: decodeWireKey(wire, keyPrefix) }))
      .filter((e): e is { wire: string; key: ObjectKey } => e.key !== null)
      .filter((e) => options.modelName === undefined || e.key.modelName === options.modelName)
      .filter((e) => after === null || e.key.id > after)
      .sort((x, y) => (x.key.id < y.key.id ? -1 : 1));
    for (const e of batch) found.push({ ...e, from: { n: at.n, c: at.c, a: e.key.id } });
    at =
      reply.cursor === "0" ? { n: at.n + 1, c: "0", a: null } : { n: at.n, c: String(reply.cursor), a: null };
  }
  const page = found.slice(0, options.pageSize);
  const sizes = await io.sizes(page.map((e) => e.wire));
  const entries: KeyListEntry[] = [];
  page.forEach((e, i) => {
    if (sizes[i]! > 0) entries.push({ key: e.key, sizeBytes: sizes[i]! });
  });
  const last = page[page.length - 1];
  return {
    entries,
    nextCursor: found.length > options.pageSize && last ? encodeListCursor(JSON.stringify(last.from)) : null,
  };
}

function parseCursor(cursor: string): ScanCursor {
  const text = decodeListCursor(cursor);
  try {
    const parsed = JSON.parse(text) as ScanCursor;
    if (Number.isInteger(parsed.n) && parsed.n >= 0 && typeof parsed.c === "string") return parsed;
  } catch {
    // not ours
  }
  throw new L2Error("ARGUMENT_INVALID", "cursor is malformed; pass the nextCursor of a previous page", {
    field: "cursor",
  });
}
