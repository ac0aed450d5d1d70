import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private directory (mode 0700) under the OS temp directory; `remove()` deletes it with its contents. */
export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createTempDir(prefix = "x-l2-testkit-"): Promise<TempDir> {
  // mkdtemp creates the directory with mode 0700.
  const path = await mkdtemp(join(tmpdir(), prefix));
  const remove = () => rm(path, { recursive: true, force: true, maxRetries: 3 });
  return { path, remove, [Symbol.asyncDispose]: remove };
}

/** Runs `fn` with a fresh temp directory and removes the directory afterwards, also when `fn` throws. */
export async function withTempDir<T>(fn: (path: string) => Promise<T> | T, prefix?: string): Promise<T> {
  const dir = await createTempDir(prefix);
  try {
    return await fn(dir.path);
  } finally {
    await dir.remove();
  }
}
