import { afterEach, describe, expect, it } from "vitest";
import {
  Bitmap,
  createL2AdapterRegistry,
  defineL2AdapterConfig,
  defineL2Connector,
  isL2Error,
  L2AdapterBase,
  type L2AdapterContext,
  type L2Connector,
  L2ConnectorAdapter,
  type L2Logger,
  type LoadOutcome,
  type LookupResult,
  ManagedL2Adapter,
  ObjectKey,
  type OperationOptions,
  type StoreOutcome,
  silentLogger,
  z,
} from "../src/index.js";

const key = (n: number, cacheSalt = "") =>
  new ObjectKey({ chunkHash: new Uint8Array([n, 0xb5]), modelName: "m", kvRank: 0, cacheSalt });
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

/**
 * A 0.2 adapter over a Map that "another process" can change behind its back (`external`), with a
 * start-up hook that can fail and a gate that holds loads in flight.
 */
class SharedMapAdapter extends L2AdapterBase {
  readonly external: Map<string, Uint8Array>;
  openError: Error | undefined;
  loadGate: Promise<void> | undefined;
  opened = 0;
  closed_ = 0;
  writes = 0;

  constructor(external = new Map<string, Uint8Array>(), capacityBytes = 1000, openError?: Error) {
    super({ type: "shared-map", capacityBytes, logger: silentLogger });
    this.external = external;
    this.openError = openError;
  }

  protected override async _open(): Promise<void> {
    this.opened++;
    if (this.openError) throw this.openError;
    // Data left by an earlier run is counted from the start.
    this.recordRecoveredKeys(
      [...this.external].map(([id, b]) => ({ key: keyById(id), sizeBytes: b.byteLength })),
    );
  }

  protected override async _lookup(keys: readonly ObjectKey[]): Promise<LookupResult> {
    return {
      found: Bitmap.fromBooleans(keys.map((k) => this.external.has(k.id))),
      sizes: keys.map((k) => this.external.get(k.id)?.byteLength),
    };
  }

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreOutcome> {
    const written = new Bitmap(keys.length);
    keys.forEach((k, i) => {
      if (this.external.has(k.id)) return;
      this.external.set(k.id, objects[i]!.slice());
      written.set(i);
      this.writes++;
    });
    return { stored: new Bitmap(keys.length, keys.length), written };
  }

  protected async _load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options: OperationOptions,
  ): Promise<LoadOutcome> {
    await this.loadGate;
    const loaded = new Bitmap(keys.length);
    const gone = new Bitmap(keys.length);
    keys.forEach((k, i) => {
      if (options.signal?.aborted) return;
      const stored = this.external.get(k.id);
      if (!stored) gone.set(i);
      else if (stored.byteLength === targets[i]!.byteLength) {
        targets[i]!.set(stored);
        loaded.set(i);
      }
    });
    return { loaded, gone };
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    for (const k of keys) this.external.delete(k.id);
  }

  protected override async _close(): Promise<void> {
    this.closed_++;
  }

  /** A piece of the adapter's own long work (a sweep) that close() must wait for. */
  startSweep(done: Promise<void>): void {
    void this.trackWork(done);
  }
}

const ids = new Map<string, ObjectKey>();
function keyById(id: string): ObjectKey {
  return ids.get(id)!;
}
for (let n = 0; n < 64; n++) ids.set(key(n).id, key(n));

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const a of open.splice(0)) await a.close().catch(() => {});
});
function adapter(...args: ConstructorParameters<typeof SharedMapAdapter>): SharedMapAdapter {
  const a = new SharedMapAdapter(...args);
  open.push(a);
  return a;
}

