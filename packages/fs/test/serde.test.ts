// The shared `serde` key on the fs adapter, with real files: damage is done to the file on disk.
import { chmod, copyFile, open as openFile, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createL2AdapterRegistry,
  encodeFsKey,
  isL2Error,
  type L2Adapter,
  SerdeL2Adapter,
  silentLogger,
} from "@x/l2-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fsAdapterType } from "../src/index.js";
import { chunk, key, tempDir } from "./helpers/fixtures.js";

const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger, types: [fsAdapterType] });
const SIZE = 64 * 1024;

let dir: { path: string; cleanup: () => Promise<void> };
let keys: { path: string; cleanup: () => Promise<void> };
let masterA: string;
let masterB: string;
beforeEach(async () => {
  dir = await tempDir();
  keys = await tempDir("x-l2-fs-keys-");
  masterA = join(keys.path, "a.key");
  masterB = join(keys.path, "b.key");
  await writeFile(masterA, "master key A: 32 random-ish byte", { mode: 0o600 });
  await writeFile(masterB, "master key B: 32 random-ish byte", { mode: 0o600 });
});
afterEach(async () => {
  await dir.cleanup();
  await keys.cleanup();
});

const serdes = () =>
  ({
    checksum: { type: "checksum" },
    aesgcm: { type: "aesgcm", master_key_path: masterA },
  }) as Record<string, Record<string, unknown>>;

async function open(serde: Record<string, unknown>): Promise<SerdeL2Adapter> {
  const adapter = await registry.create({ type: "fs", base_path: dir.path, serde }, { logger: silentLogger });
  expect(adapter).toBeInstanceOf(SerdeL2Adapter);
  return adapter as SerdeL2Adapter;
}

const file = (k: ReturnType<typeof key>) => join(dir.path, encodeFsKey(k));

async function read(adapter: L2Adapter, k: ReturnType<typeof key>) {
  const present = (await adapter.lookupAndLock([k])).test(0);
  const target = Buffer.alloc(SIZE);
  const hit = (await adapter.load([k], [target])).test(0);
  adapter.unlock([k]);
  await new Promise((r) => setTimeout(r, 20));
  return { present, hit, target };
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

describe.each(["checksum", "aesgcm"])("fs + serde %s, real files", (name) => {
  it("writes LMCache's frame to the file and loads it back", async () => {
    const adapter = await open(serdes()[name]!);
    const data = chunk(SIZE, 1);
    await adapter.store([key(1)], [data]);
    const onDisk = await readFile(file(key(1)));
    expect(onDisk.length).toBe(SIZE + adapter.codec.overhead);
    expect(onDisk[0]).toBe(1);
    if (name === "checksum") {
      expect(onDisk.subarray(1, 9).equals(key(1).chunkHash.subarray(0, 8))).toBe(true);
      expect(onDisk.subarray(17).equals(data)).toBe(true);
    } else {
      expect(onDisk.includes(data.subarray(0, 64))).toBe(false); // ciphertext at rest
    }
    const got = await read(adapter, key(1));
    expect(got.hit).toBe(true);
    expect(got.target.equals(data)).toBe(true);
    await adapter.close();
  });

  it("a byte flipped in the file is a miss, the file is deleted and the next store repairs it", async () => {
    const adapter = await open(serdes()[name]!);
    const data = chunk(SIZE, 2);
    for (const at of [0, 3, 20, 30_000, SIZE + adapter.codec.overhead - 1]) {
      await adapter.store([key(1)], [data]);
      const handle = await openFile(file(key(1)), "r+");
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, at);
      byte[0]! ^= 0x01;
      await handle.write(byte, 0, 1, at);
      await handle.close();
      const got = await read(adapter, key(1));
      expect([got.present, got.hit], `byte ${at}`).toEqual([true, false]);
      expect(got.target.equals(data)).toBe(false);
      expect(await exists(file(key(1))), `byte ${at}`).toBe(false);
    }
    await adapter.store([key(1)], [data]);
    expect((await read(adapter, key(1))).hit).toBe(true);
    expect(adapter.status().serdeRejectedFrames).toBe(5);
    await adapter.close();
  });

  it("a truncated file is a miss", async () => {
    const adapter = await open(serdes()[name]!);
    await adapter.store([key(1), key(2)], [chunk(SIZE, 3), chunk(SIZE, 4)]);
    await truncate(file(key(1)), SIZE + adapter.codec.overhead - 1);
    await truncate(file(key(2)), 10);
    expect((await read(adapter, key(1))).hit).toBe(false);
    expect((await read(adapter, key(2))).hit).toBe(false);
    await adapter.close();
  });

  it("a file copied under another key's name is a miss (another chunk, another tenant)", async () => {
    // aesgcm binds a frame to its tenant only (LMCache's frame has no AAD); bind_key binds it to the key.
    const adapter = await open(name === "aesgcm" ? { ...serdes()[name]!, bind_key: true } : serdes()[name]!);
    await adapter.store([key(1), key(2, { salt: "tenant-b" })], [chunk(SIZE, 5), chunk(SIZE, 6)]);
    await copyFile(file(key(1)), file(key(7)));
    await copyFile(file(key(2, { salt: "tenant-b" })), file(key(8, { salt: "tenant-c" })));
    for (const k of [key(7), key(8, { salt: "tenant-c" })]) {
      const got = await read(adapter, k);
      expect([got.present, got.hit], k.id).toEqual([true, false]);
      expect(got.target.every((b) => b === 0)).toBe(true);
    }
    await adapter.close();
  });
});

