import { KeyLockTable, type L2Logger, type ObjectKey } from "@x/l2-core";
import type { StagingBuffer, StagingRegion } from "./staging-buffer.js";
import { ProtocolError } from "./wire/codec.js";

/** Slot answer in an allocation response. */
export const SLOT_REFUSED = -1;
export const SLOT_ALREADY_STORED = -2;

/** One connected sender (a TCP connection or a mock_memory channel). */
export class ReceiverSession {
  readonly peer: string;
  readonly batches = new Map<number, PendingBatch>();
  closed = false;
  /** Aborted when the session closes: its batches stop waiting for staging space. */
  readonly closing = new AbortController();
  /** Ends the session's connection; set by the transport. */
  abort: (reason: string) => void = () => {};

  constructor(peer: string) {
    this.peer = peer;
  }
}

interface PendingSlot {
  readonly id: number;
  readonly key: ObjectKey;
  readonly region: StagingRegion;
  filled: boolean;
}

interface PendingBatch {
  readonly session: ReceiverSession;
  readonly correlationId: number;
  readonly reqId: string;
  readonly slots: PendingSlot[];
  remaining: number;
  timer: NodeJS.Timeout;
}

export interface CommittedObject {
  readonly key: ObjectKey;
  readonly region: StagingRegion;
  /** The request that stored it ("" for the receiver's own store); a cancel only drops its own keys. */
  readonly reqId: string;
}

export interface BatchOutcome {
  ok: boolean;
  bytesStored: number;
}

export interface ReceiverStateOptions {
  staging: StagingBuffer;
  admissionTimeoutMs: number;
  transferTimeoutMs: number;
  logger: L2Logger;
  onStored(keys: ObjectKey[], sizes: number[]): void;
  onDeleted(keys: ObjectKey[], sizes: number[]): void;
}

/**
 * What a receiver holds: reservations of in-flight batches (slots in the staging buffer, invisible) and
 * committed objects (visible to lookup). A batch commits only when every slot got exactly its bytes; a
 * closed session, a timeout or a cancel rolls its pending batches back and frees their slots.
 */
export class ReceiverState {
  readonly committed = new Map<string, CommittedObject>();
  readonly locks = new KeyLockTable();
  readonly sessions = new Set<ReceiverSession>();
  readonly #slots = new Map<number, { slot: PendingSlot; batch: PendingBatch }>();
  readonly #options: ReceiverStateOptions;
  #nextSlotId = 1;
  #reservedBytes = 0;
  #closed = false;

  constructor(options: ReceiverStateOptions) {
    this.#options = options;
  }

  get staging(): StagingBuffer {
    return this.#options.staging;
  }

  /** Bytes held by batches that have not committed yet. */
  get reservedBytes(): number {
    return this.#reservedBytes;
  }

  get pendingBatchCount(): number {
    let n = 0;
    for (const s of this.sessions) n += s.batches.size;
    return n;
  }

  openSession(peer: string): ReceiverSession {
    const session = new ReceiverSession(peer);
    this.sessions.add(session);
    return session;
  }

  /** Rolls back every pending batch of the session (connection lost or closed). */
  closeSession(session: ReceiverSession): void {
    if (session.closed) return;
    session.closed = true;
    session.closing.abort();
    for (const batch of [...session.batches.values()]) this.#rollback(batch);
    this.sessions.delete(session);
  }

