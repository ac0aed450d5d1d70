import { describe, expect, it } from "vitest";
import {
  Bitmap,
  isL2Error,
  type KeyListPage,
  L2AdapterBase,
  type L2AdapterListener,
  type L2ErrorCode,
  type L2Logger,
  type ListKeysOptions,
  ObjectKey,
  pageKeyEntries,
  type StoreResult,
} from "../src/index.js";

const key = (n: number, cacheSalt = "") =>
  new ObjectKey({ chunkHash: new Uint8Array([n]), modelName: "m", kvRank: 1, cacheSalt });
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

function recordingLogger(): L2Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A minimal real adapter over a Map, with hooks a test can set: a gate that holds operations in flight
 * and overrides that return malformed results, as a buggy adapter would.
 */
class MapAdapter extends L2AdapterBase {
  readonly objects = new Map<string, Uint8Array>();
  readonly calls: string[] = [];
  gate: Promise<void> | undefined;
  badResult: "store" | "lookup" | "load" | undefined;
  statusThrows = false;
  closeCalls = 0;
  abortedAtClose: boolean | undefined;

  constructor(logger: L2Logger = recordingLogger()) {
    super({ type: "map", capacityBytes: 1000, logger });
  }

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    this.calls.push("store");
    await this.gate;
    if (this.badResult === "store") return { ok: "yes" } as never;
    const stored: ObjectKey[] = [];
    const sizes: number[] = [];
    keys.forEach((k, i) => {
      if (this.objects.has(k.id)) return;
      this.objects.set(k.id, new Uint8Array(objects[i]!));
      stored.push(k);
      sizes.push(objects[i]!.byteLength);
    });
    this.notifyStored(stored, sizes);
    return { ok: true, bytesWritten: sizes.reduce((a, b) => a + b, 0) };
  }

  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    this.calls.push("lookup");
    if (this.badResult === "lookup") return new Bitmap(keys.length + 1);
    return Bitmap.fromBooleans(keys.map((k) => this.objects.has(k.id)));
  }

  protected _unlock(keys: readonly ObjectKey[]): void {
    this.calls.push(`unlock:${keys.length}`);
    if (keys.length === 99) throw new Error("unlock bug");
  }

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    this.calls.push("load");
    await this.gate;
    if (this.badResult === "load") return [true] as never;
    const bitmap = new Bitmap(keys.length);
    keys.forEach((k, i) => {
      const stored = this.objects.get(k.id);
      if (stored && stored.byteLength === targets[i]!.byteLength) {
        targets[i]!.set(stored);
        bitmap.set(i);
      }
    });
    this.notifyAccessed(bitmap.gather(keys as ObjectKey[]));
    return bitmap;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    this.calls.push("delete");
    const gone = keys.filter((k) => this.objects.has(k.id));
    const sizes = gone.map((k) => this.objects.get(k.id)!.byteLength);
    for (const k of gone) this.objects.delete(k.id);
    this.notifyDeleted(gone, sizes);
  }

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return pageKeyEntries([], options);
  }

  protected override async _close(): Promise<void> {
    this.closeCalls++;
    this.abortedAtClose = this.closeSignal.aborted;
  }

  protected override _status(): Record<string, unknown> {
    if (this.statusThrows) throw new Error("status bug");
    return { objectCount: this.objects.size };
  }

  /** Lets a test drive accounting directly, as an adapter with a miscounting delete would. */
  forgetBytes(keys: ObjectKey[], sizes: number[]): void {
    this.notifyDeleted(keys, sizes);
  }
}

/** The adapter from the base alone: no listKeys. */
class MinimalAdapter extends L2AdapterBase {
  constructor() {
    super({ type: "minimal", logger: recordingLogger() });
  }
  protected async _store(): Promise<StoreResult> {
    return { ok: true, bytesWritten: 0 };
  }
  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return new Bitmap(keys.length);
  }
  protected _unlock(): void {}
  protected async _load(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return new Bitmap(keys.length);
  }
  protected async _delete(): Promise<void> {}
}

