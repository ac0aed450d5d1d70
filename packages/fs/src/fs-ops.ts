import * as fs from "node:fs";
import * as fsp from "node:fs/promises";

/**
 * The file-system calls the adapter makes, as one object so a test can inject faults (ENOSPC, EIO) where
 * the machine cannot produce them. Production code always uses {@link nodeFsOps}.
 */
export interface FsOps {
  open: typeof fsp.open;
  link: typeof fsp.link;
  unlink: typeof fsp.unlink;
  rename: typeof fsp.rename;
  lstat: typeof fsp.lstat;
  readdir: typeof fsp.readdir;
  mkdir: typeof fsp.mkdir;
  chmod: typeof fsp.chmod;
  realpath: typeof fsp.realpath;
  statfs: typeof fsp.statfs;
  /** Synchronous metadata calls, used on local file systems where they cost less than a thread-pool hop. */
  linkSync: typeof fs.linkSync;
  unlinkSync: typeof fs.unlinkSync;
}

export const nodeFsOps: FsOps = {
  open: fsp.open,
  link: fsp.link,
  unlink: fsp.unlink,
  rename: fsp.rename,
  lstat: fsp.lstat,
  readdir: fsp.readdir,
  mkdir: fsp.mkdir,
  chmod: fsp.chmod,
  realpath: fsp.realpath,
  statfs: fsp.statfs,
  linkSync: fs.linkSync,
  unlinkSync: fs.unlinkSync,
};

/** The errno code of a Node system error, or undefined. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