  /**
   * Reserves slots for a batch, all or nothing, waiting up to the admission timeout for space. Returns
   * one answer per key: a slot id, SLOT_ALREADY_STORED (send nothing) or, for every key, SLOT_REFUSED.
   */
  async allocate(
    session: ReceiverSession,
    correlationId: number,
    reqId: string,
    keys: readonly ObjectKey[],
    sizes: readonly number[],
  ): Promise<number[]> {
    if (session.batches.has(correlationId)) {
      throw new ProtocolError(`batch ${correlationId} is already pending on this connection`);
    }
    const answers: number[] = keys.map((k) => (this.committed.has(k.id) ? SLOT_ALREADY_STORED : 0));
    const needed = keys.flatMap((_, i) => (answers[i] === 0 ? [i] : []));
    if (needed.length === 0) return answers;
    const refused = () => keys.map(() => SLOT_REFUSED);
    if (this.#closed) return refused();
    const regions = await this.staging.allocate(
      needed.map((i) => sizes[i]!),
      this.#options.admissionTimeoutMs,
      session.closing.signal,
    );
    if (!regions) {
      this.#options.logger.warn("staging buffer full: batch refused", {
        peer: session.peer,
        reqId,
        keys: keys.length,
        bytes: sizes.reduce((a, b) => a + b, 0),
      });
      return refused();
    }
    if (session.closed || this.#closed) {
      for (const r of regions) this.staging.free(r);
      return refused();
    }
    const batch: PendingBatch = {
      session,
      correlationId,
      reqId,
      slots: [],
      remaining: needed.length,
      timer: setTimeout(() => {
        this.#options.logger.warn("batch data did not arrive in time: rolled back", {
          peer: session.peer,
          reqId,
        });
        this.#rollback(batch);
        session.abort("batch timed out");
      }, this.#options.transferTimeoutMs),
    };
    batch.timer.unref();
    needed.forEach((keyIndex, j) => {
      const region = regions[j]!;
      const id = this.#nextSlotId;
      this.#nextSlotId = this.#nextSlotId >= 0x7fffffff ? 1 : this.#nextSlotId + 1;
      const slot: PendingSlot = { id, key: keys[keyIndex]!, region, filled: false };
      batch.slots.push(slot);
      this.#slots.set(id, { slot, batch });
      this.#reservedBytes += region.length;
      answers[keyIndex] = id;
    });
    session.batches.set(correlationId, batch);
    return answers;
  }

  /** Where the bytes of `slotId` go; only the session that reserved the slot may write it. */
  slotTarget(session: ReceiverSession, correlationId: number, slotId: number, length: number): Uint8Array {
    const entry = this.#slots.get(slotId);
    if (!entry || entry.batch.session !== session || entry.batch.correlationId !== correlationId) {
      throw new ProtocolError(`slot ${slotId} was not granted to this connection for batch ${correlationId}`);
    }
    if (entry.slot.filled) throw new ProtocolError(`slot ${slotId} was already written`);
    if (entry.slot.region.length !== length) {
      throw new ProtocolError(
        `slot ${slotId} holds ${entry.slot.region.length} bytes, DATA carries ${length}`,
      );
    }
    return entry.slot.region.bytes;
  }

  /** Marks a slot complete; returns the batch outcome once its last slot arrived (and commits it). */
  slotFilled(slotId: number): { correlationId: number; outcome: BatchOutcome } | undefined {
    const entry = this.#slots.get(slotId);
    if (!entry || entry.slot.filled) return undefined;
    entry.slot.filled = true;
    const batch = entry.batch;
    batch.remaining -= 1;
    if (batch.remaining > 0) return undefined;
    return { correlationId: batch.correlationId, outcome: this.#commit(batch) };
  }

  /**
   * A sender's cancel: pending batches of `reqId` roll back, and listed unlocked keys that this request
   * stored are dropped (keys stored earlier by other requests stay).
   */
  cancel(session: ReceiverSession, reqId: string, keys: readonly ObjectKey[]): void {
    for (const batch of [...session.batches.values()]) if (batch.reqId === reqId) this.#rollback(batch);
    this.delete(keys.filter((k) => this.committed.get(k.id)?.reqId === reqId));
  }

  /** Adds local objects (the receiver's own `store`): copies into staging, then commits. */
  async storeLocal(keys: readonly ObjectKey[], objects: readonly Uint8Array[]): Promise<BatchOutcome> {
    const fresh = keys.flatMap((k, i) => (this.committed.has(k.id) ? [] : [i]));
    if (fresh.length === 0) return { ok: true, bytesStored: 0 };
    const regions = await this.staging.allocate(
      fresh.map((i) => objects[i]!.byteLength),
      this.#options.admissionTimeoutMs,
    );
    if (!regions) return { ok: false, bytesStored: 0 };
    const storedKeys: ObjectKey[] = [];
    const sizes: number[] = [];
    fresh.forEach((i, j) => {
      const key = keys[i]!;
      const region = regions[j]!;
      if (this.committed.has(key.id) || this.#closed) {
        this.staging.free(region);
        return;
      }
      region.bytes.set(objects[i]!);
      this.committed.set(key.id, { key, region, reqId: "" });
      storedKeys.push(key);
      sizes.push(region.length);
    });
    this.#options.onStored(storedKeys, sizes);
    return { ok: !this.#closed, bytesStored: sizes.reduce((a, b) => a + b, 0) };
  }

  /** Removes unlocked committed keys and frees their space. */
  delete(keys: readonly ObjectKey[]): void {
    const deleted: ObjectKey[] = [];
    const sizes: number[] = [];
    for (const key of keys) {
      const object = this.committed.get(key.id);
      if (!object || this.locks.isLocked(key)) continue;
      this.committed.delete(key.id);
      this.staging.free(object.region);
      deleted.push(object.key);
      sizes.push(object.region.length);
    }
    this.#options.onDeleted(deleted, sizes);
  }

  close(): void {
    this.#closed = true;
    for (const session of [...this.sessions]) {
      this.closeSession(session);
      session.abort("receiver closed");
    }
    this.staging.rejectWaiters();
  }

  #commit(batch: PendingBatch): BatchOutcome {
    this.#forget(batch);
    const storedKeys: ObjectKey[] = [];
    const sizes: number[] = [];
    for (const slot of batch.slots) {
      if (this.committed.has(slot.key.id)) {
        // Another batch stored the key first (or the key is twice in this batch): keep the first copy.
        this.staging.free(slot.region);
        continue;
      }
      this.committed.set(slot.key.id, { key: slot.key, region: slot.region, reqId: batch.reqId });
      storedKeys.push(slot.key);
      sizes.push(slot.region.length);
    }
    this.#options.onStored(storedKeys, sizes);
    return { ok: true, bytesStored: sizes.reduce((a, b) => a + b, 0) };
  }

  #rollback(batch: PendingBatch): void {
    if (!batch.session.batches.has(batch.correlationId)) return;
    this.#forget(batch);
    for (const slot of batch.slots) this.staging.free(slot.region);
  }

  #forget(batch: PendingBatch): void {
    clearTimeout(batch.timer);
    batch.session.batches.delete(batch.correlationId);
    for (const slot of batch.slots) {
      this.#slots.delete(slot.id);
      this.#reservedBytes -= slot.region.length;
    }
  }
}