async function rejection(
  promise: Promise<unknown>,
  code: L2ErrorCode,
): Promise<{ field?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isL2Error(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    return error as { field?: string; message: string };
  }
  throw new Error(`expected a rejection with ${code}`);
}

describe("L2AdapterBase argument checks", () => {
  it.each([
    ["store keys not an array", (a: MapAdapter) => a.store("k" as never, []), "keys"],
    [
      "store key not an ObjectKey",
      (a: MapAdapter) => a.store([key(1), { id: "x" } as never], [bytes(1), bytes(1)]),
      "keys[1]",
    ],
    ["store objects not an array", (a: MapAdapter) => a.store([key(1)], undefined as never), "objects"],
    ["store objects too short", (a: MapAdapter) => a.store([key(1), key(2)], [bytes(1)]), "objects"],
    ["store object not bytes", (a: MapAdapter) => a.store([key(1)], ["abc" as never]), "objects[0]"],
    ["lookup keys not an array", (a: MapAdapter) => a.lookupAndLock(null as never), "keys"],
    ["load target missing", (a: MapAdapter) => a.load([key(1)], []), "targets"],
    [
      "load target not bytes",
      (a: MapAdapter) => a.load([key(1)], [new ArrayBuffer(1) as never]),
      "targets[0]",
    ],
    ["delete key not an ObjectKey", (a: MapAdapter) => a.delete(["k" as never]), "keys[0]"],
    ["listKeys pageSize 0", (a: MapAdapter) => a.listKeys({ pageSize: 0 }), "pageSize"],
    ["listKeys pageSize too big", (a: MapAdapter) => a.listKeys({ pageSize: 10_001 }), "pageSize"],
    ["listKeys pageSize missing", (a: MapAdapter) => a.listKeys(undefined as never), "pageSize"],
    [
      "listKeys cursor not a string",
      (a: MapAdapter) => a.listKeys({ pageSize: 1, cursor: 5 as never }),
      "cursor",
    ],
    [
      "listKeys model not a string",
      (a: MapAdapter) => a.listKeys({ pageSize: 1, modelName: 5 as never }),
      "modelName",
    ],
  ])("%s: ARGUMENT_INVALID naming %s, subclass not called", async (_name, call, field) => {
    const adapter = new MapAdapter();
    const error = await rejection(call(adapter), "ARGUMENT_INVALID");
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(adapter.calls).toEqual([]);
  });

  it("addListener needs an object", () => {
    expect(() => new MapAdapter().addListener(null as never)).toThrow(
      expect.objectContaining({ code: "ARGUMENT_INVALID" }),
    );
  });

  it("empty batches settle without calling the subclass", async () => {
    const adapter = new MapAdapter();
    expect(await adapter.store([], [])).toEqual({ ok: true, bytesWritten: 0 });
    expect((await adapter.lookupAndLock([])).size).toBe(0);
    expect((await adapter.load([], [])).size).toBe(0);
    await adapter.delete([]);
    adapter.unlock([]);
    expect(adapter.calls).toEqual([]);
  });

  it("unlock never throws: bad arguments and a failing subclass are ignored", () => {
    const logger = recordingLogger();
    const adapter = new MapAdapter(logger);
    expect(() => adapter.unlock(undefined as never)).not.toThrow();
    expect(() => adapter.unlock([key(1), "junk" as never])).not.toThrow();
    expect(adapter.calls).toEqual(["unlock:1"]);
    expect(() => adapter.unlock(Array.from({ length: 99 }, (_, i) => key(i)))).not.toThrow();
    expect(logger.warnings.join()).toMatch(/unlock failed/);
  });

  it("listKeys is NOT_SUPPORTED for an adapter without _listKeys", async () => {
    const adapter = new MinimalAdapter();
    expect(adapter.capabilities.listKeys).toBe(false);
    expect(new MapAdapter().capabilities.listKeys).toBe(true);
    await rejection(adapter.listKeys({ pageSize: 1 }), "NOT_SUPPORTED");
  });
});

