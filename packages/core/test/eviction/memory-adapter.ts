import {
  Bitmap,
  type KeyListPage,
  KeyLockTable,
  L2AdapterBase,
  type ListKeysOptions,
  type ObjectKey,
  pageKeyEntries,
  type StoreResult,
  silentLogger,
} from "../../src/index.js";

/** A small real in-memory adapter for controller tests (core cannot depend on @x/l2-mock). */
export class MemoryAdapter extends L2AdapterBase {
  readonly objects = new Map<string, { key: ObjectKey; bytes: Uint8Array }>();
  readonly locks = new KeyLockTable();

  constructor(capacityBytes: number) {
    super({ type: "memory-test", capacityBytes, logger: silentLogger });
  }

  protected async _store(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<StoreResult> {
    const stored: ObjectKey[] = [];
    const sizes: number[] = [];
    keys.forEach((key, i) => {
      if (this.objects.has(key.id)) return;
      this.objects.set(key.id, { key, bytes: new Uint8Array(objects[i]!) });
      stored.push(key);
      sizes.push(objects[i]!.byteLength);
    });
    this.notifyStored(stored, sizes);
    return { ok: true, bytesWritten: sizes.reduce((a, b) => a + b, 0) };
  }

  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    const b = new Bitmap(keys.length);
    keys.forEach((key, i) => {
      if (!this.objects.has(key.id)) return;
      this.locks.lock(key);
      b.set(i);
    });
    return b;
  }

  protected _unlock(keys: readonly ObjectKey[]): void {
    for (const key of keys) this.locks.unlock(key);
  }

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    const b = new Bitmap(keys.length);
    const hit: ObjectKey[] = [];
    keys.forEach((key, i) => {
      const o = this.objects.get(key.id);
      if (!o || o.bytes.byteLength !== targets[i]!.byteLength) return;
      targets[i]!.set(o.bytes);
      b.set(i);
      hit.push(key);
    });
    this.notifyAccessed(hit);
    return b;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    const gone: ObjectKey[] = [];
    const sizes: number[] = [];
    for (const key of keys) {
      const o = this.objects.get(key.id);
      if (!o || this.locks.isLocked(key)) continue;
      this.objects.delete(key.id);
      gone.push(o.key);
      sizes.push(o.bytes.byteLength);
    }
    this.notifyDeleted(gone, sizes);
  }

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return pageKeyEntries(
      [...this.objects.values()].map((o) => ({ key: o.key, sizeBytes: o.bytes.byteLength })),
      options,
    );
  }
}
