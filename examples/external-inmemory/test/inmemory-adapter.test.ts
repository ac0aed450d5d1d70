import { type L2AdapterListener, ObjectKey, silentLogger } from "@x/l2-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InMemoryL2Adapter, InMemoryL2AdapterConfig } from "../src/index.js";

const GIB = 2 ** 30;
const key = (n: number, salt = "") =>
  new ObjectKey({
    chunkHash: new Uint8Array([n, n >> 8, 7]),
    modelName: "llama",
    kvRank: 0,
    cacheSalt: salt,
  });
const bytes = (size: number, fill: number) => new Uint8Array(size).fill(fill);

/** An adapter holding `capacity` bytes, fast enough that transfers never wait. */
function adapter(capacity: number, bandwidthGb = 1000): InMemoryL2Adapter {
  const config = InMemoryL2AdapterConfig.fromDict({
    max_size_gb: capacity / GIB,
    mock_bandwidth_gb: bandwidthGb,
  });
  return new InMemoryL2Adapter(config, { logger: silentLogger });
}

async function present(a: InMemoryL2Adapter, keys: ObjectKey[]): Promise<boolean[]> {
  const found = await a.lookupAndLock(keys);
  a.unlock(keys.filter((_, i) => found.test(i)));
  return keys.map((_, i) => found.test(i));
}

afterEach(() => {
  vi.useRealTimers();
});

describe("InMemoryL2AdapterConfig", () => {
  it("defaults to 0.5 GiB and 10 GiB/s", () => {
    const config = InMemoryL2AdapterConfig.fromDict({});
    expect([config.maxSizeGb, config.mockBandwidthGb]).toEqual([0.5, 10]);
    expect(new InMemoryL2Adapter().capacityBytes).toBe(GIB / 2);
  });

  it("rejects non-positive values and typos, naming the field", () => {
    expect(() => InMemoryL2AdapterConfig.fromDict({ max_size_gb: 0 })).toThrow(
      'field "max_size_gb": must be a positive number (got 0)',
    );
    expect(() => InMemoryL2AdapterConfig.fromDict({ mock_bandwidth: 3 })).toThrow(
      'unknown key "mock_bandwidth" for type "inmemory"; did you mean "mock_bandwidth_gb"?',
    );
  });

  it("documents both keys with their defaults", () => {
    const help = InMemoryL2AdapterConfig.help();
    expect(help).toContain("max_size_gb (number, optional, default 0.5)");
    expect(help).toContain("mock_bandwidth_gb (number, optional, default 10)");
  });

  it("lets the class be built from plain params too", () => {
    expect(new InMemoryL2Adapter({ max_size_gb: 1 }, { logger: silentLogger }).capacityBytes).toBe(GIB);
    expect(() => new InMemoryL2Adapter({ max_size_gb: -1 })).toThrow(/max_size_gb/);
  });
});

describe("InMemoryL2Adapter storage", () => {
  it("keeps copies: changing the caller's buffer after store changes nothing", async () => {
    const a = adapter(1 << 20);
    const source = bytes(1000, 1);
    expect(await a.store([key(1)], [source])).toEqual({ ok: true, bytesWritten: 1000, error: undefined });
    source.fill(9);
    const target = new Uint8Array(1000);
    expect((await a.load([key(1)], [target])).test(0)).toBe(true);
    expect(target).toEqual(bytes(1000, 1));
    await a.close();
  });

  it("skips an existing key: counted as stored, not overwritten, 0 bytes written", async () => {
    const a = adapter(1 << 20);
    await a.store([key(1)], [bytes(100, 1)]);
    expect(await a.store([key(1), key(2)], [bytes(100, 2), bytes(50, 3)])).toMatchObject({
      ok: true,
      bytesWritten: 50,
    });
    const target = new Uint8Array(100);
    await a.load([key(1)], [target]);
    expect(target).toEqual(bytes(100, 1));
    expect(a.usage().totalBytesUsed).toBe(150);
    await a.close();
  });

  it("treats a target of another size as a miss and leaves it untouched", async () => {
    const a = adapter(1 << 20);
    await a.store([key(1)], [bytes(100, 1)]);
    const small = new Uint8Array(99);
    const loaded = await a.load([key(1), key(2)], [small, new Uint8Array(100)]);
    expect([loaded.test(0), loaded.test(1)]).toEqual([false, false]);
    expect(small).toEqual(new Uint8Array(99));
    await a.close();
  });

  it("lists what it holds, in pages", async () => {
    const a = adapter(1 << 20);
    await a.store([key(1), key(2), key(3)], [bytes(10, 1), bytes(20, 2), bytes(30, 3)]);
    expect(a.capabilities.listKeys).toBe(true);
    const first = await a.listKeys({ pageSize: 2 });
    const second = await a.listKeys({ pageSize: 2, cursor: first.nextCursor ?? undefined });
    const sizes = [...first.entries, ...second.entries].map((e) => e.sizeBytes).sort((x, y) => x - y);
    expect(sizes).toEqual([10, 20, 30]);
    expect(second.nextCursor).toBeNull();
    await a.close();
  });
});

