import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeFsKey, isL2Error } from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEMP_PREFIX } from "../src/index.js";
import { chunk, key, open, recordingLogger, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

describe("fs adapter: store, lookup, load, delete", () => {
  it("stores raw bytes under the codec's file name and loads them into the caller's buffer", async () => {
    const a = await open(dir.path);
    const keys = [key(1), key(2, { salt: "tenant" }), key(3, { group: 5 })];
    const data = [chunk(4096), chunk(100_000), chunk(1)];
    const result = await a.store(keys, data);
    expect(result).toEqual({ ok: true, bytesWritten: 4096 + 100_000 + 1 });
    for (let i = 0; i < keys.length; i++) {
      const onDisk = await readFile(join(dir.path, encodeFsKey(keys[i]!)));
      expect(onDisk.equals(data[i]!)).toBe(true);
    }
    const hits = await a.lookupAndLock([...keys, key(99)]);
    expect(hits.indices()).toEqual([0, 1, 2]);
    const targets = data.map((d) => Buffer.alloc(d.length));
    const loaded = await a.load(keys, targets);
    expect(loaded.indices()).toEqual([0, 1, 2]);
    for (const [i, t] of targets.entries()) expect(t.equals(data[i]!)).toBe(true);
    expect(a.usage().totalBytesUsed).toBe(104_097);
    expect(a.usage().bytesByCacheSalt).toEqual({ "": 4097, tenant: 100_000 });
    a.unlock(keys);
    await a.close();
  });

  it("re-storing an existing key writes nothing and never replaces the file", async () => {
    const a = await open(dir.path);
    const first = chunk(5000);
    await a.store([key(1)], [first]);
    const path = join(dir.path, encodeFsKey(key(1)));
    const inode = (await stat(path)).ino;
    const again = await a.store([key(1)], [chunk(5000)]);
    expect(again).toEqual({ ok: true, bytesWritten: 0 });
    expect((await stat(path)).ino).toBe(inode);
    expect((await readFile(path)).equals(first)).toBe(true);
    expect(a.usage().totalBytesUsed).toBe(5000);
    await a.close();
  });

  it("a short or long file is a miss; missing files are silent misses", async () => {
    const a = await open(dir.path);
    await a.store([key(1)], [chunk(1000)]);
    const bitmap = await a.load(
      [key(1), key(1), key(2)],
      [Buffer.alloc(999), Buffer.alloc(1001), Buffer.alloc(10)],
    );
    expect(bitmap.indices()).toEqual([]);
    await a.close();
  });

  it("honours read_ahead_size", async () => {
    const a = await open(dir.path, { read_ahead_size: 1000 });
    const data = chunk(64 * 1024 + 7);
    await a.store([key(1)], [data]);
    const t = Buffer.alloc(data.length);
    expect((await a.load([key(1)], [t])).test(0)).toBe(true);
    expect(t.equals(data)).toBe(true);
    await a.close();
  });

  it("files are 0600, created directories 0700, no temp files remain", async () => {
    const base = join(dir.path, "cache", "deeper");
    const a = await open(base, { relative_tmp_dir: "tmp/writes" });
    await a.store([key(1), key(2)], [chunk(10), chunk(20)]);
    expect((await stat(join(base, encodeFsKey(key(1))))).mode & 0o777).toBe(0o600);
    expect((await stat(base)).mode & 0o777).toBe(0o700);
    expect((await stat(join(base, "tmp"))).mode & 0o777).toBe(0o700);
    expect((await stat(join(base, "tmp", "writes"))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(base, "tmp", "writes"))).toEqual([]);
    expect((await readdir(base)).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
    await a.close();
  });

  it("delete removes unlocked keys, skips locked ones, accounts by actual size, ignores missing", async () => {
    const a = await open(dir.path);
    await a.store([key(1), key(2)], [chunk(300), chunk(700)]);
    await a.lookupAndLock([key(2)]);
    await a.delete([key(1), key(2), key(3)]);
    await expect(lstat(join(dir.path, encodeFsKey(key(1))))).rejects.toMatchObject({ code: "ENOENT" });
    expect((await lstat(join(dir.path, encodeFsKey(key(2))))).size).toBe(700);
    expect(a.usage().totalBytesUsed).toBe(700);
    a.unlock([key(2)]);
    await a.delete([key(2)]);
    await a.delete([key(2)]);
    expect(a.usage().totalBytesUsed).toBe(0);
    expect((await a.lookupAndLock([key(1), key(2)])).indices()).toEqual([]);
    await a.close();
  });

  it("a delete racing a store of the same keys does not remove what the store reports as stored", async () => {
    const a = await open(dir.path);
    const keys = Array.from({ length: 20 }, (_, i) => key(i));
    await a.store(
      keys,
      keys.map(() => chunk(100)),
    );
    const [result] = await Promise.all([
      a.store(
        keys,
        keys.map(() => chunk(100)),
      ),
      a.delete(keys),
    ]);
    expect(result.ok).toBe(true);
    // Keys locked by the running store were skipped by the delete: all still load.
    const loaded = await a.load(
      keys,
      keys.map(() => Buffer.alloc(100)),
    );
    expect(loaded.popcount()).toBe(20);
    await a.close();
  });

  it("a delete racing a lookup never leaves a hit without its file", async () => {
    const a = await open(dir.path);
    const keys = Array.from({ length: 50 }, (_, i) => key(i));
    await a.store(
      keys,
      keys.map(() => chunk(100)),
    );
    const [bitmap] = await Promise.all([a.lookupAndLock(keys), a.delete(keys)]);
    const targets = keys.map(() => Buffer.alloc(100));
    const loaded = await a.load(keys, targets);
    for (let i = 0; i < keys.length; i++) if (bitmap.test(i)) expect(loaded.test(i)).toBe(true);
    a.unlock(keys);
    await a.close();
  });

  it("ignores foreign names, empty files, directories, symlinks and temp leftovers", async () => {
    const k = key(7);
    const name = encodeFsKey(k);
    await writeFile(join(dir.path, "README.txt"), "hello");
    await writeFile(join(dir.path, name.replace("org-SEP-model", "other")), "");
    await writeFile(join(dir.path, encodeFsKey(key(8)).toUpperCase()), "x");
    await mkdir(join(dir.path, encodeFsKey(key(9))));
    await writeFile(join(dir.path, "target.bin"), chunk(10));
    await symlink(join(dir.path, "target.bin"), join(dir.path, name));
    await writeFile(join(dir.path, encodeFsKey(key(10))), "");
    const a = await open(dir.path);
    expect(a.usage().totalBytesUsed).toBe(0);
    const hits = await a.lookupAndLock([k, key(8), key(9), key(10)]);
    expect(hits.indices()).toEqual([]);
    expect((await a.load([k], [Buffer.alloc(10)])).test(0)).toBe(false);
    const page = await a.listKeys({ pageSize: 100 });
    expect(page.entries).toEqual([]);
    expect(a.status()).toMatchObject({ healthy: true, recovery: { recoveredKeys: 0 } });
    // Storing over an empty leftover replaces it; a symlink under a key name is refused, not followed.
    expect((await a.store([key(10)], [chunk(5)])).ok).toBe(true);
    const refused = await a.store([k], [chunk(5)]);
    expect(refused.ok).toBe(false);
    expect((await lstat(join(dir.path, name))).isSymbolicLink()).toBe(true);
    await a.close();
  });

  it("listKeys pages through the directory with a stable cursor and a model filter", async () => {
    const a = await open(dir.path);
    const keys = Array.from({ length: 25 }, (_, i) => key(i));
    await a.store(
      keys,
      keys.map((_, i) => chunk(i + 1)),
    );
    await a.store([key(1, { model: "other" })], [chunk(3)]);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await a.listKeys({ pageSize: 10, cursor, modelName: "org/model" });
      for (const e of page.entries) {
        seen.push(e.key.id);
        expect(e.sizeBytes).toBeGreaterThan(0);
      }
      cursor = page.nextCursor ?? undefined;
      pages++;
      // Keys added behind the cursor do not disturb later pages.
      if (pages === 1) await a.store([key(100)], [chunk(1)]);
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(26);
    expect(seen).toEqual([...seen].sort());
    await expect(a.listKeys({ pageSize: 0 })).rejects.toMatchObject({ code: "ARGUMENT_INVALID" });
    await a.close();
  });

  it("status reports health, O_DIRECT state, counts and usage", async () => {
    const a = await open(dir.path, { max_capacity_gb: 1 });
    await a.store([key(1)], [chunk(1000)]);
    const s = a.status();
    expect(s).toMatchObject({
      healthy: true,
      type: "fs",
      storedObjectCount: 1,
      currentSizeBytes: 1000,
      maxCapacityBytes: 2 ** 30,
      odirect: { requested: false, active: false },
    });
    expect(s.usageFraction).toBeCloseTo(1000 / 2 ** 30);
    await a.close();
    await expect(a.store([key(2)], [chunk(1)])).rejects.toMatchObject({ code: "ADAPTER_CLOSED" });
  });

  it("a store that would exceed max_capacity_gb fails cleanly and warns when no eviction block is set", async () => {
    const rec = recordingLogger();
    const a = await open(dir.path, { max_capacity_gb: 3000 / 2 ** 30 }, undefined, rec.logger);
    expect(rec.warnings.some((w) => w.includes("without an `eviction` block"))).toBe(true);
    const result = await a.store([key(1), key(2)], [chunk(2000), chunk(2000)]);
    expect(result.ok).toBe(false);
    expect(result.bytesWritten).toBe(2000);
    expect(isL2Error(result.error, "IO_FAILED")).toBe(true);
    expect((await readdir(dir.path)).length).toBe(1);
    await a.close();
  });

  it.each([
    [false, "local: link/unlink run synchronously"],
    [true, "shared: every metadata call is async"],
  ])(
    "concurrent stores of one key leave exactly one file and no temp files (shared=%s, %s)",
    async (shared) => {
      const a = await open(dir.path, { shared });
      const variants = Array.from({ length: 16 }, (_, i) => chunk(50_000, i + 1));
      const results = await Promise.all(variants.map((v) => a.store([key(1)], [v])));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(results.filter((r) => r.bytesWritten === 50_000)).toHaveLength(1);
      expect(await readdir(dir.path)).toEqual([encodeFsKey(key(1))]);
      const onDisk = await readFile(join(dir.path, encodeFsKey(key(1))));
      expect(variants.some((v) => v.equals(onDisk))).toBe(true);
      expect(a.usage().totalBytesUsed).toBe(50_000);
      await a.close();
    },
  );
});