describe("the key index: a key counts once however it arrives", () => {
  it("stored, re-stored, adopted by a lookup, recovered at start-up", async () => {
    const external = new Map([[key(1).id, bytes(100)]]);
    const a = adapter(external);
    const origins: string[] = [];
    a.addListener({ onKeysStored: (keys, _s, info) => origins.push(`${keys.length}:${info?.origin}`) });
    await a.whenReady();
    expect(a.usage().totalBytesUsed).toBe(100); // recovered
    await a.store([key(2)], [bytes(50)]);
    await a.store([key(2)], [bytes(50)]); // re-stored
    expect(a.usage().totalBytesUsed).toBe(150);
    external.set(key(3).id, bytes(30)); // another process wrote it
    expect((await a.lookupAndLock([key(3)])).test(0)).toBe(true);
    a.unlock([key(3)]);
    expect(a.usage().totalBytesUsed).toBe(180);
    const result = await a.store([key(3)], [bytes(30)]); // already there: counted once, 0 bytes written
    expect(result).toMatchObject({ ok: true, bytesWritten: 0 });
    expect(a.usage().totalBytesUsed).toBe(180);
    expect(a.recoveredEntries().map((e) => e.key.id)).toEqual([key(1).id, key(2).id, key(3).id]);
    expect(origins).toEqual(["1:stored", "1:found"]); // recovered keys are not announced
  });

  it("per cache salt, and never negative", async () => {
    const a = adapter();
    await a.store([key(1, "a"), key(2, "b"), key(3, "b")], [bytes(10), bytes(20), bytes(30)]);
    expect(a.usage().bytesByCacheSalt).toEqual({ a: 10, b: 50 });
    await a.delete([key(2, "b"), key(2, "b"), key(9, "b")]);
    expect(a.usage().bytesByCacheSalt).toEqual({ a: 10, b: 30 });
  });

  it("keys another process removed leave the index on lookup or load, so capacity frees up", async () => {
    const external = new Map<string, Uint8Array>();
    const a = adapter(external, 200);
    await a.store([key(1), key(2)], [bytes(100), bytes(100)]);
    expect((await a.store([key(3)], [bytes(100)])).ok).toBe(false); // full
    external.clear(); // removed behind the adapter's back
    const deleted: string[] = [];
    a.addListener({ onKeysDeleted: (keys) => deleted.push(...keys.map((k) => k.id)) });
    expect((await a.lookupAndLock([key(1)])).test(0)).toBe(false);
    expect((await a.load([key(2)], [bytes(100, 0)])).test(0)).toBe(false);
    expect(deleted).toEqual([key(1).id, key(2).id]);
    expect(a.usage().totalBytesUsed).toBe(0);
    expect((await a.store([key(3)], [bytes(100)])).ok).toBe(true);
  });
});

describe("capacity admission", () => {
  it("a key that does not fit fails the task with a message naming the sizes; the others are stored", async () => {
    const a = adapter(undefined, 100);
    const result = await a.store([key(1), key(2), key(3)], [bytes(60), bytes(60), bytes(40)]);
    expect(result.ok).toBe(false);
    expect(result.bytesWritten).toBe(100);
    expect(isL2Error(result.error, "IO_FAILED")).toBe(true);
    expect(result.error?.message).toMatch(
      /capacity reached, 60 bytes do not fit \(60\/100 bytes used or reserved\); key /,
    );
    expect(a.usage().totalBytesUsed).toBe(100);
  });

  it("concurrent stores cannot overshoot: bytes in flight are reserved", async () => {
    const a = adapter(undefined, 100);
    const results = await Promise.all([1, 2, 3].map((n) => a.store([key(n)], [bytes(40)])));
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    expect(a.usage().totalBytesUsed).toBe(80);
  });
});

