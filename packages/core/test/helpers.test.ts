import { describe, expect, it } from "vitest";
import {
  decodeListCursor,
  encodeListCursor,
  isL2Error,
  KeyLockTable,
  mapWithConcurrency,
  ObjectKey,
  pageKeyEntries,
  Semaphore,
} from "../src/index.js";

const key = (n: number, modelName = "m") =>
  new ObjectKey({ chunkHash: new Uint8Array([n]), modelName, kvRank: 1 });

describe("KeyLockTable", () => {
  it("refcounts locks per key", () => {
    const locks = new KeyLockTable();
    locks.lock(key(1));
    locks.lock(key(1));
    locks.lock(key(2));
    expect(locks.count(key(1))).toBe(2);
    expect(locks.size).toBe(2);
    expect(locks.unlock(key(1))).toBe(true);
    expect(locks.isLocked(key(1))).toBe(true);
    expect(locks.unlock(key(1))).toBe(true);
    expect(locks.isLocked(key(1))).toBe(false);
    expect(locks.unlock(key(1))).toBe(false);
    expect(locks.unlock(key(9))).toBe(false);
    locks.clear();
    expect(locks.size).toBe(0);
  });
});

describe("mapWithConcurrency", () => {
  it("keeps input order and never exceeds the limit", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10 + i;
    });
    expect(out).toEqual([50, 11, 42, 23, 34, 5]);
    expect(peak).toBe(2);
  });

  it("rejects with the first error only after every started call settled", async () => {
    const settled: number[] = [];
    const promise = mapWithConcurrency([0, 1, 2, 3], 3, async (n) => {
      if (n === 0) throw new Error("first");
      await new Promise((r) => setTimeout(r, 20));
      settled.push(n);
      return n;
    });
    await expect(promise).rejects.toThrow("first");
    // Calls 1 and 2 had started; none was abandoned mid-flight, and no new call started after the error.
    expect(settled.sort()).toEqual([1, 2]);
  });

  it.each([Number.NaN, 0, undefined])(
    "a limit of %s is ARGUMENT_INVALID instead of an array of holes",
    async (limit) => {
      await expect(mapWithConcurrency([1, 2], limit as never, async (n) => n)).rejects.toMatchObject({
        code: "ARGUMENT_INVALID",
        field: "limit",
      });
    },
  );

  it("handles an empty list", async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
  });
});

describe("Semaphore", () => {
  it.each([0, -1, 1.5, Number.NaN])("%s permits is ARGUMENT_INVALID (it would block forever)", (permits) => {
    expect(() => new Semaphore(permits)).toThrow(expect.objectContaining({ code: "ARGUMENT_INVALID" }));
  });

  it("bounds concurrent runs and releases on error", async () => {
    const sem = new Semaphore(1);
    const order: string[] = [];
    const a = sem.run(async () => {
      order.push("a start");
      await new Promise((r) => setTimeout(r, 10));
      order.push("a end");
      throw new Error("a failed");
    });
    const b = sem.run(async () => {
      order.push("b");
    });
    await expect(a).rejects.toThrow("a failed");
    await b;
    expect(order).toEqual(["a start", "a end", "b"]);
    const release = await sem.acquire();
    release();
    release(); // a second release is ignored: one permit, not two
    const first = await sem.acquire();
    let secondAcquired = false;
    const second = sem.acquire().then((r) => {
      secondAcquired = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(secondAcquired).toBe(false);
    first();
    (await second)();
  });
});

describe("pageKeyEntries / list cursors", () => {
  const entries = Array.from({ length: 7 }, (_, i) => ({
    key: key(i, i % 2 ? "odd" : "even"),
    sizeBytes: i,
  }));

  it("pages through every entry once, in id order, with a null cursor at the end", () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = pageKeyEntries(entries, { pageSize: 3, cursor });
      seen.push(...page.entries.map((e) => e.key.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(entries.map((e) => e.key.id).sort());
  });

  it("filters by model and stays stable when keys are added behind the cursor", () => {
    const first = pageKeyEntries(entries, { pageSize: 2, modelName: "odd" });
    expect(first.entries.every((e) => e.key.modelName === "odd")).toBe(true);
    const more = [...entries, { key: key(0, "aaa-first"), sizeBytes: 1 }];
    const second = pageKeyEntries(more, { pageSize: 10, modelName: "odd", cursor: first.nextCursor! });
    expect(second.entries.map((e) => e.key.id)).toEqual([key(5, "odd").id]);
    expect(second.nextCursor).toBeNull();
  });

  it("a malformed cursor is ARGUMENT_INVALID naming the cursor", () => {
    expect(decodeListCursor(encodeListCursor("abc"))).toBe("abc");
    for (const bad of ["", "%%%", "abc="]) {
      try {
        pageKeyEntries(entries, { pageSize: 1, cursor: bad });
        expect.unreachable();
      } catch (error) {
        expect(isL2Error(error, "ARGUMENT_INVALID")).toBe(true);
        expect((error as { field: string }).field).toBe("cursor");
      }
    }
  });
});
