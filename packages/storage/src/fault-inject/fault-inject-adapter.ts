import { createHash } from "node:crypto";
import {
  type AdapterStatus,
  type Bitmap,
  DelegatingL2Adapter,
  type L2Adapter,
  type L2Logger,
  type ObjectKey,
  type OperationOptions,
} from "@x/l2-core";

export interface FaultSettings {
  /** Share of keys (0..1) whose load fails, by a stable hash of (seed, key). */
  rate: number;
  seed: number;
  /** Positions within each load batch that always fail. */
  gapIndices: readonly number[];
  /** Lowercase hex chunk hashes whose load always fails. */
  dropChunkHashes: readonly string[];
}

const HASH_BUCKETS = 1_000_000;

/**
 * Wraps any adapter and makes chosen keys fail at load while lookups still report them present: the
 * "L2 retrieve error" LMCache's fault_inject simulates. Everything else passes through. The inner adapter
 * still fills the target (a dropped key's bit is cleared afterwards), so timing matches a real failure.
 * Test and diagnostic use only.
 */
export class FaultInjectL2Adapter extends DelegatingL2Adapter {
  #faults: FaultSettings;
  #dropped = 0;

  constructor(inner: L2Adapter, faults: FaultSettings, logger?: L2Logger) {
    super(inner);
    this.#faults = normalise(faults);
    logger?.warn("fault_inject ACTIVE: loads of chosen keys fail (test/diagnostic use only)", {
      inner: inner.type,
      ...this.#describe(),
    });
  }

  override get type(): string {
    return "fault_inject";
  }

  /** Replaces the fault settings at run time (tests: make an adapter fail, then recover). */
  setFaults(faults: Partial<FaultSettings>): void {
    this.#faults = normalise({ ...this.#faults, ...faults });
  }

  get faults(): FaultSettings {
    return this.#faults;
  }

  /** True when the load of `key` at batch position `index` is made to fail. */
  drops(key: ObjectKey, index: number): boolean {
    const f = this.#faults;
    if (f.gapIndices.includes(index)) return true;
    if (f.dropChunkHashes.includes(key.chunkHashHex)) return true;
    if (f.rate <= 0) return false;
    if (f.rate >= 1) return true;
    // The key's identity fields, never a debug rendering, so lookup and load (and runs) agree.
    const ident = `${f.seed}:${key.chunkHashHex}:${key.modelName}:${key.kvRank}:${key.objectGroupId}:${key.cacheSalt}`;
    const digest = createHash("sha256").update(ident).digest();
    const bucket = Number(digest.readBigUInt64BE(0) % BigInt(HASH_BUCKETS));
    return bucket < Math.floor(f.rate * HASH_BUCKETS);
  }

  override async load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<Bitmap> {
    return this.#drop(keys, await super.load(keys, targets, options));
  }

  #drop(keys: readonly ObjectKey[], loaded: Bitmap): Bitmap {
    keys.forEach((key, i) => {
      if (i < loaded.size && loaded.test(i) && this.drops(key, i)) {
        loaded.clear(i);
        this.#dropped++;
      }
    });
    return loaded;
  }

  override async loadParts(
    keys: readonly ObjectKey[],
    parts: readonly (readonly Uint8Array[])[],
    options?: OperationOptions,
  ): Promise<Bitmap> {
    return this.#drop(keys, await super.loadParts(keys, parts, options));
  }

  override status(): AdapterStatus {
    const inner = this.inner.status();
    return { ...inner, type: "fault_inject", inner_type: inner.type, fault_inject: this.#describe() };
  }

  #describe(): Record<string, unknown> {
    const f = this.#faults;
    return {
      rate: f.rate,
      seed: f.seed,
      gap_indices: [...f.gapIndices],
      drop_chunk_hashes: f.dropChunkHashes.length,
      dropped_loads: this.#dropped,
    };
  }
}

function normalise(f: FaultSettings): FaultSettings {
  return {
    rate: f.rate,
    seed: f.seed,
    gapIndices: [...f.gapIndices],
    dropChunkHashes: f.dropChunkHashes.map((h) => h.toLowerCase()),
  };
}
