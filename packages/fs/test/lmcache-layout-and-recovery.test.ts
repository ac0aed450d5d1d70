import { readdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ObjectKey } from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chunk, key, open, recordingLogger, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("x-l2-fs-lmc-");
});
afterEach(async () => {
  await dir.cleanup();
});

const llama = (hash: string, group = 0, salt = "") =>
  new ObjectKey({
    chunkHash: Buffer.from(hash, "hex"),
    modelName: "meta-llama/Llama-3-8B",
    kvRank: 0x00010002,
    objectGroupId: group,
    cacheSalt: salt,
  });

describe("LMCache on-disk compatibility", () => {
  it("reads files named and written the way LMCache's fs adapter does, legacy 3-field names as group 0", async () => {
    const files: Array<[string, ObjectKey, Buffer]> = [
      ["meta-llama-SEP-Llama-3-8B@0x00010002@0@0a1b2c3d.data", llama("0a1b2c3d"), chunk(3000, 1)],
      [
        "meta-llama-SEP-Llama-3-8B@0x00010002@1f@0a1b2c3d@tenant1.data",
        llama("0a1b2c3d", 31, "tenant1"),
        chunk(5000, 2),
      ],
      ["meta-llama-SEP-Llama-3-8B@0x00010002@deadbeef.data", llama("deadbeef"), chunk(7000, 3)],
    ];
    for (const [name, , bytes] of files) await writeFile(join(dir.path, name), bytes);
    const a = await open(dir.path);
    expect(a.usage().totalBytesUsed).toBe(15_000);
    const keys = files.map((f) => f[1]);
    expect((await a.lookupAndLock(keys)).popcount()).toBe(3);
    const targets = files.map((f) => Buffer.alloc(f[2].length));
    expect((await a.load(keys, targets)).popcount()).toBe(3);
    for (const [i, f] of files.entries()) expect(targets[i]!.equals(f[2])).toBe(true);
    a.unlock(keys);
    const listed = (await a.listKeys({ pageSize: 10 })).entries.map((e) => e.key.id).sort();
    expect(listed).toEqual(keys.map((k) => k.id).sort());
    await a.close();
  });

  it("a key present under its legacy name is not stored a second time", async () => {
    await writeFile(join(dir.path, "meta-llama-SEP-Llama-3-8B@0x00010002@deadbeef.data"), chunk(10, 1));
    const a = await open(dir.path);
    expect(await a.store([llama("deadbeef")], [chunk(10, 1)])).toEqual({ ok: true, bytesWritten: 0 });
    expect(await readdir(dir.path)).toEqual(["meta-llama-SEP-Llama-3-8B@0x00010002@deadbeef.data"]);
    await a.delete([llama("deadbeef")]);
    expect(await readdir(dir.path)).toEqual([]);
    await a.close();
  });

  it("a file truncated behind the adapter's back is a miss, never partial data", async () => {
    const a = await open(dir.path);
    await a.store([llama("01")], [chunk(8192, 4)]);
    await writeFile(a.pathOf(llama("01")), chunk(4096, 4));
    const t = Buffer.alloc(8192);
    expect((await a.load([llama("01")], [t])).popcount()).toBe(0);
    await a.close();
  });

  it("writes exactly the name and raw bytes LMCache expects (no header)", async () => {
    const a = await open(dir.path);
    const data = chunk(4096, 9);
    await a.store([llama("00ff", 2, "s1")], [data]);
    expect(await readdir(dir.path)).toEqual(["meta-llama-SEP-Llama-3-8B@0x00010002@2@00ff@s1.data"]);
    expect(
      (await readFile(join(dir.path, "meta-llama-SEP-Llama-3-8B@0x00010002@2@00ff@s1.data"))).equals(data),
    ).toBe(true);
    await a.close();
  });
});

describe("recovery and capacity", () => {
  it("counts files already on disk, oldest first by mtime, and skips non-keys", async () => {
    const a = await open(dir.path);
    await a.store([key(1), key(2), key(3)], [chunk(100), chunk(200), chunk(300)]);
    await a.close();
    const now = Date.now() / 1000;
    await utimes(a.pathOf(key(1)), now, now - 10);
    await utimes(a.pathOf(key(2)), now, now - 30);
    await utimes(a.pathOf(key(3)), now, now - 20);
    await writeFile(join(dir.path, "notes.txt"), "x");
    const b = await open(dir.path, { max_capacity_gb: 1 });
    expect(b.usage().totalBytesUsed).toBe(600);
    expect(b.recoveredEntries().map((e) => e.key.id)).toEqual([key(2), key(3), key(1)].map((k) => k.id));
    expect(b.status()).toMatchObject({
      storedObjectCount: 3,
      recovery: { recoveredKeys: 3, recoveredBytes: 600, skippedFiles: 1 },
    });
    // A re-store of a recovered key writes nothing and does not double-count.
    expect(await b.store([key(2)], [chunk(200)])).toEqual({ ok: true, bytesWritten: 0 });
    expect(b.usage().totalBytesUsed).toBe(600);
    await b.close();
    const c = await open(dir.path, { recover_on_start: false });
    expect(c.usage().totalBytesUsed).toBe(0);
    await c.close();
  });

  it("keys deleted by another process drop out of accounting when this adapter deletes or re-stores them", async () => {
    const a = await open(dir.path);
    const b = await open(dir.path);
    await a.store([key(1), key(2)], [chunk(100), chunk(100)]);
    await b.delete([key(1), key(2)]);
    expect(b.usage().totalBytesUsed).toBe(0);
    expect(a.usage().totalBytesUsed).toBe(200);
    await a.delete([key(1)]);
    expect(a.usage().totalBytesUsed).toBe(100);
    expect(await a.store([key(2)], [chunk(100)])).toEqual({ ok: true, bytesWritten: 100 });
    expect(a.usage().totalBytesUsed).toBe(100);
    await a.close();
    await b.close();
  });

  it("warns when max_capacity_gb is set without an eviction block, not when one is set", async () => {
    const r1 = recordingLogger();
    const a = await open(dir.path, { max_capacity_gb: 1 }, undefined, r1.logger);
    expect(r1.warnings.filter((w) => w.includes("eviction"))).toHaveLength(1);
    await a.close();
    const r2 = recordingLogger();
    const b = await open(
      dir.path,
      { max_capacity_gb: 1, eviction: { eviction_policy: "LRU" } },
      undefined,
      r2.logger,
    );
    expect(r2.warnings).toEqual([]);
    await b.close();
  });
});
