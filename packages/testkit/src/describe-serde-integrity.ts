import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createL2AdapterRegistry,
  type L2Adapter,
  type L2AdapterTypeDefinition,
  ObjectKey,
  SerdeL2Adapter,
  silentLogger,
} from "@x/l2-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

export interface SerdeIntegrityOptions {
  /** Label for the describe blocks. */
  name: string;
  /** The adapter's type definition (registered in a private registry). */
  types: readonly L2AdapterTypeDefinition<any>[];
  /** The adapter's config without `serde` (type included), holding at least a few 64 KiB chunks. */
  config: Record<string, unknown>;
}

/**
 * The shared `serde` key around a real adapter: a round trip stores LMCache's frame, and a flipped byte, a
 * truncated object, an object copied under another key's name and a wrong master key are misses, never
 * the wrong bytes; a damaged object is deleted so the next store repairs it. Damage is done to the stored
 * object itself, through the inner (unwrapped) adapter, so it works for any adapter.
 */
export function describeSerdeIntegrity(options: SerdeIntegrityOptions): void {
  const registry = createL2AdapterRegistry({
    discover: false,
    logger: silentLogger,
    types: [...options.types],
  });
  const SIZE = 64 * 1024;
  const key = (n: number, salt = "") =>
    new ObjectKey({
      chunkHash: Uint8Array.from([n, 1, 2, 3, 4, 5, 6, 7, 8]),
      modelName: "m",
      kvRank: 0,
      cacheSalt: salt,
    });
  const payload = (seed: number) => Uint8Array.from({ length: SIZE }, (_, i) => (i * 13 + seed * 7) & 0xff);

  let dir: string;
  let masterA: string;
  let masterB: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "x-l2-serde-integrity-"));
    masterA = join(dir, "a.key");
    masterB = join(dir, "b.key");
    await writeFile(masterA, "master key A: 32 random-ish byte");
    await writeFile(masterB, "master key B: 32 random-ish byte");
    await chmod(masterA, 0o600);
    await chmod(masterB, 0o600);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const serdes = () => ({
    checksum: { type: "checksum" },
    aesgcm: { type: "aesgcm", master_key_path: masterA },
    "aesgcm-256": { type: "aesgcm", master_key_path: masterA, aes_bits: 256 },
  });

  async function open(serde: Record<string, unknown>): Promise<SerdeL2Adapter> {
    const adapter = await registry.create({ ...options.config, serde }, { logger: silentLogger });
    expect(adapter).toBeInstanceOf(SerdeL2Adapter);
    return adapter as SerdeL2Adapter;
  }

  /** lookup, load, unlock: the caller's sequence. Returns whether it was a hit and the bytes loaded. */
  async function read(adapter: L2Adapter, k: ObjectKey) {
    const present = (await adapter.lookupAndLock([k])).test(0);
    const target = new Uint8Array(SIZE);
    const hit = (await adapter.load([k], [target])).test(0);
    adapter.unlock([k]);
    await new Promise((r) => setTimeout(r, 5));
    return { present, hit, target };
  }

  /** The stored object as the inner adapter holds it (a frame). */
  async function rawFrame(inner: L2Adapter, k: ObjectKey, overhead: number): Promise<Uint8Array> {
    const frame = new Uint8Array(SIZE + overhead);
    expect((await inner.load([k], [frame])).test(0)).toBe(true);
    return frame;
  }

  async function replace(inner: L2Adapter, k: ObjectKey, bytes: Uint8Array): Promise<void> {
    await inner.delete([k]);
    expect((await inner.store([k], [bytes])).ok).toBe(true);
  }

  describe.each(Object.keys(serdes()))(`${options.name} + serde %s`, (name) => {
    it("round trip; the stored object is the frame", async () => {
      const adapter = await open(serdes()[name as keyof ReturnType<typeof serdes>]);
      const data = payload(1);
      expect((await adapter.store([key(1)], [data])).ok).toBe(true);
      const frame = await rawFrame(adapter.inner, key(1), adapter.codec.overhead);
      expect(frame[0]).toBe(1); // version byte
      const got = await read(adapter, key(1));
      expect(got.hit).toBe(true);
      expect(Buffer.from(got.target).equals(data)).toBe(true);
      await adapter.close();
    });

    it("a flipped byte, a truncated object and an object copied under another key's name are misses", async () => {
      const adapter = await open(serdes()[name as keyof ReturnType<typeof serdes>]);
      const inner = adapter.inner;
      const overhead = adapter.codec.overhead;
      const data = payload(2);
      await adapter.store([key(1), key(2, "other-tenant")], [data, payload(3)]);
      for (const at of [0, 5, overhead - 1, overhead + 1000, SIZE + overhead - 1]) {
        const frame = await rawFrame(inner, key(1), overhead);
        frame[at]! ^= 0x10;
        await replace(inner, key(1), frame);
        const got = await read(adapter, key(1));
        expect([got.present, got.hit], `byte ${at}`).toEqual([true, false]);
        expect(
          got.target.every((b) => b === 0),
          `byte ${at}`,
        ).toBe(true);
        // Deleted after the failed load, so a new store repairs it.
        expect((await inner.lookupAndLock([key(1)])).test(0)).toBe(false);
        expect((await adapter.store([key(1)], [data])).bytesWritten).toBe(SIZE + overhead);
      }
      const frame = await rawFrame(inner, key(1), overhead);
      await replace(inner, key(1), frame.subarray(0, frame.length - 1));
      expect((await read(adapter, key(1))).hit).toBe(false);
      expect((await inner.lookupAndLock([key(1)])).test(0)).toBe(false);
      // Copied under another chunk's name (and another tenant's).
      await inner.store([key(9)], [await rawFrame(inner, key(2, "other-tenant"), overhead)]);
      const copied = await read(adapter, key(9));
      expect([copied.present, copied.hit]).toEqual([true, false]);
      expect(adapter.status().serdeRejectedFrames).toBe(6);
      await adapter.close();
    });
  });

  describe(`${options.name} + aesgcm keys`, () => {
    it("a wrong master key gives misses", async () => {
      const a = await open({ type: "aesgcm", master_key_path: masterA });
      const b = await open({ type: "aesgcm", master_key_path: masterB });
      await a.store([key(1)], [payload(4)]);
      await b.inner.store([key(1)], [await rawFrame(a.inner, key(1), 29)]);
      expect((await read(b, key(1))).hit).toBe(false);
      expect((await read(a, key(1))).hit).toBe(true);
      await Promise.all([a.close(), b.close()]);
    });

    it("bind_key: a frame copied under another key of the same tenant is a miss", async () => {
      const plain = await open({ type: "aesgcm", master_key_path: masterA });
      const bound = await open({ type: "aesgcm", master_key_path: masterA, bind_key: true });
      for (const adapter of [plain, bound]) {
        await adapter.store([key(1, "t")], [payload(5)]);
        await adapter.inner.store([key(2, "t")], [await rawFrame(adapter.inner, key(1, "t"), 29)]);
      }
      // LMCache's frame has no AAD: within one salt the copy decrypts (its bytes are key 1's).
      expect((await read(plain, key(2, "t"))).hit).toBe(true);
      expect((await read(bound, key(2, "t"))).hit).toBe(false);
      await Promise.all([plain.close(), bound.close()]);
    });
  });
}
