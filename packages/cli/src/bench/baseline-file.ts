import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { runPool } from "./stats.js";

/**
 * One round of the file baseline: write `count` chunk files the way a crash-safe file store does (write
 * a temp file, close, rename into place; no fsync, like an adapter store that does not sync), then read
 * them back into reused buffers. `dir` must not exist yet; it is created 0700 and removed afterwards.
 * Returns the seconds of each pass.
 */
export async function fileRoundTrip(
  dir: string,
  sources: readonly Buffer[],
  targets: readonly Buffer[],
  count: number,
  concurrency: number,
  beforeWrite: () => void,
): Promise<{ writeSeconds: number; readSeconds: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const name = (i: number) => join(dir, `chunk-${i}.bin`);
    beforeWrite();
    let started = performance.now();
    await runPool(count, concurrency, async (i) => {
      const source = sources[i % sources.length]!;
      const temp = `${name(i)}.tmp`;
      const handle = await open(temp, "wx", 0o600);
      try {
        let offset = 0;
        while (offset < source.length) {
          const { bytesWritten } = await handle.write(source, offset, source.length - offset, offset);
          offset += bytesWritten;
        }
      } finally {
        await handle.close();
      }
      await rename(temp, name(i));
    });
    const writeSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    await runPool(count, concurrency, async (i) => {
      const target = targets[i % targets.length]!;
      const handle = await open(name(i), "r");
      try {
        let offset = 0;
        while (offset < target.length) {
          const { bytesRead } = await handle.read(target, offset, target.length - offset, offset);
          if (bytesRead === 0) throw new Error(`short read of ${name(i)}`);
          offset += bytesRead;
        }
      } finally {
        await handle.close();
      }
    });
    return { writeSeconds, readSeconds: (performance.now() - started) / 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
