import { silentLogger } from "@x/l2-core";
import { afterEach, describe, expect, it } from "vitest";
import { StorageManager } from "../src/index.js";
import { bytes, fsSpec, keys, mockSpec, registry, tempDir } from "./helpers/fixtures.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function has(m: StorageManager, id: number, ks: ReturnType<typeof keys>) {
  const adapter = m.l2Adapter(id)!;
  const found = await adapter.lookupAndLock(ks);
  adapter.unlock(found.gather(ks));
  return found.toString();
}

describe("tiered store policy", () => {
  it("writes to the fastest adapter, demotes on its eviction instead of discarding, promotes a hit from below", async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const fast = fsSpec(dir.path, {
      max_capacity_gb: (32 * 1024) / 2 ** 30,
      eviction: { eviction_policy: "LRU", trigger_watermark: 0.9, eviction_ratio: 0.5 },
    });
    const m = await StorageManager.open({
      l1SizeBytes: 16 * 1024,
      l2: [fast, mockSpec()],
      storePolicy: "tiered",
      evictionIntervalMs: 0,
      registry: registry(),
      logger: silentLogger,
    });
    cleanup.push(() => m.close());
    const all = keys(0, 8);
    for (let i = 0; i < 8; i += 2) {
      m.put(all.slice(i, i + 2), [bytes(i), bytes(i + 1)]);
      await m.flush();
    }
    expect(await has(m, 0, all)).toBe("11111111");
    expect(await has(m, 1, all)).toBe("00000000");

    const round = await m.evictionController(0)!.runOnce();
    expect(round.evictedKeys).toBe(4);
    expect(await has(m, 0, all)).toBe("00001111");
    expect(await has(m, 1, all)).toBe("11110000");
    let metrics = await m.metrics();
    expect(metrics.adapters[0]!.demotions).toBe(4);

    // L1 (16 KiB) holds only the last four; the demoted ones come from the slower tier and go back up.
    const demoted = keys(0, 4);
    expect(
      m
        .get(
          demoted,
          demoted.map(() => new Uint8Array(4096)),
        )
        .popcount(),
    ).toBe(0);
    expect(await m.prefetch(demoted)).toBe(4);
    const targets = demoted.map(() => new Uint8Array(4096));
    expect(m.get(demoted, targets).popcount()).toBe(4);
    for (const [i, t] of targets.entries()) expect(Buffer.from(t).equals(Buffer.from(bytes(i)))).toBe(true);
    await m.flush();
    metrics = await m.metrics();
    expect(metrics.adapters[1]!.hits).toBe(4);
    expect(metrics.adapters[1]!.promotions).toBe(4);
    expect(await has(m, 0, demoted)).toBe("1111");
  });
});
