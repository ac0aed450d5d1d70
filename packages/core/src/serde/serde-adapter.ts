import type {
  AdapterCapabilities,
  AdapterStatus,
  KeyListPage,
  L2Adapter,
  ListKeysOptions,
  OperationOptions,
  StoreResult,
} from "../adapter.js";
import { Bitmap } from "../bitmap.js";
import { L2Error } from "../errors.js";
import { createConsoleLogger, type L2Logger } from "../logger.js";
import { isObjectKey, type ObjectKey } from "../object-key.js";
import { DelegatingL2Adapter } from "../wrappers/delegating-adapter.js";
import { concatParts, type FrameCodec, partsSize, splitLike } from "./frame-codec.js";
import { ScratchPool } from "./scratch-pool.js";

type Parts = readonly (readonly Uint8Array[])[];

export interface SerdeL2AdapterOptions {
  /** Delete an object whose frame fails validation so the next store repairs it. Default true. */
  deleteCorrupt?: boolean;
  logger?: L2Logger;
}

// Keys whose load missed or failed validation, deleted when their lock is released. Bounded, oldest out.
const MAX_SUSPECTS = 10_000;

/**
 * Frames every stored object with a serde (LMCache's SerdeL2AdapterWrapper): store encodes, load decodes
 * and verifies; lookup, unlock, listing, usage, listeners and start-up are the inner adapter's (sizes are
 * frame sizes). A frame that fails validation is a miss, counted in status(), and by default its object is
 * deleted. When the inner adapter has vectored I/O, header and payload travel as separate parts.
 */
export class SerdeL2Adapter extends DelegatingL2Adapter {
  readonly codec: FrameCodec;
  readonly #deleteCorrupt: boolean;
  readonly #logger: L2Logger;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #suspects = new Map<string, ObjectKey>();
  readonly #scratch = new ScratchPool();
  #closing: Promise<void> | undefined;
  #rejectedFrames = 0;
  #repairDeletes = 0;

  constructor(inner: L2Adapter, codec: FrameCodec, options: SerdeL2AdapterOptions = {}) {
    super(inner);
    this.codec = codec;
    this.#deleteCorrupt = options.deleteCorrupt ?? true;
    this.#logger = options.logger ?? createConsoleLogger(`${inner.type}+${codec.type}`);
  }

  /** The inner adapter's, except vectored I/O: this wrapper's own storeParts / loadParts join and split. */
  override get capabilities(): AdapterCapabilities {
    return { ...this.inner.capabilities, vectoredIo: false };
  }

  override get closed(): boolean {
    return this.#closing !== undefined || this.inner.closed;
  }

