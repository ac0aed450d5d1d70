import { isL2Error, type ObjectKey } from "@x/l2-core";
import { afterEach, describe, expect, it } from "vitest";
import type { FaultInjectL2Adapter, StorageManager } from "../src/index.js";
import { bytes, keys, mockSpec, openManager } from "./helpers/fixtures.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const manager = (options: Partial<Parameters<typeof StorageManager.open>[0]>) =>
  openManager(cleanup, options);

const faulty = () => JSON.stringify({ type: "fault_inject", inner: JSON.parse(mockSpec()), seed: 3 });

async function has(m: StorageManager, id: number, ks: ObjectKey[]): Promise<string> {
  const adapter = m.l2Adapter(id)!;
  const found = await adapter.lookupAndLock(ks);
  adapter.unlock(found.gather(ks));
  return found.toString();
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

function verify(m: StorageManager, ks: ObjectKey[], from: number): string {
  const targets = ks.map(() => new Uint8Array(4096));
  const hits = m.get(ks, targets);
  targets.forEach((t, i) => {
    if (hits.test(i)) expect(Buffer.from(t).equals(Buffer.from(bytes(from + i)))).toBe(true);
  });
  return hits.toString();
}

describe("health and failover", () => {
  it("index 0 failing falls through to index 1, stores go to the healthy one, index 0 is taken back after it recovers", async () => {
    const m = await manager({
      l2: [faulty(), mockSpec()],
      storePolicy: "skip_l1",
      failureThreshold: 2,
      probeIntervalMs: 10,
    });
    const fault = m.l2Adapter(0) as FaultInjectL2Adapter;
    const seedBoth = async (from: number, to: number) => {
      for (const id of [0, 1]) {
        await m.l2Adapter(id)!.store(
          keys(from, to),
          keys(from, to).map((_, i) => bytes(from + i)),
        );
      }
    };
    await seedBoth(0, 12);
    fault.setFaults({ rate: 1 });

    // Two prefetches whose loads from index 0 fail: each still completes from index 1.
    expect(await m.prefetch(keys(0, 3))).toBe(3);
    expect(await m.prefetch(keys(3, 6))).toBe(3);
    expect(verify(m, keys(0, 6), 0)).toBe("111111");
    expect(m.adapters[0]!.state).toBe("unhealthy");
    expect(m.status().healthy).toBe(false);

    // Unhealthy: skipped for stores and lookups.
    const fresh = keys(100, 104);
    m.put(
      fresh,
      fresh.map((_, i) => bytes(100 + i)),
    );
    await m.flush();
    expect(await has(m, 0, fresh)).toBe("0000");
    expect(await has(m, 1, fresh)).toBe("1111");
    expect(await m.prefetch(keys(6, 9))).toBe(3);
    let metrics = await m.metrics();
    expect(metrics.adapters[0]!.skippedWhileUnhealthy.store).toBeGreaterThan(0);
    expect(metrics.adapters[0]!.skippedWhileUnhealthy.lookup).toBeGreaterThan(0);
    expect(metrics.adapters[0]!.failures.load).toBe(2);
    expect(metrics.adapters[1]!.hits).toBe(9);

    // Recovery: the probe's round trip passes, the adapter is routed to again.
    fault.setFaults({ rate: 0 });
    await until(() => m.adapters[0]!.state === "active");
    expect(m.status().healthy).toBe(true);
    expect(await m.prefetch(keys(9, 12))).toBe(3);
    metrics = await m.metrics();
    expect(metrics.adapters[0]!.hits).toBe(3);
    const later = keys(200, 202);
    m.put(later, [bytes(200), bytes(201)]);
    await m.flush();
    expect(await has(m, 0, later)).toBe("11");
  });

  it("an adapter whose status() turns unhealthy is skipped without a single failed call", async () => {
    const m = await manager({ l2: [mockSpec(), mockSpec()], probeIntervalMs: 10 });
    const adapter = m.l2Adapter(0)!;
    const original = adapter.status.bind(adapter);
    let sick = true;
    adapter.status = () => ({ ...original(), healthy: !sick });
    await until(() => m.adapters[0]!.state === "unhealthy");
    m.put(keys(0, 2), [bytes(0), bytes(1)]);
    await m.flush();
    expect(await has(m, 0, keys(0, 2))).toBe("00");
    sick = false;
    await until(() => m.adapters[0]!.state === "active");
  });
});

describe("runtime lifecycle", () => {
  it("removing an adapter during prefetches drains it: every answer correct, no lock or buffer left", async () => {
    const m = await manager({
      l2: [mockSpec({ mock_bandwidth_gb: 2e-4 }), mockSpec()],
      prefetchMaxInFlight: 4,
    });
    const slow = m.l2Adapter(0)!;
    await slow.store(
      keys(0, 16),
      keys(0, 16).map((_, i) => bytes(i)),
    );
    const prefetches = [0, 1, 2, 3, 4, 5].map((r) => m.prefetch(keys(r * 2, r * 2 + 2)));
    await new Promise((r) => setImmediate(r));
    const removal = m.removeL2Adapter(0, { timeoutMs: 30_000 });
    expect(m.adapters[0]!.state).toBe("draining");
    const counts = await Promise.all(prefetches);
    await removal;
    expect(slow.closed).toBe(true);
    expect(m.adapters.map((a) => a.id)).toEqual([1]);
    // Requests admitted before removal loaded from it; queued ones found nothing else to load from.
    counts.forEach((c, r) => {
      expect(verify(m, keys(r * 2, r * 2 + c), r * 2)).toBe("1".repeat(c));
    });
    expect(counts.slice(0, 4)).toEqual([2, 2, 2, 2]);
    const l1 = m.status().l1 as { readLocks: number; writeLocks: number };
    expect([l1.readLocks, l1.writeLocks]).toEqual([0, 0]);
    // Nothing routes there any more.
    expect(await m.prefetch(keys(14, 16))).toBe(0);
  });

  it("a removal that cannot drain in time rejects with TIMEOUT and leaves the adapter draining", async () => {
    const m = await manager({ l2: [mockSpec({ mock_bandwidth_gb: 1e-4 })] });
    await m.l2Adapter(0)!.store(
      keys(0, 4),
      [0, 1, 2, 3].map((i) => bytes(i)),
    );
    const prefetch = m.prefetch(keys(0, 4));
    await new Promise((r) => setImmediate(r));
    const error = await m.removeL2Adapter(0, { timeoutMs: 1 }).catch((e: unknown) => e);
    expect(isL2Error(error, "TIMEOUT")).toBe(true);
    expect(m.adapters[0]!.state).toBe("draining");
    expect(await prefetch).toBe(4);
    await m.removeL2Adapter(0);
    expect(m.adapters).toEqual([]);
    await expect(m.removeL2Adapter(0)).rejects.toMatchObject({ code: "ARGUMENT_INVALID", field: "id" });
  });

  it("an added adapter gets the next id, later stores, and the listeners registered before it", async () => {
    const m = await manager({ l2: [mockSpec()] });
    const stored: string[] = [];
    m.addL2Listener({ onKeysStored: (ks) => stored.push(...ks.map((k) => k.id)) });
    const id = await m.addL2Adapter(mockSpec());
    expect(id).toBe(1);
    m.put(keys(0, 1), [bytes(0)]);
    await m.flush();
    expect(await has(m, 1, keys(0, 1))).toBe("1");
    expect(stored).toEqual([keys(0, 1)[0]!.id, keys(0, 1)[0]!.id]);
  });

  it("close stops the controllers, then closes every adapter, then drops L1; later calls are rejected", async () => {
    const m = await manager({ l2: [mockSpec(), mockSpec()] });
    m.put(keys(0, 2), [bytes(0), bytes(1)]);
    const adapters = [m.l2Adapter(0)!, m.l2Adapter(1)!];
    await m.close();
    expect(adapters.every((a) => a.closed)).toBe(true);
    expect((m.status().l1 as { objects: number }).objects).toBe(0);
    expect(() => m.put(keys(3, 4), [bytes(3)])).toThrow(expect.objectContaining({ code: "ADAPTER_CLOSED" }));
    await m.close();
  });
});
