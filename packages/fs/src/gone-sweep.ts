import { type KeyListEntry, mapWithConcurrency, type ObjectKey } from "@x/l2-core";
import type { FsOps } from "./fs-ops.js";
import { findKeyFile } from "./key-files.js";

/** Keys checked per sweep at most, so a store refused by a really full cache stays cheap. */
const SWEEP_BUDGET = 1024;
const SWEEP_CONCURRENCY = 16;

/**
 * When the index says the cache is full, some of its files may be gone: another process removed them, and
 * only a lookup or a load of those very keys would notice. A store-only writer would then be refused
 * forever. Before a store is refused, this stats indexed keys (oldest first, resuming where the previous
 * sweep stopped, at most {@link SWEEP_BUDGET}) until enough bytes turned out gone. It sweeps only when the
 * directory changed (its mtime moves whenever a name is added or removed) since a sweep that found nothing.
 */
export class GoneSweep {
  readonly #ops: FsOps;
  #cursor = 0;
  /** Directory mtime when a sweep last found nothing gone. */
  #fruitlessAt: number | undefined;

  constructor(ops: FsOps) {
    this.#ops = ops;
  }

  /** Keys whose files are gone; `entries` is called only when a sweep runs. */
  async run(
    baseDir: string,
    entries: () => readonly KeyListEntry[],
    bytesNeeded: number,
  ): Promise<ObjectKey[]> {
    const mtime = (await this.#ops.lstat(baseDir).catch(() => undefined))?.mtimeMs;
    if (mtime === undefined || mtime === this.#fruitlessAt) return [];
    const all = entries();
    if (this.#cursor >= all.length) this.#cursor = 0;
    const slice = all.slice(this.#cursor, this.#cursor + SWEEP_BUDGET);
    this.#cursor += slice.length;
    const gone: ObjectKey[] = [];
    let freed = 0;
    for (let i = 0; i < slice.length && freed < bytesNeeded; i += SWEEP_CONCURRENCY) {
      const batch = slice.slice(i, i + SWEEP_CONCURRENCY);
      const found = await mapWithConcurrency(batch, SWEEP_CONCURRENCY, (entry) =>
        findKeyFile(this.#ops, baseDir, entry.key).then(
          (file) => file !== undefined,
          () => true,
        ),
      );
      batch.forEach((entry, j) => {
        if (found[j]) return;
        gone.push(entry.key);
        freed += entry.sizeBytes;
      });
    }
    // Not all checked yet (budget) or something found: the next refused store sweeps on.
    this.#fruitlessAt = gone.length === 0 && this.#cursor >= all.length ? mtime : undefined;
    return gone;
  }
}
