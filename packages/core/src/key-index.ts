import type { KeyListEntry } from "./adapter.js";
import type { ObjectKey } from "./object-key.js";
import type { AdapterUsage } from "./usage.js";

/**
 * The base's record of what an adapter holds: key id -> { key, sizeBytes }, oldest first, with byte totals
 * per cache salt. A key is counted once however often it is recorded, so usage cannot double count.
 */
export class KeyIndex {
  readonly #entries = new Map<string, KeyListEntry>();
  readonly #bytesBySalt = new Map<string, number>();
  #totalBytes = 0;

  get size(): number {
    return this.#entries.size;
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  get(key: ObjectKey): KeyListEntry | undefined {
    return this.#entries.get(key.id);
  }

  has(key: ObjectKey): boolean {
    return this.#entries.has(key.id);
  }

  /** Records `key` with `sizeBytes`; true when the key was not known before. Order is kept for known keys. */
  set(key: ObjectKey, sizeBytes: number): boolean {
    const size = sizeBytes >= 0 && Number.isFinite(sizeBytes) ? sizeBytes : 0;
    const before = this.#entries.get(key.id);
    if (before?.sizeBytes === size) return false;
    this.#entries.set(key.id, { key, sizeBytes: size });
    this.#addBytes(key.cacheSalt, size - (before?.sizeBytes ?? 0));
    return before === undefined;
  }

  /** Forgets `key`; returns what was recorded, if anything. */
  delete(key: ObjectKey): KeyListEntry | undefined {
    const entry = this.#entries.get(key.id);
    if (!entry) return undefined;
    this.#entries.delete(key.id);
    this.#addBytes(key.cacheSalt, -entry.sizeBytes);
    return entry;
  }

  /** Oldest first. */
  entries(): IterableIterator<KeyListEntry> {
    return this.#entries.values();
  }

  clear(): void {
    this.#entries.clear();
    this.#bytesBySalt.clear();
    this.#totalBytes = 0;
  }

  usage(capacityBytes: number): AdapterUsage {
    return Object.freeze({
      totalBytesUsed: this.#totalBytes,
      totalCapacityBytes: capacityBytes,
      bytesByCacheSalt: Object.freeze(Object.fromEntries(this.#bytesBySalt)),
      usageFraction: capacityBytes > 0 ? this.#totalBytes / capacityBytes : -1,
    });
  }

  #addBytes(salt: string, delta: number): void {
    if (delta === 0) return;
    const after = (this.#bytesBySalt.get(salt) ?? 0) + delta;
    if (after > 0) this.#bytesBySalt.set(salt, after);
    else this.#bytesBySalt.delete(salt);
    this.#totalBytes += delta;
  }
}
