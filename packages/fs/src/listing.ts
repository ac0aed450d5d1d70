import {
  decodeFsKey,
  decodeListCursor,
  encodeListCursor,
  type KeyListEntry,
  type KeyListPage,
  type ListKeysOptions,
  mapWithConcurrency,
  type ObjectKey,
} from "@x/l2-core";
import type { FsOps } from "./fs-ops.js";
import { findKeyFile } from "./key-files.js";
import { parseTempName } from "./temp-names.js";

/**
 * One page of the keys whose files are in `baseDir`, by key id (the cursor is the last id of the page).
 * The directory is the truth, so keys other processes published are listed and removed ones are not.
 */
export async function listKeyFiles(
  ops: FsOps,
  baseDir: string,
  options: ListKeysOptions,
): Promise<KeyListPage> {
  const after = options.cursor === undefined ? undefined : decodeListCursor(options.cursor);
  const byId = new Map<string, ObjectKey>();
  for (const name of await ops.readdir(baseDir)) {
    if (parseTempName(name) !== null) continue;
    const key = decodeFsKey(name);
    if (key === null) continue;
    if (options.modelName !== undefined && key.modelName !== options.modelName) continue;
    if (after !== undefined && key.id <= after) continue;
    byId.set(key.id, key);
  }
  const candidates = [...byId.values()];
  candidates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entries: KeyListEntry[] = [];
  let examined = 0;
  // Stat in small batches until the page is full; files that are not complete keys are skipped.
  while (entries.length < options.pageSize && examined < candidates.length) {
    const batch = candidates.slice(examined, examined + (options.pageSize - entries.length));
    examined += batch.length;
    const found = await mapWithConcurrency(batch, 16, (key) =>
      findKeyFile(ops, baseDir, key).catch(() => undefined),
    );
    batch.forEach((key, i) => {
      const file = found[i];
      if (file) entries.push({ key, sizeBytes: file.sizeBytes });
    });
  }
  const last = candidates[examined - 1];
  return {
    entries,
    nextCursor: examined < candidates.length && last ? encodeListCursor(last.id) : null,
  };
}
