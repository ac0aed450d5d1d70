import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeFsKey } from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEMP_PREFIX } from "../src/index.js";
import { childData, childKey, PER_BATCH } from "./helpers/child-keys.js";
import { open, tempDir } from "./helpers/fixtures.js";

const CHILD = fileURLToPath(new URL("./helpers/store-child.mjs", import.meta.url));
const SIZE = 192 * 1024;

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("x-l2-fs-crash-");
});
afterEach(async () => {
  await dir.cleanup();
});

interface ChildRun {
  child: ChildProcess;
  completed: number[];
  ready: Promise<void>;
  exited: Promise<void>;
  lines: string[];
}

export function runChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const completed: number[] = [];
  const lines: string[] = [];
  let buffered = "";
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      if (line === "ready") markReady();
      const m = /^done (\d+)$/.exec(line);
      if (m) completed.push(Number(m[1]));
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => lines.push(`stderr: ${chunk.toString()}`));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { child, completed, ready, exited, lines };
}

describe("crash safety with real processes", () => {
  it("SIGKILL at random points never leaves a partial file, temp files are cleaned, completed batches load byte-identical", async () => {
    const kills = 24;
    const completedByRun = new Map<string, number[]>();
    for (let run = 0; run < kills; run++) {
      const prefix = `r${run}`;
      const c = runChild([dir.path, prefix, "100000", String(SIZE), run % 3 === 0 ? "sync" : "nosync"]);
      await c.ready;
      // Kill somewhere between the first write and a few dozen batches in.
      await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 120)));
      c.child.kill("SIGKILL");
      await c.exited;
      completedByRun.set(prefix, [...c.completed]);
    }
    const leftovers = (await readdir(dir.path)).filter((n) => n.startsWith(TEMP_PREFIX));
    const a = await open(dir.path);
    const names = await readdir(dir.path);
    expect(names.filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
    expect(a.status()).toMatchObject({ recovery: { tempFilesRemoved: leftovers.length } });
    // Every visible file is a complete, correct object: nothing partial was ever published.
    let checkedFiles = 0;
    for (const name of names) {
      const key = decodeFsKey(name);
      expect(key, name).not.toBeNull();
      const n = Buffer.from(key!.chunkHash).readUInt32BE(0);
      expect((await readFile(join(dir.path, name))).equals(childData(n, SIZE)), name).toBe(true);
      checkedFiles++;
    }
    // Every batch a child reported as stored loads back through a fresh adapter.
    let completedKeys = 0;
    for (const [prefix, batches] of completedByRun) {
      for (const b of batches) {
        const ids = Array.from({ length: PER_BATCH }, (_, i) => b * PER_BATCH + i);
        const keys = ids.map((n) => childKey(prefix, n));
        const targets = ids.map((n) => Buffer.alloc(childData(n, SIZE).length));
        const hits = await a.lookupAndLock(keys);
        expect(hits.popcount()).toBe(keys.length);
        const loaded = await a.load(keys, targets);
        expect(loaded.popcount()).toBe(keys.length);
        ids.forEach((n, i) => {
          expect(targets[i]!.equals(childData(n, SIZE))).toBe(true);
        });
        a.unlock(keys);
        completedKeys += keys.length;
      }
    }
    expect(completedKeys).toBeGreaterThan(0);
    expect(checkedFiles).toBeGreaterThanOrEqual(completedKeys);
    expect(a.usage().totalBytesUsed).toBeGreaterThan(0);
    await a.close();
  }, 60_000);

  it("two processes share one directory and each sees the other's keys", async () => {
    const writer = runChild([dir.path, "shared", "3", "65536"]);
    await writer.exited;
    expect(writer.completed).toEqual([0, 1, 2]);
    const a = await open(dir.path, { recover_on_start: false });
    const theirs = Array.from({ length: 12 }, (_, n) => childKey("shared", n));
    expect((await a.lookupAndLock(theirs)).popcount()).toBe(12);
    const t = Buffer.alloc(childData(5, 65536).length);
    expect((await a.load([theirs[5]!], [t])).popcount()).toBe(1);
    expect(t.equals(childData(5, 65536))).toBe(true);
    a.unlock(theirs);
    // Now the other direction: this process stores, a second child process re-stores the same keys and
    // finds every one already there (0 bytes, still ok).
    const mine = Array.from({ length: 8 }, (_, n) => childKey("mine", n));
    await a.store(
      mine,
      mine.map((_, n) => childData(n, 65536)),
    );
    const second = runChild([dir.path, "mine", "2", "65536"]);
    await second.exited;
    expect(second.completed).toEqual([0, 1]);
    for (const [i, k] of mine.entries()) {
      const onDisk = await readFile(a.pathOf(k));
      expect(onDisk.equals(childData(i, 65536))).toBe(true);
    }
    await a.close();
  }, 30_000);

  it("concurrent writers of one key in several processes leave exactly one complete file", async () => {
    const runs = Array.from({ length: 4 }, () => runChild([dir.path, "race", "6", "262144"]));
    await Promise.all(runs.map((r) => r.exited));
    for (const r of runs) expect(r.completed).toEqual([0, 1, 2, 3, 4, 5]);
    const names = await readdir(dir.path);
    expect(names.filter((n) => !decodeFsKey(n))).toEqual([]);
    expect(names).toHaveLength(24);
    for (const name of names) {
      const n = Buffer.from(decodeFsKey(name)!.chunkHash).readUInt32BE(0);
      expect((await readFile(join(dir.path, name))).equals(childData(n, 262144))).toBe(true);
    }
  }, 30_000);
});