describe("locks are the base's", () => {
  it("lookupAndLock locks hits; delete skips locked keys; unlock drops one per call", async () => {
    const a = adapter();
    await a.store([key(1), key(2)], [bytes(10), bytes(10)]);
    expect((await a.lookupAndLock([key(1), key(1), key(3)])).toString()).toBe("110");
    await a.delete([key(1), key(2)]);
    expect(a.external.has(key(1).id)).toBe(true);
    expect(a.external.has(key(2).id)).toBe(false);
    a.unlock([key(1)]);
    await a.delete([key(1)]);
    expect(a.external.has(key(1).id)).toBe(true); // one lock left
    a.unlock([key(1), key(1), key(5)]); // extra unlocks are ignored
    await a.delete([key(1)]);
    expect(a.external.has(key(1).id)).toBe(false);
    expect(a.status()).toMatchObject({ lockedKeyCount: 0, indexedKeyCount: 0 });
  });

  it("access events come from the load bitmap", async () => {
    const a = adapter();
    const accessed: string[] = [];
    a.addListener({ onKeysAccessed: (keys) => accessed.push(...keys.map((k) => k.id)) });
    await a.store([key(1)], [bytes(10)]);
    await a.load([key(1), key(2)], [bytes(10, 0), bytes(10, 0)]);
    expect(accessed).toEqual([key(1).id]);
  });
});

describe("start-up and close", () => {
  it("a failing start-up rejects every call with its typed error and still closes", async () => {
    const failure = new Error("disk unplugged");
    const a = adapter(undefined, 100, failure);
    await expect(a.whenReady()).rejects.toBe(failure);
    await expect(a.store([key(1)], [bytes(1)])).rejects.toBe(failure);
    await expect(a.lookupAndLock([key(1)])).rejects.toBe(failure);
    await a.close();
    expect(a.closed_).toBe(1);
  });

  it("createL2Adapter surfaces a start-up failure at creation and closes the adapter", async () => {
    const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger });
    registry.register(
      defineL2Connector({
        configClass: class extends defineL2AdapterConfig("fails-open", z.object({}), {
          summary: "t",
          example: {},
        }) {},
        open: () => {
          throw new Error("server 127.0.0.1:1 refused the connection");
        },
      }),
    );
    await expect(registry.create({ type: "fails-open" })).rejects.toThrow(/127\.0\.0\.1:1 refused/);
  });

  it("close() waits for the adapter's own tracked work and for loads in flight", async () => {
    const a = adapter();
    await a.store([key(1)], [bytes(10)]);
    let releaseSweep!: () => void;
    a.startSweep(new Promise<void>((r) => (releaseSweep = r)));
    let releaseLoad!: () => void;
    a.loadGate = new Promise<void>((r) => (releaseLoad = r));
    const load = a.load([key(1)], [bytes(10, 0)]);
    let closed = false;
    const closing = a.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    releaseLoad();
    await load;
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    releaseSweep();
    await closing;
    expect(a.closed_).toBe(1);
  });
});

describe("abort signals", () => {
  it("an aborted signal makes a store fail with ABORTED and a lookup or load miss, touching nothing", async () => {
    const a = adapter();
    const signal = AbortSignal.abort();
    const result = await a.store([key(1)], [bytes(10)], { signal });
    expect(result.ok).toBe(false);
    expect(isL2Error(result.error, "ABORTED")).toBe(true);
    expect(a.writes).toBe(0);
    await a.store([key(1)], [bytes(10)]);
    expect((await a.lookupAndLock([key(1)], { signal })).popcount()).toBe(0);
    expect((await a.load([key(1)], [bytes(10, 0)], { signal })).popcount()).toBe(0);
    expect(a.status().lockedKeyCount).toBe(0);
  });

  it("the signal reaches the hook, which stops at a key boundary", async () => {
    const a = adapter();
    await a.store([key(1), key(2)], [bytes(10), bytes(10)]);
    const controller = new AbortController();
    let release!: () => void;
    a.loadGate = new Promise<void>((r) => (release = r));
    const load = a.load([key(1), key(2)], [bytes(10, 0), bytes(10, 0)], { signal: controller.signal });
    controller.abort();
    release();
    expect((await load).popcount()).toBe(0);
  });
});

