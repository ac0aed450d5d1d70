import { describe, expect, it, vi } from "vitest";
import { L1Store } from "../src/l1/l1-store.js";
import { bytes, key } from "./helpers/fixtures.js";

function fill(l1: L1Store, i: number, size = 100, temporary = false): boolean {
  const r = l1.reserveWrite(key(i), size, temporary);
  if (r.status !== "reserved") return false;
  r.buffer.set(bytes(i, size));
  l1.finishWrite(key(i));
  return true;
}

describe("L1 store", () => {
  it("evicts the least recently used unlocked object to make room", () => {
    const l1 = new L1Store({ capacityBytes: 300 });
    for (const i of [1, 2, 3]) expect(fill(l1, i)).toBe(true);
    l1.touch(key(1));
    expect(fill(l1, 4)).toBe(true);
    expect(l1.has(key(2))).toBe(false);
    expect(l1.keys().map((k) => k.id)).toEqual([key(1), key(3), key(4)].map((k) => k.id));
    expect(l1.usedBytes).toBe(300);
    expect(l1.evictions).toEqual({ objects: 1, bytes: 100 });
  });

  it("never evicts read-locked or half-written objects; a put that finds no room fails and evicts nothing", () => {
    const l1 = new L1Store({ capacityBytes: 300 });
    fill(l1, 1);
    fill(l1, 2);
    const writing = l1.reserveWrite(key(3), 100, true);
    expect(writing.status).toBe("reserved");
    expect(l1.tryReadLock(key(1))).toBe(true);
    expect(l1.tryReadLock(key(2))).toBe(true);
    expect(l1.reserveWrite(key(4), 100, false)).toEqual({ status: "full" });
    // Nothing held was lost, bytes intact.
    expect(l1.has(key(1)) && l1.has(key(2))).toBe(true);
    expect(Buffer.from(l1.bytesOf(key(1))!).equals(Buffer.from(bytes(1, 100)))).toBe(true);
    expect(l1.evictions.objects).toBe(0);
    l1.releaseRead(key(1));
    expect(l1.reserveWrite(key(4), 100, false).status).toBe("reserved");
    expect(l1.has(key(1))).toBe(false);
    expect(l1.has(key(2))).toBe(true);
  });

  it("a bigger object evicts several, but only when enough unlocked bytes exist", () => {
    const l1 = new L1Store({ capacityBytes: 400 });
    for (const i of [1, 2, 3, 4]) fill(l1, i);
    l1.tryReadLock(key(2));
    l1.tryReadLock(key(3));
    expect(l1.reserveWrite(key(9), 300, false).status).toBe("full");
    expect(l1.objectCount).toBe(4);
    expect(l1.reserveWrite(key(9), 200, false).status).toBe("reserved");
    expect(
      l1
        .keys()
        .map((k) => k.id)
        .sort(),
    ).toEqual([key(2).id, key(3).id]);
  });

  it("an object larger than the capacity is refused", () => {
    const l1 = new L1Store({ capacityBytes: 100 });
    expect(l1.reserveWrite(key(1), 101, false)).toEqual({ status: "full" });
  });

  it("temporary objects never trigger a store; committed ones do, once", () => {
    const onCommitted = vi.fn();
    const l1 = new L1Store({ capacityBytes: 1000, onCommitted });
    fill(l1, 1, 100, true);
    expect(onCommitted).not.toHaveBeenCalled();
    fill(l1, 2, 100, false);
    expect(onCommitted).toHaveBeenCalledTimes(1);
    expect(onCommitted.mock.calls[0]![0].id).toBe(key(2).id);
  });

  it("a second writer sees the write in progress and learns whether it committed", async () => {
    const l1 = new L1Store({ capacityBytes: 1000 });
    const first = l1.reserveWrite(key(1), 10, true);
    const second = l1.reserveWrite(key(1), 10, true);
    expect(first.status).toBe("reserved");
    expect(second.status).toBe("writing");
    expect(l1.has(key(1))).toBe(false);
    expect(l1.tryReadLock(key(1))).toBe(false);
    l1.abortWrite(key(1));
    await expect((second as { written: Promise<boolean> }).written).resolves.toBe(false);
    expect(l1.usedBytes).toBe(0);
    const third = l1.reserveWrite(key(1), 10, true);
    const waiting = l1.reserveWrite(key(1), 10, true);
    l1.finishWrite(key(1));
    await expect((waiting as { written: Promise<boolean> }).written).resolves.toBe(true);
    expect(third.status).toBe("reserved");
  });

  it("delete of a read-locked object waits for the last reader", () => {
    const l1 = new L1Store({ capacityBytes: 1000 });
    fill(l1, 1);
    l1.tryReadLock(key(1));
    l1.tryReadLock(key(1));
    expect(l1.delete(key(1))).toBe(false);
    l1.releaseRead(key(1));
    expect(l1.has(key(1))).toBe(true);
    l1.releaseRead(key(1));
    expect(l1.has(key(1))).toBe(false);
    expect(l1.readLocks).toBe(0);
    expect(l1.usedBytes).toBe(0);
  });

  it("ARC keeps a re-used object over a one-time scan that LRU would let push it out", () => {
    const scan = (policy: "LRU" | "ARC") => {
      const l1 = new L1Store({ capacityBytes: 400, policy });
      fill(l1, 1);
      l1.touch(key(1)); // seen twice: frequent
      fill(l1, 2);
      fill(l1, 3);
      fill(l1, 4);
      // A scan of objects used once.
      for (let i = 10; i < 14; i++) fill(l1, i);
      return l1.has(key(1));
    };
    expect(scan("LRU")).toBe(false);
    expect(scan("ARC")).toBe(true);
  });
});
