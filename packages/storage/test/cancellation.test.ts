import {
  type Bitmap,
  createL2AdapterRegistry,
  DelegatingL2Adapter,
  defineL2AdapterType,
  type ObjectKey,
  type OperationOptions,
  silentLogger,
} from "@x/l2-core";
import { MockL2AdapterConfig } from "@x/l2-mock";
import mockType from "@x/l2-mock/adapter";
import { afterEach, describe, expect, it } from "vitest";
import type { StorageManager } from "../src/index.js";
import { bytes, keys, openManager } from "./helpers/fixtures.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real mock adapter whose loads and lookups remember the signal they were given. */
class Recording extends DelegatingL2Adapter {
  static readonly signals: AbortSignal[] = [];
  static lookups = 0;
  override lookupAndLock(keys: readonly ObjectKey[], options?: OperationOptions): Promise<Bitmap> {
    Recording.lookups++;
    return super.lookupAndLock(keys, options);
  }
  override load(keys: readonly ObjectKey[], targets: readonly Uint8Array[], options?: OperationOptions) {
    if (options?.signal) Recording.signals.push(options.signal);
    return super.load(keys, targets, options);
  }
}

const recordingType = defineL2AdapterType({
  configClass: MockL2AdapterConfig,
  create: async (config, context) => new Recording(await mockType.create(config, context)),
});

function manager(options: Partial<Parameters<typeof StorageManager.open>[0]>) {
  // The recording type reuses mock's config class (type "mock"), so it gets a registry of its own.
  const reg = createL2AdapterRegistry({ discover: false, logger: silentLogger, types: [recordingType] });
  return openManager(cleanup, { registry: reg, ...options });
}

const slowMock = JSON.stringify({ type: "mock", max_size_gb: 0.01, mock_bandwidth_gb: 4e-5 });

describe("cancellation at the deadline", () => {
  it("the load running at the deadline gets an AbortSignal that fires then; its buffers are freed only after it settles", async () => {
    Recording.signals.length = 0;
    const m = await manager({ l2: [slowMock], prefetchLoadTimeoutMs: 30 });
    await m.l2Adapter(0)!.store(
      keys(0, 3),
      [0, 1, 2].map((i) => bytes(i)),
    );
    expect(await m.prefetch(keys(0, 3))).toBe(0);
    expect(Recording.signals).toHaveLength(1);
    expect(Recording.signals[0]!.aborted).toBe(true);
    const l1 = () => m.status().l1 as { writeLocks: number; readLocks: number };
    expect(l1().writeLocks).toBe(3);
    while (l1().writeLocks > 0) await new Promise((r) => setTimeout(r, 10));
    expect(l1().readLocks).toBe(0);
    expect(m.l2Adapter(0)!.status().lockedKeyCount).toBe(0);
  });

  it("a request still queued at its deadline is answered from L1 and never reaches L2", async () => {
    Recording.lookups = 0;
    const m = await manager({ l2: [slowMock], prefetchLoadTimeoutMs: 30, prefetchMaxInFlight: 1 });
    await m.l2Adapter(0)!.store(
      keys(0, 3),
      [0, 1, 2].map((i) => bytes(i)),
    );
    m.put(keys(10, 11), [bytes(10)]);
    const first = m.prefetch(keys(0, 3));
    const queued = m.prefetch([...keys(10, 11), ...keys(0, 1)]);
    expect(await queued).toBe(1);
    expect(await first).toBe(0);
    expect(Recording.lookups).toBe(1);
  });
});
