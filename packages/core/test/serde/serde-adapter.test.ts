import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Bitmap,
  createL2AdapterRegistry,
  defineL2AdapterConfig,
  defineL2AdapterType,
  isL2Error,
  L2AdapterBase,
  type LoadOutcome,
  type LookupResult,
  ObjectKey,
  SerdeL2Adapter,
  type StoreOutcome,
  silentLogger,
  unwrapL2Adapter,
  z,
} from "../../src/index.js";

/** A small in-memory adapter on the 0.2 base; `VectoredMapAdapter` adds the vectored hooks (no joins). */
class MapAdapter extends L2AdapterBase {
  readonly map = new Map<string, Uint8Array>();
  readonly calls: string[] = [];
  readonly storedParts: Uint8Array[][] = [];
  constructor() {
    super({ type: "maptest", logger: silentLogger });
  }
  protected override async _lookup(keys: readonly ObjectKey[]): Promise<LookupResult> {
    return {
      found: Bitmap.fromBooleans(keys.map((k) => this.map.has(k.id))),
      sizes: keys.map((k) => this.map.get(k.id)?.byteLength),
    };
  }
  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreOutcome> {
    this.calls.push("store");
    for (const [i, k] of keys.entries())
      if (!this.map.has(k.id)) this.map.set(k.id, Uint8Array.from(objects[i]!));
    return { stored: new Bitmap(keys.length, keys.length) };
  }
  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<LoadOutcome> {
    this.calls.push("load");
    const loaded = new Bitmap(keys.length);
    const gone = new Bitmap(keys.length);
    for (const [i, k] of keys.entries()) {
      const v = this.map.get(k.id);
      if (!v) gone.set(i);
      else if (v.byteLength === targets[i]!.byteLength) {
        targets[i]!.set(v);
        loaded.set(i);
      }
    }
    return { loaded, gone };
  }
  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    for (const k of keys) this.map.delete(k.id);
  }
}

class VectoredMapAdapter extends MapAdapter {
  protected override async _storeParts(
    keys: readonly ObjectKey[],
    parts: readonly (readonly Uint8Array[])[],
  ) {
    this.calls.push("storeParts");
    this.storedParts.push(...parts.map((p) => [...p]));
    for (const [i, k] of keys.entries())
      if (!this.map.has(k.id)) this.map.set(k.id, Buffer.concat(parts[i]!));
    return { stored: new Bitmap(keys.length, keys.length) };
  }
  protected override async _loadParts(keys: readonly ObjectKey[], parts: readonly (readonly Uint8Array[])[]) {
    this.calls.push("loadParts");
    const out = new Bitmap(keys.length);
    for (const [i, k] of keys.entries()) {
      const v = this.map.get(k.id);
      const size = parts[i]!.reduce((n, p) => n + p.byteLength, 0);
      if (!v || v.byteLength !== size) continue;
      let offset = 0;
      for (const p of parts[i]!) {
        p.set(v.subarray(offset, offset + p.byteLength));
        offset += p.byteLength;
      }
      out.set(i);
    }
    return out;
  }
}

class MapConfig extends defineL2AdapterConfig("maptest", z.object({ vectored: z.boolean().default(true) }), {
  summary: "test",
  example: {},
}) {}

let created: MapAdapter[] = [];
const registry = createL2AdapterRegistry({
  discover: false,
  logger: silentLogger,
  types: [
    defineL2AdapterType({
      configClass: MapConfig,
      create: (config) => {
        const a = config.vectored ? new VectoredMapAdapter() : new MapAdapter();
        created.push(a);
        return a;
      },
    }),
  ],
});

