import { afterEach, describe, expect, it } from "vitest";
import type { StorageManager } from "../src/index.js";
import { bytes, fsSpec, keys, mockSpec, openManager, tempDir } from "./helpers/fixtures.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const manager = (options: Partial<Parameters<typeof StorageManager.open>[0]>) =>
  openManager(cleanup, options);

function expectBytes(m: StorageManager, ks: ReturnType<typeof keys>, from: number, size = 4096) {
  const targets = ks.map(() => new Uint8Array(size));
  const hits = m.get(ks, targets);
  targets.forEach((t, i) => {
    if (hits.test(i)) expect(Buffer.from(t).equals(Buffer.from(bytes(from + i, size)))).toBe(true);
  });
  return hits.toString();
}

/** Stores directly into an adapter of the manager, as another process sharing that L2 would. */
async function seed(m: StorageManager, id: number, from: number, to: number) {
  const ks = keys(from, to);
  const result = await m.l2Adapter(id)!.store(
    ks,
    ks.map((_, i) => bytes(from + i)),
  );
  expect(result.ok).toBe(true);
}

describe("prefetch", () => {
  it("after a restart with an empty L1, finds what fs persisted and loads it, byte for byte", async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const ks = keys(0, 8);
    const first = await manager({ l2: [fsSpec(dir.path)] });
    first.put(
      ks,
      ks.map((_, i) => bytes(i)),
    );
    await first.flush();
    await first.close();

    const second = await manager({ l2: [fsSpec(dir.path)] });
    expect(expectBytes(second, ks, 0)).toBe("00000000");
    expect(await second.prefetch(ks)).toBe(8);
    expect(expectBytes(second, ks, 0)).toBe("11111111");
    const metrics = await second.metrics();
    expect(metrics.adapters[0]!.hits).toBe(8);
    expect(metrics.adapters[0]!.bytesLoaded).toBe(8 * 4096);
    // Loaded objects are temporary: they never go back to L2 as new stores.
    await second.flush();
    expect((await second.metrics()).adapters[0]!.bytesStored).toBe(0);
  });

  it("a key held by two adapters loads from index 0", async () => {
    const m = await manager({ l2: [mockSpec(), mockSpec()] });
    await seed(m, 0, 0, 4);
    await seed(m, 1, 0, 6);
    expect(await m.prefetch(keys(0, 6))).toBe(6);
    const metrics = await m.metrics();
    expect(metrics.adapters.map((a) => a.hits)).toEqual([4, 2]);
    expect(expectBytes(m, keys(0, 6), 0)).toBe("111111");
  });

  it("counts only the leading run: a gap no tier can serve ends the prefix, and nothing past it stays locked", async () => {
    const m = await manager({ l2: [mockSpec()] });
    await seed(m, 0, 0, 3);
    await seed(m, 0, 4, 8);
    expect(await m.prefetch(keys(0, 8))).toBe(3);
    expect(expectBytes(m, keys(0, 8), 0)).toBe("11100000");
    expect(m.l2Adapter(0)!.status().lockedKeyCount).toBe(0);
    const l1 = m.status().l1 as { readLocks: number; writeLocks: number };
    expect([l1.readLocks, l1.writeLocks]).toEqual([0, 0]);
  });

  it("an L1 suffix extends an L2 prefix; resident keys are not loaded again", async () => {
    const m = await manager({ l2: [mockSpec()] });
    await seed(m, 0, 0, 3);
    m.put(keys(3, 5), [bytes(3), bytes(4)]);
    expect(await m.prefetch(keys(0, 5))).toBe(5);
    expect((await m.metrics()).adapters[0]!.hits).toBe(3);
  });

  it("a load that misses keys its lookup reported falls through to the next adapter that has them", async () => {
    const m = await manager({
      l2: [
        JSON.stringify({ type: "fault_inject", inner: JSON.parse(mockSpec()), gap_indices: [1] }),
        mockSpec(),
      ],
    });
    await seed(m, 0, 0, 4);
    await seed(m, 1, 0, 4);
    expect(await m.prefetch(keys(0, 4))).toBe(4);
    expect(expectBytes(m, keys(0, 4), 0)).toBe("1111");
    const metrics = await m.metrics();
    expect(metrics.adapters.map((a) => a.hits)).toEqual([3, 1]);
    expect(metrics.adapters[0]!.failures.load).toBe(1);
    for (const id of [0, 1]) expect(m.l2Adapter(id)!.status().lockedKeyCount).toBe(0);
  });

  it("with no other adapter holding it, a key whose load failed ends the prefix there", async () => {
    const m = await manager({
      l2: [JSON.stringify({ type: "fault_inject", inner: JSON.parse(mockSpec()), gap_indices: [2] })],
    });
    await seed(m, 0, 0, 5);
    expect(await m.prefetch(keys(0, 5))).toBe(2);
    expect((m.status().l1 as { writeLocks: number }).writeLocks).toBe(0);
  });

  it("answers at the deadline with the usable prefix while a stalling adapter's load drains", async () => {
    const m = await manager({
      l2: [mockSpec({ mock_bandwidth_gb: 4e-5 })], // ~40 KiB/s: the 3 x 4 KiB batch takes ~0.3 s
      prefetchLoadTimeoutMs: 50,
    });
    const slow = m.l2Adapter(0)!;
    const ks = keys(0, 5);
    m.put(keys(0, 2), [bytes(0), bytes(1)]);
    // Seed the slow adapter without waiting on its simulated bandwidth for the test's own setup.
    await slow.store(
      keys(2, 5),
      [2, 3, 4].map((i) => bytes(i)),
    );
    const count = await m.prefetch(ks);
    expect(count).toBe(2);
    // The load was still running when the answer came: its staging buffers are still reserved.
    const l1 = () => m.status().l1 as { readLocks: number; writeLocks: number };
    expect(l1().writeLocks).toBe(3);
    expect((await m.metrics()).prefetch.deadlineHits).toBe(1);
    // Once the late I/O drains, the loaded keys are in L1 with the right bytes and nothing stays locked.
    while (l1().writeLocks > 0) await new Promise((r) => setTimeout(r, 20));
    expect(l1().readLocks).toBe(0);
    const hits = expectBytes(m, ks, 0);
    expect(hits.startsWith("11")).toBe(true);
  });

  it("bounds requests in flight and queues the rest; every request is answered", async () => {
    const m = await manager({ l2: [mockSpec({ mock_bandwidth_gb: 0.01 })], prefetchMaxInFlight: 2 });
    await seed(m, 0, 0, 12);
    const requests = [0, 1, 2, 3, 4, 5].map((r) => m.prefetch(keys(r * 2, r * 2 + 2)));
    const prefetch = m.status().prefetch as { inFlight: number; queued: number };
    expect(prefetch.inFlight).toBe(2);
    expect(prefetch.queued).toBe(4);
    expect(await Promise.all(requests)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(expectBytes(m, keys(0, 12), 0)).toBe("1".repeat(12));
  });

  it("concurrent prefetches of a shared prefix load each key once", async () => {
    const m = await manager({ l2: [mockSpec()] });
    await seed(m, 0, 0, 6);
    const results = await Promise.all([
      m.prefetch(keys(0, 4)),
      m.prefetch(keys(0, 6)),
      m.prefetch(keys(0, 2)),
    ]);
    expect(results).toEqual([4, 6, 2]);
    expect((await m.metrics()).adapters[0]!.hits).toBe(6);
  });

  it("learns object sizes from what an adapter reports at lookup, or from objectSizeBytes", async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const writer = await manager({ l2: [fsSpec(dir.path)] });
    await writer.l2Adapter(0)!.store(keys(0, 2), [bytes(0), bytes(1)]);
    await writer.close();
    // Without recovery, the fs adapter still reports each file it finds at lookup, with its size.
    const adopting = await manager({ l2: [fsSpec(dir.path, { recover_on_start: false })] });
    expect(await adopting.prefetch(keys(0, 2))).toBe(2);
    await adopting.close();
    const sized = await manager({
      l2: [fsSpec(dir.path, { recover_on_start: false })],
      objectSizeBytes: 4096,
    });
    expect(await sized.prefetch(keys(0, 2))).toBe(2);
    expect(expectBytes(sized, keys(0, 2), 0)).toBe("11");
  });
});