describe("L2AdapterBase result shape checks", () => {
  it.each([
    ["store", (a: MapAdapter) => a.store([key(1)], [bytes(1)])],
    ["lookup", (a: MapAdapter) => a.lookupAndLock([key(1)])],
    ["load", (a: MapAdapter) => a.load([key(1)], [bytes(1)])],
  ] as const)("a malformed %s result is ADAPTER_INVALID", async (op, call) => {
    const adapter = new MapAdapter();
    adapter.badResult = op;
    const error = await rejection(call(adapter), "ADAPTER_INVALID");
    expect(error.message).toContain("malformed");
  });
});

describe("L2AdapterBase closed state", () => {
  it("every call after close rejects with ADAPTER_CLOSED; unlock, usage and status still answer", async () => {
    const adapter = new MapAdapter();
    await adapter.store([key(1)], [bytes(4)]);
    await adapter.close();
    expect(adapter.closed).toBe(true);
    const calls = [
      adapter.store([key(2)], [bytes(1)]),
      adapter.lookupAndLock([key(1)]),
      adapter.load([key(1)], [bytes(4)]),
      adapter.delete([key(1)]),
      adapter.listKeys({ pageSize: 1 }),
      // Even with bad arguments the closed state is reported first.
      adapter.store("junk" as never, []),
    ];
    for (const call of calls) {
      const error = await rejection(call, "ADAPTER_CLOSED");
      expect(error.message).toMatch(/closed "map" adapter/);
    }
    expect(() => adapter.unlock([key(1)])).not.toThrow();
    expect(adapter.usage().totalBytesUsed).toBe(4);
    expect(adapter.status()).toMatchObject({ healthy: false, closed: true, type: "map" });
  });

  it("close is idempotent and calls _close once", async () => {
    const adapter = new MapAdapter();
    const first = adapter.close();
    const second = adapter.close();
    await Promise.all([first, second, adapter.close()]);
    await adapter.close();
    expect(adapter.closeCalls).toBe(1);
  });

  it("close waits for in-flight operations, aborts closeSignal first, and rejects calls made while closing", async () => {
    const adapter = new MapAdapter();
    await adapter.store([key(1)], [bytes(4, 9)]);
    const gate = deferred();
    adapter.gate = gate.promise;
    const target = bytes(4, 0);
    const load = adapter.load([key(1)], [target]);
    const store = adapter.store([key(2)], [bytes(4)]);
    let closeDone = false;
    const closing = adapter.close().then(() => {
      closeDone = true;
    });
    await rejection(adapter.lookupAndLock([key(1)]), "ADAPTER_CLOSED");
    await new Promise((r) => setTimeout(r, 20));
    expect(closeDone).toBe(false);
    expect(adapter.closeCalls).toBe(0);
    gate.resolve();
    await closing;
    expect(adapter.closeCalls).toBe(1);
    expect(adapter.abortedAtClose).toBe(true);
    // The in-flight operations completed normally, before close resolved.
    expect((await load).test(0)).toBe(true);
    expect([...target]).toEqual([9, 9, 9, 9]);
    expect((await store).ok).toBe(true);
  });

  it("close waits for an in-flight operation that fails", async () => {
    const adapter = new MapAdapter();
    const gate = deferred();
    adapter.gate = gate.promise;
    adapter.badResult = "store";
    const store = adapter.store([key(1)], [bytes(1)]);
    const closing = adapter.close();
    gate.resolve();
    await closing;
    await rejection(store, "ADAPTER_INVALID");
    expect(adapter.closeCalls).toBe(1);
  });
});