let dir: string;
beforeEach(async () => {
  created = [];
  dir = await mkdtemp(join(tmpdir(), "x-l2-serde-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (n: number, salt = "") =>
  new ObjectKey({
    chunkHash: Uint8Array.from([n, n, n, n, n, n, n, n, n]),
    modelName: "m",
    kvRank: 0,
    cacheSalt: salt,
  });
const payload = (size: number, seed: number) =>
  Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);

async function keyFile(bytes: Uint8Array | string = "a master key of 32 bytes, random", mode = 0o600) {
  const path = join(dir, `master-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, bytes, { mode });
  await chmod(path, mode);
  return path;
}

async function open(serde: Record<string, unknown>, vectored = true) {
  const adapter = (await registry.create(
    { type: "maptest", vectored, serde },
    { logger: silentLogger },
  )) as SerdeL2Adapter;
  return { adapter, inner: created.at(-1)! };
}

async function loadOne(adapter: SerdeL2Adapter, k: ObjectKey, size: number) {
  const hit = await adapter.lookupAndLock([k]);
  const target = new Uint8Array(size);
  const loaded = await adapter.load([k], [target]);
  adapter.unlock([k]);
  await new Promise((r) => setImmediate(r));
  return { present: hit.test(0), loaded: loaded.test(0), target };
}

describe.each([true, false])("serde wrapper (vectored inner: %s)", (vectored) => {
  it.each([["checksum"], ["aesgcm"]])(
    "%s: round trip; usage, listeners and status are the inner adapter's",
    async (type) => {
      const serde = type === "checksum" ? { type } : { type, master_key_path: await keyFile() };
      const { adapter, inner } = await open(serde, vectored);
      expect(adapter).toBeInstanceOf(SerdeL2Adapter);
      expect(adapter.inner).toBe(inner);
      expect(adapter.type).toBe("maptest");
      const heard: number[] = [];
      adapter.addListener({ onKeysStored: (_k, sizes) => heard.push(...sizes) });
      const data = [payload(5000, 1), payload(1, 2), payload(0, 3)];
      const keys = [key(1), key(2, "tenant"), key(3)];
      const result = await adapter.store(keys, data);
      expect(result.ok).toBe(true);
      const overhead = type === "checksum" ? 17 : 29;
      expect(heard).toEqual(data.map((d) => d.length + overhead));
      expect(adapter.usage()).toEqual(inner.usage());
      expect(adapter.usage().totalBytesUsed).toBe(5001 + 3 * overhead);
      const targets = data.map((d) => new Uint8Array(d.length));
      expect((await adapter.load(keys, targets)).indices()).toEqual([0, 1, 2]);
      for (const [i, t] of targets.entries()) expect(Buffer.from(t).equals(data[i]!)).toBe(true);
      expect(inner.calls).toContain(vectored ? "loadParts" : "load");
      if (vectored && type === "checksum") {
        // Header and payload went down as separate parts: the payload is the caller's own buffer.
        expect(inner.storedParts[0]![1]).toBe(data[0]);
      }
      expect(adapter.status()).toMatchObject({
        type: "maptest",
        serde: type,
        serdeRejectedFrames: 0,
        healthy: true,
      });
      await adapter.close();
      expect(adapter.closed).toBe(true);
      await expect(adapter.load([key(1)], [new Uint8Array(1)])).rejects.toMatchObject({
        code: "ADAPTER_CLOSED",
      });
    },
  );

  it.each([["checksum"], ["aesgcm"]])(
    "%s: damaged, truncated or misplaced objects are misses, then deleted",
    async (type) => {
      const serde = type === "checksum" ? { type } : { type, master_key_path: await keyFile() };
      const { adapter, inner } = await open(serde, vectored);
      const data = payload(3000, 9);
      await adapter.store([key(1), key(2, "s2")], [data, data]);
      const id = key(1).id;
      // A flipped byte in the payload.
      inner.map.get(id)![100]! ^= 0x20;
      let r = await loadOne(adapter, key(1), 3000);
      expect([r.present, r.loaded]).toEqual([true, false]);
      expect(adapter.status().serdeRejectedFrames).toBe(1);
      expect(inner.map.has(id)).toBe(false); // deleted once unlocked, so the next store repairs it
      expect((await adapter.store([key(1)], [data])).bytesWritten).toBeGreaterThan(0);
      expect((await loadOne(adapter, key(1), 3000)).loaded).toBe(true);
      // Truncated by one byte.
      inner.map.set(id, inner.map.get(id)!.subarray(0, -1));
      r = await loadOne(adapter, key(1), 3000);
      expect([r.present, r.loaded]).toEqual([true, false]);
      expect(inner.map.has(id)).toBe(false);
      // Copied under another key's name (another chunk and salt).
      inner.map.set(key(5).id, Uint8Array.from(inner.map.get(key(2, "s2").id)!));
      r = await loadOne(adapter, key(5), 3000);
      expect([r.present, r.loaded]).toEqual([true, false]);
      expect(r.target.every((b) => b === 0)).toBe(true); // none of the other chunk's bytes are left behind
      await adapter.close();
    },
  );
});

describe("serde wrapper options and key files", () => {
  it("delete_corrupt: false keeps the damaged object (still a miss)", async () => {
    const { adapter, inner } = await open({ type: "checksum", delete_corrupt: false });
    await adapter.store([key(1)], [payload(100, 1)]);
    inner.map.get(key(1).id)![20]! ^= 1;
    expect((await loadOne(adapter, key(1), 100)).loaded).toBe(false);
    expect(inner.map.has(key(1).id)).toBe(true);
    await adapter.close();
  });

  it("an unlocked damaged object is deleted at once", async () => {
    const { adapter, inner } = await open({ type: "checksum" });
    await adapter.store([key(1)], [payload(100, 1)]);
    inner.map.get(key(1).id)![0] = 9;
    expect((await adapter.load([key(1)], [new Uint8Array(100)])).test(0)).toBe(false);
    await adapter.close(); // waits for the repair delete
    expect(inner.map.has(key(1).id)).toBe(false);
    expect(adapter.status().serdeRepairDeletes).toBe(1);
  });

  it("a wrong master key gives misses; the status never shows key material", async () => {
    const first = await keyFile("first master key, thirty-two by");
    const { adapter, inner } = await open({ type: "aesgcm", master_key_path: first, aes_bits: 256 });
    await adapter.store([key(1)], [payload(4096, 5)]);
    const frame = inner.map.get(key(1).id)!;
    await adapter.close();
    const other = await open({
      type: "aesgcm",
      master_key_path: await keyFile("second master key, thirty-two b"),
      aes_bits: 256,
    });
    other.inner.map.set(key(1).id, frame);
    expect((await loadOne(other.adapter, key(1), 4096)).loaded).toBe(false);
    const status = JSON.stringify(other.adapter.status());
    expect(status).not.toContain("second master");
    expect(status).not.toContain(Buffer.from("second master").toString("hex"));
    await other.adapter.close();
  });

  it.each([0o640, 0o604, 0o660, 0o644])(
    "a key file with mode %o is refused, naming the path and chmod 600",
    async (mode) => {
      const path = await keyFile("secret-key-material-0123456789ab", mode);
      const error = await open({ type: "aesgcm", master_key_path: path }).catch((e) => e);
      expect(isL2Error(error, "CONFIG_INVALID")).toBe(true);
      expect(error.field).toBe("serde.master_key_path");
      expect(error.message).toContain(path);
      expect(error.hint).toBe(`run: chmod 600 ${path}`);
      expect(`${error.message} ${error.hint}`).not.toContain("secret-key-material");
      expect(created).toHaveLength(0); // refused before the inner adapter was created
    },
  );

  it("a missing, empty or non-regular key file is refused with the path", async () => {
    for (const path of [join(dir, "absent"), await keyFile(""), dir]) {
      const error = await open({ type: "aesgcm", master_key_path: path }).catch((e) => e);
      expect(isL2Error(error, "CONFIG_INVALID"), String(error)).toBe(true);
      expect(error.message).toContain(JSON.stringify(path));
    }
  });

  it("the key file's raw bytes are the key: a trailing newline is part of it, as in LMCache", async () => {
    const a = await open({ type: "aesgcm", master_key_path: await keyFile("k".repeat(32)) });
    await a.adapter.store([key(1)], [payload(64, 1)]);
    const frame = a.inner.map.get(key(1).id)!;
    await a.adapter.close();
    const b = await open({ type: "aesgcm", master_key_path: await keyFile(`${"k".repeat(32)}\n`) });
    b.inner.map.set(key(1).id, frame);
    expect((await loadOne(b.adapter, key(1), 64)).loaded).toBe(false);
    await b.adapter.close();
  });

  it("sits under eviction from the same config string; unwrapL2Adapter reaches the inner adapter", async () => {
    const adapter = await registry.create(
      { type: "maptest", serde: { type: "checksum" }, eviction: { eviction_policy: "LRU" } },
      { logger: silentLogger },
    );
    expect(adapter).not.toBeInstanceOf(SerdeL2Adapter);
    expect((adapter as unknown as { inner: unknown }).inner).toBeInstanceOf(SerdeL2Adapter);
    expect(unwrapL2Adapter(adapter)).toBe(created.at(-1));
    await adapter.store([key(1)], [payload(100, 1)]);
    const target = new Uint8Array(100);
    expect((await adapter.load([key(1)], [target])).test(0)).toBe(true);
    expect(Buffer.from(target).equals(payload(100, 1))).toBe(true);
    expect(adapter.capabilities.vectoredIo).toBe(false);
    await adapter.close();
  });

  it("storeParts and loadParts on the wrapper frame the joined payload", async () => {
    const { adapter, inner } = await open({ type: "checksum" });
    const data = payload(300, 4);
    await adapter.storeParts([key(1)], [[data.subarray(0, 100), data.subarray(100)]]);
    expect(inner.map.get(key(1).id)!.byteLength).toBe(317);
    const a = new Uint8Array(50);
    const b = new Uint8Array(250);
    expect((await adapter.loadParts([key(1)], [[a, b]])).test(0)).toBe(true);
    expect(Buffer.concat([a, b]).equals(data)).toBe(true);
    await adapter.close();
  });

  it("rejects bad arguments with ARGUMENT_INVALID like every adapter", async () => {
    const { adapter } = await open({ type: "checksum" });
    await expect(adapter.store([key(1)], [])).rejects.toMatchObject({
      code: "ARGUMENT_INVALID",
      field: "objects",
    });
    await expect(adapter.load([{} as ObjectKey], [new Uint8Array(1)])).rejects.toMatchObject({
      code: "ARGUMENT_INVALID",
      field: "keys[0]",
    });
    await adapter.close();
  });
});
