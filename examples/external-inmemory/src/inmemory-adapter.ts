import {
  abortableDelay,
  type KeyListEntry,
  type L2AdapterContext,
  type L2Connector,
  L2ConnectorAdapter,
  type ObjectKey,
} from "@x/l2-core";
import { InMemoryL2AdapterConfig } from "./config.js";

const GIB = 2 ** 30;

/**
 * Copies of chunks in a Map, written as a connector (batch exists / get / set / delete); the bridge adds
 * locks, usage, capacity and listeners. When a store does not fit, the oldest unlocked objects are evicted
 * (FIFO), but only if that frees enough room. Every store and load takes bytes / mock_bandwidth_gb.
 */
export class InMemoryL2Adapter extends L2ConnectorAdapter<InMemoryL2AdapterConfig> {
  readonly capacityBytes: number;
  readonly bandwidthBytesPerSecond: number;
  readonly #objects: Map<string, Uint8Array>;
  readonly #evicted: { count: number };

  /** `config` may also be a plain params object (`{ max_size_gb: 1 }`), as the `plugin` type passes it. */
  constructor(
    config: InMemoryL2AdapterConfig | Record<string, unknown> = {},
    context: Partial<L2AdapterContext> = {},
  ) {
    // A config from another copy of this package, or a params object, is (re)parsed.
    const dict = typeof config.toDict === "function" ? (config.toDict as () => unknown)() : config;
    const parsed =
      config instanceof InMemoryL2AdapterConfig ? config : InMemoryL2AdapterConfig.fromDict(dict);
    const capacityBytes = Math.floor(parsed.maxSizeGb * GIB);
    const bandwidth = parsed.mockBandwidthGb * GIB;
    const objects = new Map<string, Uint8Array>();
    const evicted = { count: 0 };
    super(parsed, context, {
      capacityBytes: () => capacityBytes,
      open: (_c, { closeSignal }) =>
        mapConnector(objects, evicted, (bytes) => abortableDelay((bytes / bandwidth) * 1000, closeSignal)),
    });
    this.capacityBytes = capacityBytes;
    this.bandwidthBytesPerSecond = bandwidth;
    this.#objects = objects;
    this.#evicted = evicted;
  }

  protected override _status(): Record<string, unknown> {
    return {
      storedObjectCount: this.#objects.size,
      evictedObjectCount: this.#evicted.count,
      currentSizeBytes: this.usage().totalBytesUsed,
      maxCapacityBytes: this.capacityBytes,
    };
  }

  /** Whether `key` is stored (for tests and debugging). */
  has(key: ObjectKey): boolean {
    return this.#objects.has(key.id);
  }

  /** Locks currently held on `key`. */
  lockCount(key: ObjectKey): number {
    return this.keyLockCount(key);
  }
}

function mapConnector(
  objects: Map<string, Uint8Array>,
  evicted: { count: number },
  transfer: (bytes: number) => Promise<void>,
): L2Connector {
  const total = (list: readonly (Uint8Array | undefined)[]) =>
    list.reduce((n, b) => n + (b?.byteLength ?? 0), 0);
  return {
    exists: async (keys) => keys.map((key) => objects.get(key.id)?.byteLength),
    async get(keys) {
      const found = keys.map((key) => objects.get(key.id));
      await transfer(total(found));
      return found; // the bridge copies each into its target, or misses on another size
    },
    async set(keys, chunks) {
      // Copies, never overwriting: the caller reuses its buffers once the store settles.
      for (const [i, key] of keys.entries())
        if (!objects.has(key.id)) objects.set(key.id, new Uint8Array(chunks[i]!));
      await transfer(total(chunks));
    },
    delete: async (keys) => keys.map((key) => objects.delete(key.id)),
    evict(bytesNeeded: number, candidates: readonly KeyListEntry[]) {
      const victims: ObjectKey[] = [];
      let freed = 0;
      for (const { key, sizeBytes } of candidates) {
        if (freed >= bytesNeeded) break;
        victims.push(key);
        freed += sizeBytes;
      }
      if (freed < bytesNeeded) return []; // evicting everything unlocked would not be enough
      evicted.count += victims.length;
      return victims;
    },
    close: () => objects.clear(),
  };
}