describe("L2AdapterBase accounting and listeners", () => {
  it("accounts stored and deleted bytes per salt; re-store adds nothing", async () => {
    const adapter = new MapAdapter();
    await adapter.store([key(1), key(2, "t")], [bytes(10), bytes(5)]);
    const again = await adapter.store([key(1)], [bytes(10)]);
    expect(again).toEqual({ ok: true, bytesWritten: 0 });
    expect(adapter.usage()).toEqual({
      totalBytesUsed: 15,
      totalCapacityBytes: 1000,
      bytesByCacheSalt: { "": 10, t: 5 },
      usageFraction: 0.015,
    });
    await adapter.delete([key(2, "t"), key(3)]);
    await adapter.delete([key(2, "t")]);
    expect(adapter.usage().bytesByCacheSalt).toEqual({ "": 10 });
  });

  it("accounting never goes negative: a delete removes the size the index recorded, not the size reported", async () => {
    const adapter = new MapAdapter(recordingLogger());
    await adapter.store([key(1), key(2)], [bytes(10), bytes(5)]);
    adapter.forgetBytes([key(1)], [25]);
    expect(adapter.usage()).toMatchObject({ totalBytesUsed: 5, usageFraction: 0.005 });
    adapter.forgetBytes([key(1)], [25]); // a second report of the same delete changes nothing
    expect(adapter.usage().totalBytesUsed).toBe(5);
  });

  it("a key reported stored twice is counted once", async () => {
    const adapter = new MapAdapter(recordingLogger());
    await adapter.store([key(1)], [bytes(10)]);
    await adapter.store([key(1)], [bytes(10)]);
    expect(adapter.usage().totalBytesUsed).toBe(10);
  });

  it("listeners are called after the fact with keys and sizes, and can be removed", async () => {
    const adapter = new MapAdapter();
    const events: string[] = [];
    const remove = adapter.addListener({
      onKeysStored: (keys, sizes) => {
        // After the fact: the object is already stored and accounted when the listener runs.
        expect(keys.every((k) => adapter.objects.has(k.id))).toBe(true);
        expect(adapter.usage().totalBytesUsed).toBeGreaterThan(0);
        events.push(`stored ${keys.length} ${sizes.join(",")}`);
      },
      onKeysAccessed: (keys) => events.push(`accessed ${keys.length}`),
      onKeysDeleted: (keys, sizes) => {
        expect(keys.every((k) => !adapter.objects.has(k.id))).toBe(true);
        events.push(`deleted ${keys.length} ${sizes.join(",")}`);
      },
    });
    await adapter.store([key(1), key(2)], [bytes(3), bytes(4)]);
    await adapter.load([key(1), key(9)], [bytes(3), bytes(3)]);
    await adapter.delete([key(1)]);
    remove();
    await adapter.store([key(5)], [bytes(1)]);
    expect(events).toEqual(["stored 2 3,4", "accessed 1", "deleted 1 3"]);
  });

  it("a throwing listener does not stop the operation nor the other listeners", async () => {
    const logger = recordingLogger();
    const adapter = new MapAdapter(logger);
    const thrower: L2AdapterListener = {
      onKeysStored: () => {
        throw new Error("listener bug");
      },
      onKeysAccessed: () => {
        throw new Error("listener bug");
      },
      onKeysDeleted: () => {
        throw new Error("listener bug");
      },
    };
    const seen: string[] = [];
    adapter.addListener(thrower);
    adapter.addListener({
      onKeysStored: () => seen.push("stored"),
      onKeysDeleted: () => seen.push("deleted"),
    });
    expect(await adapter.store([key(1)], [bytes(2)])).toEqual({ ok: true, bytesWritten: 2 });
    expect((await adapter.load([key(1)], [bytes(2)])).test(0)).toBe(true);
    await adapter.delete([key(1)]);
    expect(seen).toEqual(["stored", "deleted"]);
    expect(adapter.objects.size).toBe(0);
    expect(logger.warnings.filter((w) => w.includes("listener")).length).toBe(3);
  });
});

describe("L2AdapterBase status", () => {
  it("always has healthy and type, plus the adapter's details and usage", async () => {
    const adapter = new MapAdapter();
    await adapter.store([key(1)], [bytes(8)]);
    expect(adapter.status()).toEqual({
      healthy: true,
      type: "map",
      closed: false,
      objectCount: 1,
      indexedKeyCount: 1,
      lockedKeyCount: 0,
      totalBytesUsed: 8,
      totalCapacityBytes: 1000,
    });
  });

  it("a throwing _status reports unhealthy instead of throwing", () => {
    const adapter = new MapAdapter();
    adapter.statusThrows = true;
    expect(adapter.status()).toMatchObject({ healthy: false, type: "map", statusError: "Error: status bug" });
  });
});
