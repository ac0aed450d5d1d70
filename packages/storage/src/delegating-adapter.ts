import type {
  AdapterCapabilities,
  AdapterStatus,
  Bitmap,
  KeyListEntry,
  KeyListPage,
  L2Adapter,
  L2AdapterListener,
  ListKeysOptions,
  ObjectKey,
  StoreResult,
} from "@x/l2-core";
import type { CallOptions } from "./adapter-slot.js";

type Cancellable = {
  store(k: readonly ObjectKey[], o: readonly Uint8Array[], opts?: CallOptions): Promise<StoreResult>;
  lookupAndLock(k: readonly ObjectKey[], opts?: CallOptions): Promise<Bitmap>;
  load(k: readonly ObjectKey[], t: readonly Uint8Array[], opts?: CallOptions): Promise<Bitmap>;
};

/**
 * An adapter that forwards every member to `inner`; subclasses override what they change. The optional
 * `{ signal }` argument and `recoveredEntries()` (the eviction controller's seed) are passed through.
 */
export class DelegatingAdapter implements L2Adapter {
  readonly inner: L2Adapter;
  /** Present only when the inner adapter has it, so the eviction controller seeds the same way. */
  readonly recoveredEntries?: () => readonly KeyListEntry[];

  constructor(inner: L2Adapter) {
    this.inner = inner;
    const source = inner as Partial<{ recoveredEntries(): readonly KeyListEntry[] }>;
    if (typeof source.recoveredEntries === "function") {
      this.recoveredEntries = () => source.recoveredEntries!.call(inner);
    }
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
    options?: CallOptions,
  ): Promise<StoreResult> {
    return (this.inner as unknown as Cancellable).store(keys, objects, options);
  }

  lookupAndLock(keys: readonly ObjectKey[], options?: CallOptions): Promise<Bitmap> {
    return (this.inner as unknown as Cancellable).lookupAndLock(keys, options);
  }

  unlock(keys: readonly ObjectKey[]): void {
    this.inner.unlock(keys);
  }

  load(keys: readonly ObjectKey[], targets: readonly Uint8Array[], options?: CallOptions): Promise<Bitmap> {
    return (this.inner as unknown as Cancellable).load(keys, targets, options);
  }

  delete(keys: readonly ObjectKey[]): Promise<void> {
    return this.inner.delete(keys);
  }

  listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return this.inner.listKeys(options);
  }

  usage() {
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
