import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { TEMP_PREFIX } from "../src/index.js";
import { chunk, key, open, recordingLogger, tempDir } from "./helpers/fixtures.js";

describe("O_DIRECT", () => {
  it("writes and reads block-aligned chunks directly and unaligned sizes buffered", async () => {
    const dir = await tempDir("x-l2-fs-odirect-");
    try {
      const a = await open(dir.path, { use_odirect: true });
      const aligned = chunk(1024 * 1024, 1);
      const odd = chunk(10_000, 2);
      expect(await a.store([key(1), key(2)], [aligned, odd])).toEqual({
        ok: true,
        bytesWritten: 1024 * 1024 + 10_000,
      });
      const status = a.status() as unknown as {
        odirect: { active: boolean; requested: boolean; blockSize: number };
      };
      // ext4 (the work disk) accepts O_DIRECT from page-aligned windows; tmpfs since Linux 6.6 too.
      expect(status.odirect).toMatchObject({ requested: true, active: true });
      expect(status.odirect.blockSize).toBeGreaterThanOrEqual(512);
      const t1 = Buffer.alloc(aligned.length);
      const t2 = Buffer.alloc(odd.length);
      expect((await a.load([key(1), key(2)], [t1, t2])).popcount()).toBe(2);
      expect(t1.equals(aligned)).toBe(true);
      expect(t2.equals(odd)).toBe(true);
      expect((await readFile(a.pathOf(key(1)))).equals(aligned)).toBe(true);
      await a.close();
    } finally {
      await dir.cleanup();
    }
  });

  it("a direct write the kernel rejects (EINVAL from an unaligned buffer) falls back to buffered for good, logged once", async () => {
    const dir = await tempDir("x-l2-fs-odirect-");
    try {
      const rec = recordingLogger();
      const a = await open(
        dir.path,
        { use_odirect: true },
        { misalignDirectBuffersForTest: true },
        rec.logger,
      );
      const data = Array.from({ length: 6 }, (_, i) => chunk(64 * 1024, i + 1));
      const keys = data.map((_, i) => key(i));
      const r = await a.store(keys, data);
      expect(r).toEqual({ ok: true, bytesWritten: 6 * 64 * 1024 });
      const odirectWarnings = rec.warnings.filter((w) => w.includes("O_DIRECT"));
      expect(odirectWarnings).toHaveLength(1);
      expect(odirectWarnings[0]).toMatch(/EINVAL/);
      expect(a.status()).toMatchObject({ healthy: true, odirect: { requested: true, active: false } });
      const targets = data.map((d) => Buffer.alloc(d.length));
      expect((await a.load(keys, targets)).popcount()).toBe(6);
      for (const [i, t] of targets.entries()) expect(t.equals(data[i]!)).toBe(true);
      expect((await readdir(dir.path)).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
      await a.close();
    } finally {
      await dir.cleanup();
    }
  });

  it("on tmpfs (/dev/shm) stores and loads work whether or not the kernel supports O_DIRECT there", async () => {
    const dir = await tempDir("x-l2-fs-odirect-");
    const base = `/dev/shm/x-l2-fs-odirect-${process.pid}`;
    try {
      const a = await open(base, { use_odirect: true });
      const data = chunk(128 * 1024, 7);
      expect((await a.store([key(1)], [data])).ok).toBe(true);
      const t = Buffer.alloc(data.length);
      expect((await a.load([key(1)], [t])).popcount()).toBe(1);
      expect(t.equals(data)).toBe(true);
      expect(a.status().healthy).toBe(true);
      await a.close();
    } finally {
      const { rm } = await import("node:fs/promises");
      await rm(base, { recursive: true, force: true });
      await dir.cleanup();
    }
  });
});