describe("parts (vectored objects)", () => {
  it("storeParts stores the concatenation; loadParts fills each part; other sizes miss", async () => {
    const a = adapter();
    const header = Uint8Array.of(1, 2, 3);
    const payload = bytes(7, 9);
    expect((await a.storeParts([key(1)], [[header, payload]])).ok).toBe(true);
    expect([...a.external.get(key(1).id)!]).toEqual([1, 2, 3, 9, 9, 9, 9, 9, 9, 9]);
    const h = new Uint8Array(3);
    const p = new Uint8Array(7);
    expect((await a.loadParts([key(1)], [[h, p]])).test(0)).toBe(true);
    expect([...h, ...p]).toEqual([...a.external.get(key(1).id)!]);
    expect((await a.loadParts([key(1)], [[h, new Uint8Array(8)]])).test(0)).toBe(false);
    expect(a.capabilities.vectoredIo).toBe(false);
  });
});

describe("0.1 and 0.2 detection", () => {
  it("an adapter with neither _lookup nor _lookupAndLock is refused at construction with a typed error", () => {
    class Nothing extends L2AdapterBase {
      protected async _store(): Promise<StoreOutcome> {
        return { stored: new Bitmap(0) };
      }
      protected async _load(): Promise<Bitmap> {
        return new Bitmap(0);
      }
      protected async _delete(): Promise<void> {}
    }
    const error = (() => {
      try {
        new Nothing({ type: "nothing" });
      } catch (e) {
        return e;
      }
    })();
    expect(isL2Error(error, "ADAPTER_INVALID")).toBe(true);
    expect(String(error)).toMatch(/_lookup/);
  });
});

