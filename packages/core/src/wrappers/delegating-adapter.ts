import type {
  AdapterCapabilities,
  AdapterStatus,
  KeyListEntry,
  KeyListPage,
  L2Adapter,
  L2AdapterListener,
  ListKeysOptions,
  OperationOptions,
  StoreResult,
} from "../adapter.js";
import { joinParts } from "../adapter-base.js";
import type { Bitmap } from "../bitmap.js";
import type { ObjectKey } from "../object-key.js";
import type { AdapterUsage } from "../usage.js";

type Parts = readonly (readonly Uint8Array[])[];

/**
 * An adapter that forwards every member to `inner`: the base of wrappers (eviction and persistence
 * attached from a config string, serde frames, fault injection). Usage, listeners and status are the
 * inner adapter's unless a wrapper says otherwise. Reach adapter-specific members through `inner`.
 */
export class DelegatingL2Adapter implements L2Adapter {
  readonly inner: L2Adapter;

  constructor(inner: L2Adapter) {
    this.inner = inner;
  }

  get type(): string {
    return this.inner.type;
  }

  get capabilities(): AdapterCapabilities {
    return this.inner.capabilities;
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<StoreResult> {
    return this.inner.store(keys, objects, options);
  }

  storeParts(keys: readonly ObjectKey[], parts: Parts, options?: OperationOptions): Promise<StoreResult> {
    if (this.inner.storeParts) return this.inner.storeParts(keys, parts, options);
    return this.store(keys, parts.map(joinParts), options);
  }

  lookupAndLock(keys: readonly ObjectKey[], options?: OperationOptions): Promise<Bitmap> {
    return this.inner.lookupAndLock(keys, options);
  }

  unlock(keys: readonly ObjectKey[]): void {
    this.inner.unlock(keys);
  }

  load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<Bitmap> {
    return this.inner.load(keys, targets, options);
  }

  async loadParts(keys: readonly ObjectKey[], parts: Parts, options?: OperationOptions): Promise<Bitmap> {
    if (this.inner.loadParts) return this.inner.loadParts(keys, parts, options);
    const joined = parts.map((p) => new Uint8Array(p.reduce((n, b) => n + b.byteLength, 0)));
    const loaded = await this.load(keys, joined, options);
    for (const i of loaded.indices()) {
      let offset = 0;
      for (const part of parts[i]!) {
        part.set(joined[i]!.subarray(offset, offset + part.byteLength));
        offset += part.byteLength;
      }
    }
    return loaded;
  }

  delete(keys: readonly ObjectKey[]): Promise<void> {
    return this.inner.delete(keys);
  }

  listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return this.inner.listKeys(options);
  }

  recoveredEntries(): readonly KeyListEntry[] {
    return this.inner.recoveredEntries?.() ?? [];
  }

  whenReady(): Promise<void> {
    return this.inner.whenReady?.() ?? Promise.resolve();
  }

  usage(): AdapterUsage {
    return this.inner.usage();
  }

  status(): AdapterStatus {
    return this.inner.status();
  }

  addListener(listener: L2AdapterListener): () => void {
    return this.inner.addListener(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The innermost adapter under any number of wrappers. */
export function unwrapL2Adapter(adapter: L2Adapter): L2Adapter {
  let current = adapter;
  while (current instanceof DelegatingL2Adapter) current = current.inner;
  return current;
}
