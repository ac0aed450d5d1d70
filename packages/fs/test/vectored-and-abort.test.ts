import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeFsKey, isL2Error } from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FsOps, nodeFsOps, TEMP_PREFIX } from "../src/index.js";
import { chunk, key, open, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("x-l2-fs-parts-");
});
afterEach(async () => {
  await dir.cleanup();
});

describe("vectored objects (storeParts / loadParts)", () => {
  for (const extra of [{}, { use_odirect: true }, { read_ahead_size: 100 }]) {
    it(`a header and a payload are written as one file and read back into their own buffers ${JSON.stringify(extra)}`, async () => {
      const a = await open(dir.path, extra);
      expect(a.capabilities.vectoredIo).toBe(true);
      const header = chunk(17, 1);
      const payload = chunk(8192 - 17, 2);
      const r = await a.storeParts([key(1), key(2)], [[header, payload], [chunk(4096, 3)]]);
      expect(r).toEqual({ ok: true, bytesWritten: 8192 + 4096 });
      const onDisk = await readFile(join(dir.path, encodeFsKey(key(1))));
      expect(onDisk.equals(Buffer.concat([header, payload]))).toBe(true);
      const h = Buffer.alloc(17);
      const p = Buffer.alloc(8192 - 17);
      const [x, y] = [Buffer.alloc(4000), Buffer.alloc(96)];
      const loaded = await a.loadParts(
        [key(1), key(2)],
        [
          [h, p],
          [x, y],
        ],
      );
      expect(loaded.indices()).toEqual([0, 1]);
      expect(h.equals(header) && p.equals(payload)).toBe(true);
      expect(Buffer.concat([x, y]).equals(await readFile(a.pathOf(key(2))))).toBe(true);
      // A size mismatch either way is a miss.
      expect((await a.loadParts([key(1)], [[Buffer.alloc(17), Buffer.alloc(8000)]])).popcount()).toBe(0);
      expect((await a.loadParts([key(1)], [[Buffer.alloc(17), Buffer.alloc(8192)]])).popcount()).toBe(0);
      expect(a.usage().totalBytesUsed).toBe(8192 + 4096);
      await a.close();
    });
  }

  it("a part write that fails midway (ENOSPC after a partial writev) leaves no file and no temp file", async () => {
    let budget = 5000;
    const ops: FsOps = {
      ...nodeFsOps,
      open: (async (...args: Parameters<typeof nodeFsOps.open>) => {
        const fh = await nodeFsOps.open(...args);
        const writev = fh.writev.bind(fh);
        (fh as unknown as { writev: unknown }).writev = async (buffers: Uint8Array[], position: number) => {
          if (budget <= 0) throw Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" });
          const total = buffers.reduce((n, b) => n + b.byteLength, 0);
          const room = Math.min(total, budget);
          budget -= room;
          // Like the kernel: a partial write first, then ENOSPC.
          return writev([Buffer.concat(buffers).subarray(0, room)], position);
        };
        return fh;
      }) as typeof nodeFsOps.open,
    };
    const a = await open(dir.path, {}, { fsOps: ops });
    const r = await a.storeParts(
      [key(1), key(2)],
      [
        [chunk(10), chunk(3000)],
        [chunk(10), chunk(3000)],
      ],
    );
    expect(r.ok).toBe(false);
    const names = await readdir(dir.path);
    expect(names.filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
    expect(names).toHaveLength(1);
    expect(a.usage().totalBytesUsed).toBe(3010);
    await a.close();
  });
});

/** fs calls that abort `controller` when the first key file (not a temp, not a directory) is opened. */
function abortOnFirstOpen(controller: AbortController, kind: "temp" | "key"): FsOps {
  return {
    ...nodeFsOps,
    open: (async (...args: Parameters<typeof nodeFsOps.open>) => {
      const isTemp = String(args[0]).includes(TEMP_PREFIX);
      if ((kind === "temp") === isTemp && String(args[0]).endsWith(kind === "key" ? ".data" : "")) {
        controller.abort();
      }
      return nodeFsOps.open(...args);
    }) as typeof nodeFsOps.open,
  };
}

describe("{ signal } on store and load", () => {
  it("an already aborted signal starts no I/O", async () => {
    const a = await open(dir.path);
    const signal = AbortSignal.abort();
    const r = await a.store([key(1)], [chunk(100)], { signal });
    expect(r.ok).toBe(false);
    expect(isL2Error(r.error, "ABORTED")).toBe(true);
    expect(await readdir(dir.path)).toEqual([]);
    await a.close();
  });

  it("a store aborted midway finishes the file it started and starts no other", async () => {
    const controller = new AbortController();
    const a = await open(dir.path, { io_concurrency: 1 }, { fsOps: abortOnFirstOpen(controller, "temp") });
    const keys = [key(1), key(2), key(3)];
    const data = keys.map((_, i) => chunk(50_000, i));
    const r = await a.store(keys, data, { signal: controller.signal });
    expect(r.ok).toBe(false);
    expect(isL2Error(r.error, "ABORTED")).toBe(true);
    expect(r.bytesWritten).toBe(50_000);
    expect(await readdir(dir.path)).toEqual([encodeFsKey(key(1))]);
    expect((await readFile(a.pathOf(key(1)))).equals(data[0]!)).toBe(true);
    expect(a.usage().totalBytesUsed).toBe(50_000);
    await a.close();
  });

  it("a load aborted midway completes the read it started into the caller's buffer and starts no other", async () => {
    const keys = [key(1), key(2), key(3)];
    const data = keys.map((_, i) => chunk(200_000, i + 10));
    const writer = await open(dir.path);
    await writer.store(keys, data);
    await writer.close();
    const controller = new AbortController();
    const a = await open(dir.path, { io_concurrency: 1 }, { fsOps: abortOnFirstOpen(controller, "key") });
    const targets = keys.map(() => Buffer.alloc(200_000));
    const loaded = await a.load(keys, targets, { signal: controller.signal });
    expect(controller.signal.aborted).toBe(true);
    expect(loaded.indices()).toEqual([0]);
    expect(targets[0]!.equals(data[0]!)).toBe(true);
    // Nothing touched the other buffers, then or later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(targets[1]!.every((b) => b === 0) && targets[2]!.every((b) => b === 0)).toBe(true);
    // Aborted keys are misses, not gone: they stay counted.
    expect(a.usage().totalBytesUsed).toBe(600_000);
    await a.close();
  });
});

describe("persist_enabled: false (createL2Adapter deletes what this adapter stored at close)", () => {
  it("removes the files this instance stored; files recovered at start stay", async () => {
    const { createL2Adapter, silentLogger } = await import("@x/l2-core");
    await import("../src/index.js");
    const earlier = await open(dir.path);
    await earlier.store([key(1)], [chunk(100)]);
    await earlier.close();
    const a = await createL2Adapter(
      { type: "fs", base_path: dir.path, persist_enabled: false },
      { logger: silentLogger },
    );
    await a.store([key(2), key(3)], [chunk(100), chunk(100)]);
    await a.close();
    expect(await readdir(dir.path)).toEqual([encodeFsKey(key(1))]);
  });

  it("files another process published and this instance only looked up, loaded or re-stored stay", async () => {
    const { createL2Adapter, silentLogger } = await import("@x/l2-core");
    const a = await createL2Adapter(
      { type: "fs", base_path: dir.path, persist_enabled: false },
      { logger: silentLogger },
    );
    await writeFile(join(dir.path, encodeFsKey(key(4))), chunk(100), { mode: 0o600 });
    await writeFile(join(dir.path, encodeFsKey(key(5))), chunk(100), { mode: 0o600 });
    expect((await a.lookupAndLock([key(4)])).test(0)).toBe(true);
    a.unlock([key(4)]);
    expect((await a.load([key(5)], [Buffer.alloc(100)])).test(0)).toBe(true);
    await writeFile(join(dir.path, encodeFsKey(key(7))), chunk(100), { mode: 0o600 });
    // A store of a key another process already wrote writes nothing: the file is theirs.
    expect(await a.store([key(6), key(7)], [chunk(100), chunk(100)])).toEqual({
      ok: true,
      bytesWritten: 100,
    });
    await a.close();
    const kept = [encodeFsKey(key(4)), encodeFsKey(key(5)), encodeFsKey(key(7))];
    expect((await readdir(dir.path)).sort()).toEqual(kept.sort());
  });
});
