import { execFileSync } from "node:child_process";
import { mkdir, readdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { isL2Error } from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errnoOf, type FsOps, nodeFsOps, TEMP_PREFIX } from "../src/index.js";
import { chunk, key, open, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("x-l2-fs-full-");
});
afterEach(async () => {
  await dir.cleanup();
});

/** Mounts an 8 MiB tmpfs (a real small file system) when this machine allows it (root), else null. */
async function smallFilesystem(
  parent: string,
): Promise<{ path: string; unmount: () => Promise<void> } | null> {
  const path = join(parent, "small");
  await mkdir(path);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", path], { stdio: "ignore" });
  } catch {
    await rmdir(path);
    return null;
  }
  return {
    path,
    unmount: async () => {
      execFileSync("umount", [path], { stdio: "ignore" });
    },
  };
}

/** Fault layer: every write fails with ENOSPC once `budget` bytes have been written (a disk filling up). */
function enospcAfter(budget: number): FsOps {
  let written = 0;
  return {
    ...nodeFsOps,
    open: (async (...args: Parameters<typeof nodeFsOps.open>) => {
      const fh = await nodeFsOps.open(...args);
      const write = fh.write.bind(fh) as (...a: unknown[]) => Promise<{ bytesWritten: number }>;
      (fh as unknown as { write: unknown }).write = async (...a: unknown[]) => {
        const length = Number(a[2] ?? 0);
        if (written + length > budget) {
          // Like the kernel: a partial write first, then ENOSPC on the next call.
          const room = Math.max(0, budget - written);
          if (room > 0) {
            written += room;
            return write(a[0], a[1], room, a[3]);
          }
          throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
        }
        written += length;
        return write(...a);
      };
      return fh;
    }) as typeof nodeFsOps.open,
  };
}

async function checkFullDiskBehaviour(base: string, options?: { fsOps?: FsOps }) {
  const a = await open(base, {}, options);
  const early = [key(1), key(2)];
  const earlyData = [chunk(1024 * 1024, 1), chunk(1024 * 1024, 2)];
  expect((await a.store(early, earlyData)).ok).toBe(true);
  // 12 MiB into what is left of 8 MiB: some keys fit, the rest fail with ENOSPC.
  const more = Array.from({ length: 6 }, (_, i) => key(10 + i));
  const moreData = more.map((_, i) => chunk(2 * 1024 * 1024, 10 + i));
  const result = await a.store(more, moreData);
  expect(result.ok).toBe(false);
  expect(isL2Error(result.error, "IO_FAILED") || isL2Error(result.error)).toBe(true);
  expect(String(result.error?.message)).toMatch(/ENOSPC/);
  expect(a.status()).toMatchObject({ healthy: true });
  // Nothing partial is visible: no temp files, and every key that looks up loads completely.
  expect((await readdir(base)).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
  const hits = await a.lookupAndLock(more);
  const targets = moreData.map((d) => Buffer.alloc(d.length));
  const loaded = await a.load(more, targets);
  expect(loaded.indices()).toEqual(hits.indices());
  for (const i of loaded.indices()) expect(targets[i]!.equals(moreData[i]!)).toBe(true);
  expect(hits.popcount()).toBeLessThan(more.length);
  expect(result.bytesWritten).toBe(hits.popcount() * 2 * 1024 * 1024);
  a.unlock(more);
  // Earlier keys still load, and once space is freed stores work again.
  const earlyTargets = earlyData.map((d) => Buffer.alloc(d.length));
  expect((await a.load(early, earlyTargets)).popcount()).toBe(2);
  expect(earlyTargets[0]!.equals(earlyData[0]!)).toBe(true);
  await a.close();
}

describe("full disk", () => {
  it("on a real 8 MiB file system (tmpfs when mountable, else injected ENOSPC) stores fail cleanly", async () => {
    const small = await smallFilesystem(dir.path);
    if (small) {
      try {
        await checkFullDiskBehaviour(small.path);
      } finally {
        await small.unmount();
      }
    } else {
      await checkFullDiskBehaviour(dir.path, { fsOps: enospcAfter(8 * 1024 * 1024) });
    }
  });

  it("with ENOSPC injected at the fs layer (partial write, then ENOSPC) the same guarantees hold", async () => {
    await checkFullDiskBehaviour(dir.path, { fsOps: enospcAfter(8 * 1024 * 1024) });
  });

  it("an fs error other than ENOSPC (EIO on link) fails only that key and removes its temp file", async () => {
    let failed = false;
    const ops: FsOps = {
      ...nodeFsOps,
      linkSync: (from, to) => {
        if (!failed && String(to).includes("00000002")) {
          failed = true;
          throw Object.assign(new Error("EIO: i/o error, link"), { code: "EIO" });
        }
        return nodeFsOps.linkSync(from, to);
      },
    };
    const a = await open(dir.path, {}, { fsOps: ops });
    const r = await a.store([key(1), key(2), key(3)], [chunk(10), chunk(20), chunk(30)]);
    expect(r.ok).toBe(false);
    expect(errnoOf(r.error?.cause)).toBe("EIO");
    expect(r.bytesWritten).toBe(40);
    expect((await a.lookupAndLock([key(1), key(2), key(3)])).indices()).toEqual([0, 2]);
    expect((await readdir(dir.path)).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
    expect(a.status()).toMatchObject({ healthy: true, failedStoreKeys: 1 });
    // A retry of the failed batch writes only the missing key.
    expect(await a.store([key(1), key(2), key(3)], [chunk(10), chunk(20), chunk(30)])).toEqual({
      ok: true,
      bytesWritten: 20,
    });
    await a.close();
  });
});

describe("sync_writes durability reporting", () => {
  it("a failed directory fsync makes the task fail as not durable, with the files complete", async () => {
    const { constants } = await import("node:fs");
    const ops: FsOps = {
      ...nodeFsOps,
      open: (async (...args: Parameters<typeof nodeFsOps.open>) => {
        const fh = await nodeFsOps.open(...args);
        if (typeof args[1] === "number" && (args[1] & constants.O_DIRECTORY) !== 0) {
          (fh as unknown as { sync: () => Promise<void> }).sync = async () => {
            throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
          };
        }
        return fh;
      }) as typeof nodeFsOps.open,
    };
    const a = await open(dir.path, { sync_writes: true }, { fsOps: ops });
    const r = await a.store([key(1), key(2)], [chunk(100), chunk(200)]);
    expect(r.ok).toBe(false);
    // 0.2: the base counts bytesWritten over the keys a call reports stored, and a not-durable batch
    // reports none; its files are complete, visible and counted as present.
    expect(r.bytesWritten).toBe(0);
    expect(a.usage().totalBytesUsed).toBe(300);
    expect(r.error?.message).toMatch(/may not survive a power loss/);
    expect((await a.load([key(1), key(2)], [Buffer.alloc(100), Buffer.alloc(200)])).popcount()).toBe(2);
    await a.close();
  });
});