describe("fs + aesgcm, LMCache-compatible frames (bind_key false)", () => {
  it("a copy under another tenant's name is a miss; under the same tenant it decrypts, as in LMCache", async () => {
    const adapter = await open({ type: "aesgcm", master_key_path: masterA });
    const data = chunk(SIZE, 9);
    await adapter.store([key(1, { salt: "t" })], [data]);
    await copyFile(file(key(1, { salt: "t" })), file(key(2, { salt: "u" })));
    await copyFile(file(key(1, { salt: "t" })), file(key(3, { salt: "t" })));
    expect((await read(adapter, key(2, { salt: "u" }))).hit).toBe(false);
    const sameTenant = await read(adapter, key(3, { salt: "t" }));
    expect(sameTenant.hit).toBe(true);
    expect(sameTenant.target.equals(data)).toBe(true); // key 1's bytes: the documented limit of the format
    await adapter.close();
  });
});

describe("fs + aesgcm master keys", () => {
  it("a wrong master key gives misses; with delete_corrupt false the right key still reads them", async () => {
    const a = await open({ type: "aesgcm", master_key_path: masterA, delete_corrupt: false });
    const data = chunk(SIZE, 7);
    await a.store([key(1)], [data]);
    await a.close();
    const b = await open({ type: "aesgcm", master_key_path: masterB, delete_corrupt: false });
    expect(await read(b, key(1))).toMatchObject({ present: true, hit: false });
    await b.close();
    const again = await open({ type: "aesgcm", master_key_path: masterA });
    const got = await read(again, key(1));
    expect(got.hit).toBe(true);
    expect(got.target.equals(data)).toBe(true);
    await again.close();
  });

  it("a key file readable by others is refused before the directory is touched", async () => {
    await chmod(masterA, 0o644);
    const error = await registry
      .create({
        type: "fs",
        base_path: join(dir.path, "never-created"),
        serde: { type: "aesgcm", master_key_path: masterA },
      })
      .catch((e) => e);
    expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
    expect(error.message).toContain(masterA);
    expect(error.hint).toBe(`run: chmod 600 ${masterA}`);
    expect(await exists(join(dir.path, "never-created"))).toBe(false);
  });
});

// Every --l2-adapter string with serde or affinity_tag in LMCache's docs and examples.
const LMCACHE_SPECS: [string, string | null][] = [
  // docs/design/v1/distributed/serde/checksum.md has no string; this is issue 12's.
  ['{"type":"fs","base_path":"/data","serde":{"type":"checksum"}}', null],
  // examples/serde/aesgcm/README.md
  [
    '{"type": "fs", "base_path": "/tmp/lmcache_serde_disk", "serde": {"type": "aesgcm", "key_provider": "hkdf", "master_key_path": "/etc/lmcache/keys/master", "aes_bits": 128}}',
    null,
  ],
  // examples/serde/encrypt/README.md (the earlier name of aesgcm)
  [
    '{"type": "fs", "base_path": "/tmp/lmcache_serde_disk", "serde": {"type": "encrypt", "key_provider": "hkdf", "master_key_path": "/etc/lmcache/keys/master", "aes_bits": 128}}',
    null,
  ],
  // examples/serde/fp8/README.md and lmcache/v1/distributed/serde/factory.py
  [
    '{"type": "fs", "base_path": "/tmp/lmcache_serde_disk", "serde": {"type": "fp8", "fp8_dtype": "float8_e4m3fn"}}',
    "NOT_SUPPORTED",
  ],
  [
    '{"type": "fs", "base_path": "/cache", "serde": {"type": "fp8", "fp8_dtype": "float8_e4m3fn"}}',
    "NOT_SUPPORTED",
  ],
  // examples/serde/turboquant/README.md
  [
    '{"type": "fs", "base_path": "/tmp/lmcache_turboquant_serde_disk", "serde": {"type": "turboquant", "preset": "turboquant_k8v4", "block_size": 16}}',
    "NOT_SUPPORTED",
  ],
  // affinity_tag with its documented default
  ['{"type":"fs","base_path":"/data","affinity_tag":"_default"}', null],
];

describe("LMCache's --l2-adapter strings with serde or affinity_tag", () => {
  it.each(LMCACHE_SPECS)("%s", async (spec, refusal) => {
    const outcome = await registry.parseArgs([spec]).then(
      ([config]) => config!,
      (error) => error,
    );
    if (refusal === null) {
      expect(isL2Error(outcome), String(outcome)).toBe(false);
      const json = JSON.parse(spec);
      expect(outcome.type).toBe("fs");
      if (json.serde) expect(outcome.serde).toMatchObject({ type: json.serde.type });
      if (json.serde?.aes_bits) expect(outcome.serde.aesBits).toBe(json.serde.aes_bits);
      expect(outcome.affinityTag).toBe(json.affinity_tag ?? "_default");
    } else {
      expect(isL2Error(outcome, "NOT_SUPPORTED"), String(outcome)).toBe(true);
      expect(outcome.field).toBe("serde.type");
      expect(outcome.message).toContain("tensor layout");
    }
  });
});