describe("the connector bridge", () => {
  class KvConfig extends defineL2AdapterConfig(
    "kv-test",
    z.object({ max_size_kb: z.number().positive().default(4) }),
    { summary: "a Map behind the connector bridge", example: { max_size_kb: 4 } },
  ) {}

  function kv(
    overrides: Partial<L2Connector> = {},
    logger: L2Logger = silentLogger,
  ): { adapter: L2ConnectorAdapter<KvConfig>; map: Map<string, Uint8Array> } {
    const map = new Map<string, Uint8Array>();
    const connector: L2Connector = {
      exists: async (keys) => keys.map((k) => map.get(k.id)?.byteLength),
      get: async (keys) => keys.map((k) => map.get(k.id)),
      set: async (keys, objects) => {
        for (const [i, k] of keys.entries()) map.set(k.id, objects[i]!.slice());
      },
      delete: async (keys) => keys.map((k) => map.delete(k.id)),
      ...overrides,
    };
    const context: Partial<L2AdapterContext> = { logger };
    const adapter = new L2ConnectorAdapter(KvConfig.fromDict({}), context, {
      capacityBytes: (c) => c.maxSizeKb * 1024,
      open: () => connector,
    });
    open.push(adapter);
    return { adapter, map };
  }

  it("round trip, size mismatch is a miss, a missing key is gone, capacity from the config", async () => {
    const { adapter, map } = kv();
    expect(adapter.type).toBe("kv-test");
    expect((await adapter.store([key(1)], [bytes(1000, 3)])).ok).toBe(true);
    const target = bytes(1000, 0);
    expect((await adapter.load([key(1)], [target])).test(0)).toBe(true);
    expect(target.every((b) => b === 3)).toBe(true);
    expect((await adapter.load([key(1)], [bytes(999, 0)])).test(0)).toBe(false);
    expect(adapter.usage()).toMatchObject({ totalBytesUsed: 1000, totalCapacityBytes: 4096 });
    map.clear();
    expect((await adapter.load([key(1)], [target])).test(0)).toBe(false);
    expect(adapter.usage().totalBytesUsed).toBe(0);
    expect((await adapter.store([key(2)], [bytes(5000)])).ok).toBe(false);
  });

  it("a connector that fills the target itself (true) skips the copy", async () => {
    const { adapter } = kv({
      get: async (_keys, targets) => targets.map((t) => (t.fill(5), true)),
      exists: async (keys) => keys.map(() => 10),
    });
    const target = bytes(10, 0);
    expect((await adapter.load([key(1)], [target])).test(0)).toBe(true);
    expect(target[9]).toBe(5);
  });

  it("a throwing set fails the store with a typed error; throwing get/exists are misses, logged", async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    const { adapter } = kv(
      {
        set: () => Promise.reject(new Error("connection reset")),
        get: () => Promise.reject(new Error("timeout")),
        exists: () => Promise.reject(new Error("timeout")),
      },
      logger,
    );
    const result = await adapter.store([key(1)], [bytes(10)]);
    expect(result.ok).toBe(false);
    expect(isL2Error(result.error, "IO_FAILED")).toBe(true);
    expect(result.error?.message).toMatch(/connection reset/);
    expect((await adapter.lookupAndLock([key(1)])).popcount()).toBe(0);
    expect((await adapter.load([key(1)], [bytes(10)])).popcount()).toBe(0);
    expect(warnings.length).toBe(2);
  });

  it("per-key set results: only keys the backend took are stored", async () => {
    const { adapter } = kv({ set: async (keys) => keys.map((_, i) => i === 0) });
    const result = await adapter.store([key(1), key(2)], [bytes(10), bytes(10)]);
    expect(result).toMatchObject({ ok: false, bytesWritten: 10 });
    expect(adapter.usage().totalBytesUsed).toBe(10);
  });

  it("a connector missing a function is ADAPTER_INVALID at start-up", async () => {
    const adapter = new L2ConnectorAdapter(
      KvConfig.fromDict({}),
      { logger: silentLogger },
      {
        open: () => ({ exists: async () => [] }) as unknown as L2Connector,
      },
    );
    open.push(adapter);
    const error = await adapter.whenReady().catch((e) => e);
    expect(isL2Error(error, "ADAPTER_INVALID")).toBe(true);
    expect(String(error)).toMatch(/no get\(\)/);
  });

  it("defineL2Connector makes a type the registry creates, with eviction from the config string", async () => {
    const map = new Map<string, Uint8Array>();
    const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger });
    registry.register(
      defineL2Connector({
        configClass: KvConfig,
        capacityBytes: (c) => c.maxSizeKb * 1024,
        open: () => ({
          exists: async (keys) => keys.map((k) => map.get(k.id)?.byteLength),
          get: async (keys) => keys.map((k) => map.get(k.id)),
          set: async (keys, objects) => {
            for (const [i, k] of keys.entries()) map.set(k.id, objects[i]!.slice());
          },
          delete: async (keys) => {
            for (const k of keys) map.delete(k.id);
          },
        }),
      }),
    );
    const a = await registry.create({
      type: "kv-test",
      max_size_kb: 4,
      eviction: { eviction_policy: "LRU" },
    });
    open.push(a);
    expect(a).toBeInstanceOf(ManagedL2Adapter);
    for (let n = 0; n < 12; n++) expect((await a.store([key(n)], [bytes(1024, n)])).ok).toBe(true);
    expect(map.size).toBe(4);
    expect([...map.keys()]).toEqual([8, 9, 10, 11].map((n) => key(n).id));
  });
});

describe("persist_enabled: false", () => {
  it("the keys this adapter stored are deleted at close; keys from an earlier run or another process are kept", async () => {
    const external = new Map([[key(40).id, bytes(10)]]);
    class PConfig extends defineL2AdapterConfig("persist-test", z.object({}), {
      summary: "t",
      example: {},
    }) {}
    const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger });
    registry.register({
      ...defineL2Connector({ configClass: PConfig, open: () => Promise.reject(new Error("unused")) }),
      create: () => new SharedMapAdapter(external),
    });
    const a = await registry.create({ type: "persist-test", persist_enabled: false });
    await a.store([key(1), key(2)], [bytes(10), bytes(10)]);
    external.set(key(41).id, bytes(10)); // written by another process, then found by a lookup
    expect((await a.lookupAndLock([key(41)])).test(0)).toBe(true);
    a.unlock([key(41)]);
    await a.close();
    expect([...external.keys()].sort()).toEqual([key(40).id, key(41).id].sort());

    const kept = await registry.create({ type: "persist-test" });
    await kept.store([key(3)], [bytes(10)]);
    await kept.close();
    expect(external.has(key(3).id)).toBe(true);
  });
});
