import { appendFile, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeFsKey, encodeFsKey, ObjectKey } from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FOREIGN_TEMP_MAX_AGE_MS } from "../src/index.js";
import { newTempName, parseTempName } from "../src/temp-names.js";
import { chunk, key, open, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.cleanup();
});

/** A valid key whose file name looks like another host's temp file to a prefix-and-dots parser. */
function tempLookalike(n = 1): ObjectKey {
  return new ObjectKey({
    chunkHash: Buffer.from([0xab, n]),
    modelName: ".x-l2-tmp.h",
    kvRank: 0,
    cacheSalt: "s.12345",
  });
}

describe("temp file names can never be key names", () => {
  it("a key named like a temp file stores, looks up, lists, and survives start-up when an hour old", async () => {
    const k = tempLookalike();
    const name = encodeFsKey(k);
    expect(name.startsWith(".x-l2-tmp.")).toBe(true);
    const data = chunk(3000);
    const a = await open(dir.path);
    expect((await a.store([k], [data])).ok).toBe(true);
    expect((await a.lookupAndLock([k])).test(0)).toBe(true);
    a.unlock([k]);
    const page = await a.listKeys({ pageSize: 10 });
    expect(page.entries.map((e) => e.key.id)).toEqual([k.id]);
    await a.close();

    // Older than the foreign-temp age: a temp file of another host would be removed now.
    const old = (Date.now() - FOREIGN_TEMP_MAX_AGE_MS - 60_000) / 1000;
    await utimes(join(dir.path, name), old, old);
    const b = await open(dir.path);
    expect(await readdir(dir.path)).toEqual([name]);
    expect(b.usage().totalBytesUsed).toBe(3000);
    expect(b.recoveredEntries().map((e) => e.key.id)).toEqual([k.id]);
    const target = Buffer.alloc(data.length);
    expect((await b.load([k], [target])).test(0)).toBe(true);
    expect(target.equals(data)).toBe(true);
    await b.close();
  });

  it("no key the codec can encode parses as a temp name, and no temp name decodes as a key", () => {
    const models = [".x-l2-tmp.h", ".x-l2-tmp.host", ".x-l2-tmp.a.1.b", "org/.x-l2-tmp.x"];
    const salts = ["", "s.12345", "1.data", "x.1.2"];
    for (const modelName of models) {
      for (const cacheSalt of salts) {
        for (const objectGroupId of [0, 0x12345]) {
          const k = new ObjectKey({
            chunkHash: Buffer.from([1, 2]),
            modelName,
            kvRank: 7,
            objectGroupId,
            cacheSalt,
          });
          expect(parseTempName(encodeFsKey(k)), encodeFsKey(k)).toBeNull();
        }
      }
    }
    for (let i = 0; i < 50; i++) {
      const temp = newTempName();
      expect(parseTempName(temp)).toMatchObject({ pid: process.pid });
      expect(decodeFsKey(temp)).toBeNull();
    }
  });

  it("a dead writer's temp file is still removed at start-up", async () => {
    // pid 2^31-1 on this host: not running, so the file is a leftover whatever its age.
    const leftover = newTempName().replace(`.${process.pid}.`, ".2147483647.");
    expect(parseTempName(leftover)).toMatchObject({ pid: 2147483647 });
    await writeFile(join(dir.path, leftover), chunk(10));
    const a = await open(dir.path);
    expect(await readdir(dir.path)).toEqual([]);
    expect(a.status()).toMatchObject({ recovery: { tempFilesRemoved: 1 } });
    await a.close();
  });
});

describe("a size mismatch either way is a miss", () => {
  it("a file that grew behind the adapter's back after store is a miss, not a hit with the first bytes", async () => {
    const a = await open(dir.path);
    const data = chunk(8192, 3);
    await a.store([key(1)], [data]);
    await appendFile(a.pathOf(key(1)), chunk(100));
    const target = Buffer.alloc(8192);
    expect((await a.load([key(1)], [target])).test(0)).toBe(false);
    await a.close();
  });

  it("a longer or shorter file found by a lookup (another process wrote it) is a miss for a target of the old size", async () => {
    const a = await open(dir.path);
    await writeFile(join(dir.path, encodeFsKey(key(2))), chunk(5000));
    expect((await a.lookupAndLock([key(2)])).test(0)).toBe(true);
    a.unlock([key(2)]);
    await appendFile(a.pathOf(key(2)), chunk(1));
    expect((await a.load([key(2)], [Buffer.alloc(5000)])).test(0)).toBe(false);
    await writeFile(a.pathOf(key(2)), chunk(4999));
    expect((await a.load([key(2)], [Buffer.alloc(5000)])).test(0)).toBe(false);
    await a.close();
  });

  it("with read_ahead_size and with use_odirect a longer file is a miss too", async () => {
    for (const extra of [{ read_ahead_size: 1000 }, { use_odirect: true }]) {
      const sub = join(dir.path, Object.keys(extra)[0]!);
      const a = await open(sub, extra);
      await a.store([key(3)], [chunk(8192)]);
      await appendFile(a.pathOf(key(3)), chunk(4096));
      expect((await a.load([key(3)], [Buffer.alloc(8192)])).test(0), JSON.stringify(extra)).toBe(false);
      const fresh = await open(sub, extra);
      expect((await fresh.load([key(3)], [Buffer.alloc(8192)])).test(0), JSON.stringify(extra)).toBe(false);
      await fresh.close();
      await a.close();
    }
  });
});
