import { constants } from "node:fs";
import type { FsOps } from "./fs-ops.js";

/** fsync of a directory, so the names published in it survive power loss (used with sync_writes). */
async function syncDirectory(ops: FsOps, dir: string): Promise<void> {
  const fh = await ops.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Group commit of directory fsyncs: concurrent batches share one fsync. A caller waits for the first sync
 * that starts after its request, so every link it made before calling is covered.
 */
export class DirectorySyncGroup {
  readonly #ops: FsOps;
  readonly #dir: string;
  /** Generations: requests made, and the newest request a finished fsync covers. */
  #requested = 0;
  #done = 0;
  #inflight: Promise<void> | undefined;

  constructor(ops: FsOps, dir: string) {
    this.#ops = ops;
    this.#dir = dir;
  }

  async sync(): Promise<void> {
    const wanted = ++this.#requested;
    while (this.#done < wanted) {
      if (this.#inflight === undefined) {
        const covers = this.#requested;
        this.#inflight = syncDirectory(this.#ops, this.#dir)
          .then(() => {
            this.#done = Math.max(this.#done, covers);
          })
          .finally(() => {
            this.#inflight = undefined;
          });
      }
      await this.#inflight;
    }
  }
}
