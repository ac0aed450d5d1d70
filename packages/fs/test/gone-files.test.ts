import { execFileSync } from "node:child_process";
import { readdir, unlink } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chunk, key, open, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("x-l2-fs-gone-");
});
afterEach(async () => {
  await dir.cleanup();
});

const MIB = 1024 * 1024;
/** 8 MiB of capacity, in GiB as the config takes it. */
const EIGHT_MIB_GB = 8 / 1024;

/** Removes every file in `path` from a separate Node process, as another cache user would. */
function removeAllFromAnotherProcess(path: string): void {
  const script =
    "const fs = require('node:fs'); const p = require('node:path');" +
    "for (const n of fs.readdirSync(process.argv[1])) fs.unlinkSync(p.join(process.argv[1], n));";
  execFileSync(process.execPath, ["-e", script, path], { stdio: "pipe" });
}

describe("files removed by another process leave the accounting", () => {
  it("a full adapter whose files another process removed accepts stores again once a lookup sees them gone", async () => {
    const a = await open(dir.path, { max_capacity_gb: EIGHT_MIB_GB });
    const keys = Array.from({ length: 8 }, (_, i) => key(i));
    expect(
      (
        await a.store(
          keys,
          keys.map(() => chunk(MIB)),
        )
      ).ok,
    ).toBe(true);
    expect(a.usage().totalBytesUsed).toBe(8 * MIB);
    const refused = await a.store([key(100)], [chunk(MIB)]);
    expect(refused.ok).toBe(false);
    expect(refused.error?.message).toMatch(/capacity reached/);

    removeAllFromAnotherProcess(dir.path);
    expect(await readdir(dir.path)).toEqual([]);
    expect((await a.lookupAndLock(keys)).popcount()).toBe(0);
    expect(a.usage().totalBytesUsed).toBe(0);
    expect(a.recoveredEntries()).toEqual([]);

    const fresh = Array.from({ length: 8 }, (_, i) => key(200 + i));
    expect(
      await a.store(
        fresh,
        fresh.map(() => chunk(MIB)),
      ),
    ).toEqual({ ok: true, bytesWritten: 8 * MIB });
    expect(a.usage().totalBytesUsed).toBe(8 * MIB);
    await a.close();
  });

  it("a store-only writer is not refused forever: a store that would not fit first forgets files others removed", async () => {
    const a = await open(dir.path, { max_capacity_gb: EIGHT_MIB_GB });
    const keys = Array.from({ length: 8 }, (_, i) => key(i));
    expect(
      (
        await a.store(
          keys,
          keys.map(() => chunk(MIB)),
        )
      ).ok,
    ).toBe(true);
    // Really full: the check finds every file, the store is refused and nothing is forgotten.
    expect((await a.store([key(100)], [chunk(MIB)])).ok).toBe(false);
    expect((await a.store([key(101)], [chunk(MIB)])).ok).toBe(false);
    expect(a.usage().totalBytesUsed).toBe(8 * MIB);

    removeAllFromAnotherProcess(dir.path);
    // No lookup, no load: the store itself notices.
    const fresh = Array.from({ length: 8 }, (_, i) => key(300 + i));
    expect(
      await a.store(
        fresh,
        fresh.map(() => chunk(MIB)),
      ),
    ).toEqual({ ok: true, bytesWritten: 8 * MIB });
    expect(a.usage().totalBytesUsed).toBe(8 * MIB);
    expect((await readdir(dir.path)).length).toBe(8);
    await a.close();
  });

  it("a load that finds the file gone drops the key, and listeners hear it was deleted", async () => {
    const a = await open(dir.path, { max_capacity_gb: EIGHT_MIB_GB });
    const deleted: string[] = [];
    a.addListener({ onKeysDeleted: (keys) => deleted.push(...keys.map((k) => k.id)) });
    const keys = [key(1), key(2)];
    await a.store(keys, [chunk(4 * MIB), chunk(4 * MIB)]);
    await unlink(a.pathOf(key(1)));
    const bitmap = await a.load(keys, [Buffer.alloc(4 * MIB), Buffer.alloc(4 * MIB)]);
    expect(bitmap.indices()).toEqual([1]);
    expect(deleted).toEqual([key(1).id]);
    expect(a.usage().totalBytesUsed).toBe(4 * MIB);
    expect((await a.store([key(3)], [chunk(4 * MIB)])).ok).toBe(true);
    await a.close();
  });
});