describe("InMemoryL2Adapter eviction (FIFO of unlocked keys)", () => {
  it("evicts the oldest object to make room: three 4 KB objects in 10 KB keep the last two", async () => {
    const a = adapter(10_000);
    const deleted: string[] = [];
    const listener: L2AdapterListener = { onKeysDeleted: (keys) => deleted.push(...keys.map((k) => k.id)) };
    a.addListener(listener);
    const keys = [key(1), key(2), key(3)];
    expect(
      await a.store(
        keys,
        keys.map((_, i) => bytes(4000, i)),
      ),
    ).toMatchObject({ ok: true, bytesWritten: 12000 });
    expect(await present(a, keys)).toEqual([false, true, true]);
    expect(deleted).toEqual([keys[0]!.id]);
    expect(a.usage().totalBytesUsed).toBe(8000);
    expect(a.status()).toMatchObject({ storedObjectCount: 2, evictedObjectCount: 1, currentSizeBytes: 8000 });
    await a.close();
  });

  it("evicts in insertion order, several objects at once when needed", async () => {
    const a = adapter(10_000);
    await a.store([key(1), key(2), key(3)], [bytes(3000, 1), bytes(3000, 2), bytes(3000, 3)]);
    await a.store([key(4)], [bytes(7000, 4)]);
    expect(await present(a, [key(1), key(2), key(3), key(4)])).toEqual([false, false, true, true]);
    await a.close();
  });

  it("never evicts a locked key; the oldest unlocked one goes instead", async () => {
    const a = adapter(10_000);
    await a.store([key(1), key(2)], [bytes(4000, 1), bytes(4000, 2)]);
    expect((await a.lookupAndLock([key(1)])).test(0)).toBe(true);
    expect((await a.store([key(3)], [bytes(4000, 3)])).ok).toBe(true);
    expect(a.has(key(1))).toBe(true);
    expect(a.has(key(2))).toBe(false);
    expect(a.has(key(3))).toBe(true);
    await a.close();
  });

  it("skips a key that cannot fit because the rest is locked, and evicts nothing for it", async () => {
    const a = adapter(10_000);
    await a.store([key(1), key(2)], [bytes(4000, 1), bytes(4000, 2)]);
    await a.lookupAndLock([key(1), key(2)]);
    const result = await a.store([key(3)], [bytes(4000, 3)]);
    expect(result.ok).toBe(false);
    expect(result.bytesWritten).toBe(0);
    expect(result.error?.code).toBe("IO_FAILED");
    expect(result.error?.message).toBe(
      `inmemory adapter is full: capacity reached, 4000 bytes do not fit (8000/10000 bytes used or reserved); key ${key(3).id} not stored`,
    );
    expect([a.has(key(1)), a.has(key(2)), a.has(key(3))]).toEqual([true, true, false]);
    await a.close();
  });

  it("skips an object larger than the whole capacity without evicting anything", async () => {
    const a = adapter(10_000);
    await a.store([key(1)], [bytes(4000, 1)]);
    const result = await a.store([key(2), key(3)], [bytes(10_001, 2), bytes(100, 3)]);
    expect(result).toMatchObject({ ok: false, bytesWritten: 100 });
    expect(result.error?.message).toContain(
      "object of 10001 bytes is larger than the capacity of 10000 bytes",
    );
    expect([a.has(key(1)), a.has(key(2)), a.has(key(3))]).toEqual([true, false, true]);
    await a.close();
  });
});

describe("InMemoryL2Adapter locks", () => {
  it("counts locks per key; delete skips locked keys until the last unlock", async () => {
    const a = adapter(1 << 20);
    await a.store([key(1)], [bytes(10, 1)]);
    await a.lookupAndLock([key(1)]);
    await a.lookupAndLock([key(1), key(2)]);
    expect(a.lockCount(key(1))).toBe(2);
    expect(a.lockCount(key(2))).toBe(0);
    a.unlock([key(1)]);
    await a.delete([key(1)]);
    expect(a.has(key(1))).toBe(true);
    a.unlock([key(1)]);
    a.unlock([key(1), key(2)]); // extra unlocks are ignored
    expect(a.lockCount(key(1))).toBe(0);
    await a.delete([key(1)]);
    expect(a.has(key(1))).toBe(false);
    expect(a.usage().totalBytesUsed).toBe(0);
    await a.close();
  });
});

describe("InMemoryL2Adapter simulated bandwidth", () => {
  it("completes a 1 MiB store after 1 s at 1 MiB/s (fake clock)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const a = adapter(1 << 22, 1 / 1024);
    let settled = false;
    const store = a.store([key(1)], [bytes(1 << 20, 1)]).then((r) => {
      settled = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(900);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(settled).toBe(true);
    expect((await store).ok).toBe(true);
    await a.close();
  });

  it("close() cuts a pending transfer short and later calls are rejected", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const a = adapter(1 << 22, 1 / 1024);
    const load = a.store([key(1)], [bytes(1 << 20, 1)]);
    await a.close();
    expect((await load).ok).toBe(true);
    await expect(a.store([key(2)], [bytes(1, 1)])).rejects.toMatchObject({ code: "ADAPTER_CLOSED" });
  });
});
