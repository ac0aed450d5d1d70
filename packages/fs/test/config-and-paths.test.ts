import { mkdir, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createL2AdapterRegistry, isL2Error, ObjectKey, silentLogger } from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsL2Adapter, FsL2AdapterConfig, fsAdapterType } from "../src/index.js";
import { chunk, config, key, open, tempDir } from "./helpers/fixtures.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir("x-l2-fs-cfg-");
});
afterEach(async () => {
  await dir.cleanup();
});

function configError(dict: Record<string, unknown>): { code?: string; field?: string; message: string } {
  try {
    FsL2AdapterConfig.fromDict({ type: "fs", ...dict });
  } catch (error) {
    return error as { code?: string; field?: string; message: string };
  }
  throw new Error(`config ${JSON.stringify(dict)} was accepted`);
}

describe("config (LMCache's keys)", () => {
  it("parses every key with LMCache's defaults", () => {
    const c = FsL2AdapterConfig.fromDict({ type: "fs", base_path: "/x" });
    expect(c).toMatchObject({
      basePath: "/x",
      useOdirect: false,
      maxCapacityGb: 0,
      recoverOnStart: true,
      ioConcurrency: 8,
      syncWrites: false,
      eviction: null,
      persistEnabled: true,
      shared: false,
    });
    expect(c.relativeTmpDir).toBeUndefined();
    expect(c.readAheadSize).toBeUndefined();
    const full = FsL2AdapterConfig.fromDict({
      type: "fs",
      base_path: "/x",
      relative_tmp_dir: "tmp",
      read_ahead_size: 4096,
      use_odirect: true,
      max_capacity_gb: 1.5,
      recover_on_start: false,
      io_concurrency: 2,
      sync_writes: true,
      eviction: { eviction_policy: "LRU" },
    });
    expect(full.eviction).toEqual({ policy: "LRU", triggerWatermark: 0.8, evictionRatio: 0.2 });
    expect(FsL2AdapterConfig.fromDict(full.toDict())).toEqual(full);
    expect(FsL2AdapterConfig.help()).toMatch(/relative_tmp_dir/);
  });

  it.each([
    [{}, "base_path"],
    [{ base_path: "" }, "base_path"],
    [{ base_path: "/x", read_ahead_size: 0 }, "read_ahead_size"],
    [{ base_path: "/x", read_ahead_size: 1.5 }, "read_ahead_size"],
    [{ base_path: "/x", use_odirect: "yes" }, "use_odirect"],
    [{ base_path: "/x", max_capacity_gb: -1 }, "max_capacity_gb"],
    [{ base_path: "/x", max_capacity_gb: true }, "max_capacity_gb"],
    [{ base_path: "/x", io_concurrency: 0 }, "io_concurrency"],
    [{ base_path: "/x", relative_tmp_dir: "../escape" }, "relative_tmp_dir"],
    [{ base_path: "/x", relative_tmp_dir: "a/../../b" }, "relative_tmp_dir"],
    [{ base_path: "/x", relative_tmp_dir: "/abs/tmp" }, "relative_tmp_dir"],
    [{ base_path: "/x", relative_tmp_dir: "." }, "relative_tmp_dir"],
    [{ base_path: "/x", relative_tmp_dir: "" }, "relative_tmp_dir"],
  ])("rejects %j with a CONFIG_INVALID error naming %s", (dict, field) => {
    const error = configError(dict);
    expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });
});

describe("path safety", () => {
  it("rejects a symlinked temp directory, even one pointing inside base_path", async () => {
    const outside = join(dir.path, "outside");
    const base = join(dir.path, "base");
    await mkdir(outside);
    await mkdir(base);
    await symlink(outside, join(base, "tmp"));
    await expect(open(base, { relative_tmp_dir: "tmp" })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      field: "relative_tmp_dir",
    });
    await mkdir(join(base, "real"));
    await symlink(join(base, "real"), join(base, "inner"));
    await expect(open(base, { relative_tmp_dir: "inner/x" })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    expect(await readdir(outside)).toEqual([]);
  });

  it("rejects a base_path that is a file", async () => {
    await writeFile(join(dir.path, "file"), "x");
    await expect(open(join(dir.path, "file"))).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      field: "base_path",
    });
  });

  it("a model name cannot escape base_path: '/' is encoded, '..' stays one file name", async () => {
    const a = await open(join(dir.path, "base"));
    const sneaky = new ObjectKey({ chunkHash: Buffer.from([1]), modelName: "../../etc/passwd", kvRank: 0 });
    expect((await a.store([sneaky], [chunk(10)])).ok).toBe(true);
    expect(await readdir(dir.path)).toEqual(["base"]);
    const names = await readdir(join(dir.path, "base"));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^\.\.-SEP-\.\.-SEP-etc-SEP-passwd@/);
    expect((await stat(a.pathOf(sneaky))).mode & 0o777).toBe(0o600);
    // A model name containing the separator token itself cannot be encoded: that key fails, typed.
    const clash = new ObjectKey({ chunkHash: Buffer.from([2]), modelName: "a-SEP-b", kvRank: 0 });
    const r = await a.store([clash], [chunk(10)]);
    expect(r.ok).toBe(false);
    expect(isL2Error(r.error, "KEY_INVALID")).toBe(true);
    await a.close();
  });
});

describe("type definition and registry", () => {
  it("registers as type fs and creates a started adapter", async () => {
    const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger });
    registry.register(fsAdapterType);
    const adapter = await registry.create(
      { type: "fs", base_path: join(dir.path, "reg") },
      { logger: silentLogger },
    );
    expect(adapter).toBeInstanceOf(FsL2Adapter);
    expect((await adapter.store([key(1)], [chunk(3)])).ok).toBe(true);
    await adapter.close();
  });

  it("start-up errors surface on every call of an adapter made with new", async () => {
    await writeFile(join(dir.path, "file"), "x");
    const a = new FsL2Adapter(config(join(dir.path, "file")), { logger: silentLogger });
    await expect(a.lookupAndLock([key(1)])).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    // 0.2's whenReady() and 0.1's deprecated ready property report the same start-up failure.
    await expect(a.whenReady()).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "base_path" });
    await expect(a.ready).rejects.toMatchObject({ code: "CONFIG_INVALID", field: "base_path" });
    await expect(
      FsL2Adapter.open(config(join(dir.path, "file")), { logger: silentLogger }),
    ).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    expect(a.status().healthy).toBe(false);
    await a.close();
  });
});