  #vectored(): boolean {
    return (
      this.inner.capabilities.vectoredIo === true &&
      typeof this.inner.storeParts === "function" &&
      typeof this.inner.loadParts === "function"
    );
  }

  override store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<StoreResult> {
    return this.#track("store", async () => {
      this.#checkBatch("store", keys, objects, "objects");
      const frames: Uint8Array[][] = [];
      for (const [i, key] of keys.entries()) frames.push(await this.codec.encode(key, objects[i]!));
      if (this.#vectored()) return this.inner.storeParts!(keys, frames, options);
      const joined = frames.map((parts) => concatParts(parts, this.#scratch.take(partsSize(parts))));
      try {
        return await this.inner.store(keys, joined, options);
      } finally {
        for (const buffer of joined) this.#scratch.give(buffer);
      }
    });
  }

  /** Object i is the payload `parts[i]` joined; it is framed like any payload. */
  override storeParts(
    keys: readonly ObjectKey[],
    parts: Parts,
    options?: OperationOptions,
  ): Promise<StoreResult> {
    if (!Array.isArray(parts)) return this.store(keys, parts as never, options);
    return this.store(
      keys,
      parts.map((p) => (Array.isArray(p) && p.length === 1 ? p[0]! : concatParts(p))),
      options,
    );
  }

  override lookupAndLock(keys: readonly ObjectKey[], options?: OperationOptions): Promise<Bitmap> {
    return this.#track("lookupAndLock", () => this.inner.lookupAndLock(keys, options));
  }

  override unlock(keys: readonly ObjectKey[]): void {
    this.inner.unlock(keys);
    if (!Array.isArray(keys) || this.#suspects.size === 0 || this.closed) return;
    const repair: ObjectKey[] = [];
    for (const key of keys) {
      if (!isObjectKey(key)) continue;
      const suspect = this.#suspects.get(key.id);
      if (suspect) {
        this.#suspects.delete(key.id);
        repair.push(suspect);
      }
    }
    if (repair.length > 0) this.#remove(repair);
  }

  override load(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    options?: OperationOptions,
  ): Promise<Bitmap> {
    return this.#track("load", async () => {
      this.#checkBatch("load", keys, targets, "targets");
      const layouts = targets.map((target) => this.codec.layout(target));
      let loaded: Bitmap;
      let parts: (readonly Uint8Array[])[];
      let frames: Uint8Array[] = [];
      if (this.#vectored()) {
        loaded = await this.inner.loadParts!(keys, layouts, options);
        parts = layouts;
      } else {
        // Without vectored I/O the frame lands in one buffer; decoding then moves the payload to the target.
        // Content unspecified: a frame is used only when the inner adapter filled it completely.
        frames = layouts.map((layout) => this.#scratch.take(partsSize(layout)));
        // A rejected load keeps its frames out of the pool: nothing says its I/O stopped touching them.
        loaded = await this.inner.load(keys, frames, options);
        parts = frames.map((frame, i) => splitLike(frame, layouts[i]!));
      }
      try {
        return await this.#decodeAll(keys, targets, loaded, parts);
      } finally {
        for (const frame of frames) this.#scratch.give(frame);
      }
    });
  }

  /** Fills `parts[i]` with the payload of keys[i], split in order. */
  override async loadParts(
    keys: readonly ObjectKey[],
    parts: Parts,
    options?: OperationOptions,
  ): Promise<Bitmap> {
    if (!Array.isArray(parts)) return this.load(keys, parts as never, options);
    const joined = parts.map((p) =>
      Array.isArray(p) && p.length === 1 ? p[0]! : new Uint8Array(Array.isArray(p) ? partsSize(p) : 0),
    );
    const loaded = await this.load(keys, joined, options);
    for (const i of loaded.indices()) {
      if (parts[i]!.length === 1) continue;
      let offset = 0;
      for (const part of parts[i]!) {
        part.set(joined[i]!.subarray(offset, offset + part.byteLength));
        offset += part.byteLength;
      }
    }
    return loaded;
  }

  async #decodeAll(
    keys: readonly ObjectKey[],
    targets: readonly Uint8Array[],
    loaded: Bitmap,
    parts: (readonly Uint8Array[])[],
  ): Promise<Bitmap> {
    const result = new Bitmap(keys.length);
    const corrupt: ObjectKey[] = [];
    for (const [i, key] of keys.entries()) {
      if (!loaded.test(i)) {
        // Present at lookup but not loadable at its size (truncated, extended): repaired at unlock.
        this.#suspect(key);
        continue;
      }
      const verdict = await this.codec.decode(key, parts[i]!, targets[i]!);
      if (verdict === null) {
        result.set(i);
        continue;
      }
      // A refused frame's bytes may already sit in the caller's buffer (vectored load): clear them.
      targets[i]!.fill(0);
      this.#rejectedFrames++;
      this.#logger.warn("serde frame refused; treated as a miss", {
        key: key.id,
        serde: this.codec.type,
        reason: verdict,
      });
      this.#suspect(key);
      corrupt.push(key);
    }
    // Unlocked corrupt objects go now; locked ones (the usual lookup-load-unlock) go at unlock.
    if (corrupt.length > 0) this.#remove(corrupt);
    return result;
  }

  override delete(keys: readonly ObjectKey[]): Promise<void> {
    return this.#track("delete", () => this.inner.delete(keys));
  }

  override listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    return this.#track("listKeys", () => this.inner.listKeys(options));
  }

  override status(): AdapterStatus {
    return {
      ...this.inner.status(),
      serde: this.codec.type,
      serdeRejectedFrames: this.#rejectedFrames,
      serdeRepairDeletes: this.#repairDeletes,
    };
  }

  override close(): Promise<void> {
    this.#closing ??= (async () => {
      // Our own transforms may still write into caller buffers after the inner adapter settled.
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      this.#suspects.clear();
      this.#scratch.clear();
      await this.inner.close();
    })();
    return this.#closing;
  }

  #suspect(key: ObjectKey): void {
    if (!this.#deleteCorrupt) return;
    this.#suspects.delete(key.id);
    this.#suspects.set(key.id, key);
    if (this.#suspects.size > MAX_SUSPECTS) this.#suspects.delete(this.#suspects.keys().next().value!);
  }

  /** Deletes damaged objects in the background (locked ones are skipped by the inner adapter). */
  #remove(keys: ObjectKey[]): void {
    if (!this.#deleteCorrupt || this.closed) return;
    const work = this.inner.delete(keys).then(
      () => {
        this.#repairDeletes += keys.length;
      },
      (error) => this.#logger.warn("could not delete damaged objects", { error: String(error) }),
    );
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work));
  }

  #checkBatch(op: string, keys: readonly ObjectKey[], buffers: readonly Uint8Array[], name: string): void {
    const bad = (field: string, message: string) =>
      new L2Error("ARGUMENT_INVALID", `${field} ${message}`, { field, adapterType: this.type });
    if (!Array.isArray(keys)) throw bad("keys", `${op}() needs an array of ObjectKey`);
    const badKey = keys.findIndex((k) => !isObjectKey(k));
    if (badKey >= 0) throw bad(`keys[${badKey}]`, "is not an ObjectKey (create keys with new ObjectKey())");
    if (!Array.isArray(buffers)) throw bad(name, `${op}() needs an array of Uint8Array`);
    if (buffers.length !== keys.length)
      throw bad(name, `has ${buffers.length} entries for ${keys.length} keys; pass one per key`);
    const badBuffer = buffers.findIndex((b) => !(b instanceof Uint8Array));
    if (badBuffer >= 0) throw bad(`${name}[${badBuffer}]`, "is not a Uint8Array");
  }

  #track<R>(op: string, fn: () => Promise<R>): Promise<R> {
    if (this.closed) {
      return Promise.reject(
        new L2Error(
          "ADAPTER_CLOSED",
          `${op}() called on a closed "${this.type}" adapter; create a new adapter`,
          {
            adapterType: this.type,
          },
        ),
      );
    }
    const promise = fn();
    this.#inflight.add(promise);
    const forget = () => this.#inflight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
