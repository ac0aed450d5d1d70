import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { gbPerSecond, runPool } from "./stats.js";

/**
 * One timed pass of writing `count` chunk files the way a crash-safe file store does (write a temp file,
 * close, rename into place; no fsync, like the page-cache writes the adapter's own store would measure
 * unless it syncs) and one of reading them back into reused buffers. `dir` must not exist yet; it is
 * created 0700 and removed afterwards.
 */
export async function measureFileRoundTrip(
  dir: string,
  sources: readonly Buffer[],
  targets: readonly Buffer[],
  count: number,
  concurrency: number,
): Promise<{ writeGbPerS: number; readGbPerS: number }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const name = (i: number) => join(dir, `chunk-${i}.bin`);
    let bytes = 0;
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
      bytes += source.length;
    });
    const writeGbPerS = gbPerSecond(bytes, (performance.now() - started) / 1000);

    bytes = 0;
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
      bytes += target.length;
    });
    const readGbPerS = gbPerSecond(bytes, (performance.now() - started) / 1000);
    return { writeGbPerS, readGbPerS };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
