import type { L2Logger, ObjectKey } from "@x/l2-core";
import type { StagingBuffer, StagingRegion } from "./staging-buffer.js";
import { ProtocolError } from "./wire/codec.js";

/** Slot answer in an allocation response. */
export const SLOT_REFUSED = -1;
export const SLOT_ALREADY_STORED = -2;

/** Why a batch was refused; sent to the sender in ALLOC_RESPONSE.reason. */
export type RefusalReason = "buffer_full" | "peer_share" | "chunk_too_large" | "cancelled" | "closing";

/** One connected sender (a TCP connection or a mock_memory channel). */
export class ReceiverSession {
  /** Address for logs. */
  readonly peer: string;
  /** The sender's id from its (authenticated) handshake: the unit of `peer_buffer_share`. */
  readonly peerId: string;
  /** Every batch of the session by correlation id, from the moment its ALLOC_REQUEST arrives. */
  readonly batches = new Map<number, PendingBatch>();
  closed = false;
  /** Ends the session's connection; set by the transport. */
  abort: (reason: string) => void = () => {};

  constructor(peer: string, peerId: string) {
    this.peer = peer;
    this.peerId = peerId;
  }
}

interface PendingSlot {
  readonly id: number;
  readonly key: ObjectKey;
  readonly region: StagingRegion;
  filled: boolean;
}

/**
 * A batch owns its reservation from its ALLOC_REQUEST on: while it waits for space (`admission` can
 * abort that wait) and then as slots. Exactly one (session, correlation id) owns it, and every exit
 * (commit, rollback, cancel, close, timeout) goes through `#forget`, which releases it once.
 */
interface PendingBatch {
  readonly session: ReceiverSession;
  readonly correlationId: number;
  readonly reqId: string;
  /** Set while the batch waits for space: aborting it ends the wait. */
  admission: AbortController | undefined;
  /** Staging bytes counted against the peer's share from registration on (aligned sizes). */
  readonly held: number;
  readonly slots: PendingSlot[];
  remaining: number;
  timer: NodeJS.Timeout | undefined;
  /** Set for a pushed batch (see `admitPushed`). */
  pushed?: PushedBatch;
}

/** A pushed batch's frames: one per key, by key index. */
interface PushedBatch {
  /** Each key's slot; null = its payload is dropped (already stored, or the batch was refused). */
  readonly entries: (PendingSlot | null)[];
  readonly sizes: readonly number[];
  /** 1 once the key's DATA frame started. */
  readonly seen: Uint8Array;
  /** Set when the batch was refused: every frame is dropped, BATCH_DONE says why. */
  readonly refused: RefusalReason | undefined;
}

export interface CommittedObject {
  readonly key: ObjectKey;
  readonly region: StagingRegion;
  /** The request that stored it ("" for the receiver's own store). */
  readonly reqId: string;
  /** The session that stored it (undefined for the receiver's own store): only it may cancel the key. */
  readonly owner: ReceiverSession | undefined;
}

/** Slot answers for a batch; `reason` is set when every slot is SLOT_REFUSED. */
export interface Allocation {
  slots: number[];
  reason?: RefusalReason;
}

export interface BatchOutcome {
  ok: boolean;
  bytesStored: number;
  /** Why a pushed batch was refused. */
  reason?: RefusalReason;
}

export interface ReceiverStateOptions {
  staging: StagingBuffer;
  /** Most staging bytes one peer (sender id) may hold, reserved plus committed. */
  peerShareBytes: number;
  admissionTimeoutMs: number;
  transferTimeoutMs: number;
  logger: L2Logger;
  onStored(keys: ObjectKey[], sizes: number[]): void;
  onDeleted(keys: ObjectKey[], sizes: number[]): void;
  /** Whether a lookup on the decode node holds `key` (the adapter base's locks): such keys are kept. */
  isLocked(key: ObjectKey): boolean;
}

/**
 * What a receiver holds: reservations of in-flight batches (slots in the staging buffer, invisible) and
 * committed objects (visible to lookup). A batch commits only when every slot got exactly its bytes; a
 * closed session, a timeout or a cancel rolls its pending batches back and frees their slots.
 */
export class ReceiverState {
  readonly committed = new Map<string, CommittedObject>();
  readonly sessions = new Set<ReceiverSession>();
  readonly #slots = new Map<number, { slot: PendingSlot; batch: PendingBatch }>();
  /** Staging bytes each peer holds (reserved and committed), for `peer_buffer_share`. */
  readonly #peerBytes = new Map<string, number>();
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

  /** Staging bytes `peerId` holds now (reserved and committed). */
  peerBytes(peerId: string): number {
    return this.#peerBytes.get(peerId) ?? 0;
  }

  openSession(peer: string, peerId: string): ReceiverSession {
    const session = new ReceiverSession(peer, peerId);
    this.sessions.add(session);
    return session;
  }

  /** Rolls back every batch of the session, waiting or reserved (connection lost or closed). */
  closeSession(session: ReceiverSession): void {
    if (session.closed) return;
    session.closed = true;
    for (const batch of [...session.batches.values()]) this.#rollback(batch);
    this.sessions.delete(session);
  }

  /**
   * Reserves slots for a batch, all or nothing, waiting up to the admission timeout for space. Answers
   * one slot per key: a slot id, SLOT_ALREADY_STORED (send nothing) or, for every key, SLOT_REFUSED with
   * a reason. The batch is registered under (session, correlationId) before anything is awaited, so a
   * second request with the same id is a protocol error at once; the transport then closes the session,
   * which frees both. An aborted `signal` (in-process callers) ends the wait like a cancel.
   */
  async allocate(
    session: ReceiverSession,
    correlationId: number,
    reqId: string,
    keys: readonly ObjectKey[],
    sizes: readonly number[],
    signal?: AbortSignal,
  ): Promise<Allocation> {
    if (session.batches.has(correlationId)) {
      throw new ProtocolError(`batch ${correlationId} is already pending on this connection`);
    }
    const refused = (reason: RefusalReason): Allocation => ({ slots: keys.map(() => SLOT_REFUSED), reason });
    if (session.closed || this.#closed) return refused("closing");
    if (signal?.aborted) return refused("cancelled");
    if (sizes.some((size) => size > this.staging.capacity)) return refused("chunk_too_large");
    const slots: number[] = keys.map((k) => (this.committed.has(k.id) ? SLOT_ALREADY_STORED : 0));
    const needed = keys.flatMap((_, i) => (slots[i] === 0 ? [i] : []));
    if (needed.length === 0) return { slots };
    const bytes = needed.reduce((sum, i) => sum + this.staging.footprint(sizes[i]!), 0);
    if (this.peerBytes(session.peerId) + bytes > this.#options.peerShareBytes) {
      this.#options.logger.warn("batch refused: the peer would exceed its peer_buffer_share", {
        peer: session.peer,
        reqId,
        heldBytes: this.peerBytes(session.peerId),
        bytes,
        shareBytes: this.#options.peerShareBytes,
      });
      return refused("peer_share");
    }
    const batch: PendingBatch = {
      session,
      correlationId,
      reqId,
      admission: undefined,
      held: bytes,
      slots: [],
      remaining: needed.length,
      timer: undefined,
    };
    session.batches.set(correlationId, batch);
    this.#hold(session.peerId, bytes);
    const neededSizes = needed.map((i) => sizes[i]!);
    // Space is usually there at once; only a batch that has to wait gets an AbortController.
    let regions = this.staging.waitingBatches === 0 ? this.staging.tryAllocate(neededSizes) : null;
    if (!regions) {
      const admission = new AbortController();
      batch.admission = admission;
      const onAbort = () => admission.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      regions = await this.staging.allocate(neededSizes, this.#options.admissionTimeoutMs, admission.signal);
      signal?.removeEventListener("abort", onAbort);
      batch.admission = undefined;
      if (regions && signal?.aborted) {
        for (const r of regions) this.staging.free(r);
        regions = null;
      }
    }
    if (session.batches.get(correlationId) !== batch) {
      // Rolled back while it waited (cancel, session closed, receiver closed).
      for (const r of regions ?? []) this.staging.free(r);
      return refused(session.closed || this.#closed ? "closing" : "cancelled");
    }
    if (!regions) {
      this.#rollback(batch);
      if (signal?.aborted) return refused("cancelled");
      this.#options.logger.warn("staging buffer full: batch refused", {
        peer: session.peer,
        reqId,
        keys: keys.length,
        bytes,
      });
      return refused("buffer_full");
    }
    this.#startTimer(batch);
    needed.forEach((keyIndex, j) => {
      slots[keyIndex] = this.#addSlot(batch, keys[keyIndex]!, regions[j]!).id;
    });
    return { slots };
  }

  /**
   * A pushed batch: the sender wrote every key's DATA right behind the request (slot id 0, key index in
   * the prefix) instead of waiting for a grant, which saves a round trip per batch. Space is taken now
   * or never: when it is not there at once (or the peer's share or a chunk size forbids it), the batch
   * is refused and its frames are dropped as they arrive; BATCH_DONE says why, and the sender asks for
   * slots instead, which waits for space. Registered under (session, correlationId) like `allocate`.
   */
  admitPushed(
    session: ReceiverSession,
    correlationId: number,
    reqId: string,
    keys: readonly ObjectKey[],
    sizes: readonly number[],
  ): void {
    if (session.batches.has(correlationId)) {
      throw new ProtocolError(`batch ${correlationId} is already pending on this connection`);
    }
    const entries: (PendingSlot | null)[] = keys.map(() => null);
    const needed = keys.flatMap((k, i) => (this.committed.has(k.id) ? [] : [i]));
    const bytes = needed.reduce((sum, i) => sum + this.staging.footprint(sizes[i]!), 0);
    let refused: RefusalReason | undefined;
    let regions: StagingRegion[] | null = [];
    if (session.closed || this.#closed) refused = "closing";
    else if (sizes.some((size) => size > this.staging.capacity)) refused = "chunk_too_large";
    else if (this.peerBytes(session.peerId) + bytes > this.#options.peerShareBytes) refused = "peer_share";
    else if (needed.length > 0) {
      regions =
        this.staging.waitingBatches === 0 ? this.staging.tryAllocate(needed.map((i) => sizes[i]!)) : null;
      if (!regions) refused = "buffer_full";
    }
    const batch: PendingBatch = {
      session,
      correlationId,
      reqId,
      admission: undefined,
      held: refused ? 0 : bytes,
      slots: [],
      remaining: keys.length,
      timer: undefined,
      pushed: { entries, sizes, seen: new Uint8Array(keys.length), refused },
    };
    session.batches.set(correlationId, batch);
    this.#startTimer(batch);
    if (refused || !regions) return;
    this.#hold(session.peerId, bytes);
    needed.forEach((keyIndex, j) => {
      entries[keyIndex] = this.#addSlot(batch, keys[keyIndex]!, regions[j]!);
    });
  }

  /** Where the payload of key `index` of pushed batch `correlationId` goes; null = drop it. */
  pushTarget(
    session: ReceiverSession,
    correlationId: number,
    index: number,
    length: number,
  ): Uint8Array | null {
    const pushed = session.batches.get(correlationId)?.pushed;
    if (!pushed)
      throw new ProtocolError(`DATA for batch ${correlationId}, which this connection did not push`);
    if (index >= pushed.seen.length || pushed.seen[index] === 1) {
      throw new ProtocolError(`DATA for key ${index} of batch ${correlationId} is not expected`);
    }
    if (length !== pushed.sizes[index]) {
      throw new ProtocolError(
        `key ${index} of batch ${correlationId} has ${pushed.sizes[index]} bytes, DATA carries ${length}`,
      );
    }
    pushed.seen[index] = 1;
    return pushed.entries[index]?.region.bytes ?? null;
  }

  /** Key `index` of a pushed batch arrived; returns the outcome once every key did (and commits). */
  pushFilled(
    session: ReceiverSession,
    correlationId: number,
    index: number,
  ): { correlationId: number; outcome: BatchOutcome } | undefined {
    const batch = session.batches.get(correlationId);
    const pushed = batch?.pushed;
    if (!batch || !pushed) return undefined;
    const slot = pushed.entries[index];
    if (slot) slot.filled = true;
    batch.remaining -= 1;
    if (batch.remaining > 0) return undefined;
    if (pushed.refused) {
      this.#rollback(batch);
      return { correlationId, outcome: { ok: false, bytesStored: 0, reason: pushed.refused } };
    }
    return { correlationId, outcome: this.#commit(batch) };
  }

  /** Where the bytes of `slotId` go; only the session that reserved the slot may write it. */
  slotTarget(session: ReceiverSession, correlationId: number, slotId: number, length: number): Uint8Array {
    const entry = this.#slots.get(slotId);
    if (
      !entry ||
      entry.batch.session !== session ||
      entry.batch.correlationId !== correlationId ||
      entry.batch.pushed
    ) {
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
    if (!entry || entry.slot.filled || entry.batch.pushed) return undefined;
    entry.slot.filled = true;
    const batch = entry.batch;
    batch.remaining -= 1;
    if (batch.remaining > 0) return undefined;
    return { correlationId: batch.correlationId, outcome: this.#commit(batch) };
  }

  /**
   * A sender's cancel acts on its own session only: the session's pending batches of `reqId` roll back,
   * and listed unlocked keys that this session stored for this request are dropped. Keys of other
   * sessions or requests stay, whatever the cancel names.
   */
  cancel(session: ReceiverSession, reqId: string, keys: readonly ObjectKey[]): void {
    for (const batch of [...session.batches.values()]) if (batch.reqId === reqId) this.#rollback(batch);
    this.delete(
      keys.filter((k) => {
        const object = this.committed.get(k.id);
        return object?.owner === session && object.reqId === reqId;
      }),
    );
  }

  /**
   * Adds local objects (the receiver's own `store`): copies into staging, then commits. An aborted
   * `signal` ends the wait for space (nothing is stored).
   */
  async storeLocal(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<BatchOutcome> {
    const fresh = keys.flatMap((k, i) => (this.committed.has(k.id) ? [] : [i]));
    if (fresh.length === 0) return { ok: true, bytesStored: 0 };
    const regions = await this.staging.allocate(
      fresh.map((i) => objects[i]!.byteLength),
      this.#options.admissionTimeoutMs,
      signal,
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
      this.committed.set(key.id, { key, region, reqId: "", owner: undefined });
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
      if (!object || this.#options.isLocked(key)) continue;
      this.committed.delete(key.id);
      if (object.owner) this.#hold(object.owner.peerId, -this.staging.footprint(object.region.length));
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
    const session = batch.session;
    for (const slot of batch.slots) {
      if (this.committed.has(slot.key.id)) {
        // Another batch stored the key first (or the key is twice in this batch): keep the first copy.
        this.#hold(session.peerId, -this.staging.footprint(slot.region.length));
        this.staging.free(slot.region);
        continue;
      }
      this.committed.set(slot.key.id, {
        key: slot.key,
        region: slot.region,
        reqId: batch.reqId,
        owner: session,
      });
      storedKeys.push(slot.key);
      sizes.push(slot.region.length);
    }
    this.#options.onStored(storedKeys, sizes);
    return { ok: true, bytesStored: sizes.reduce((a, b) => a + b, 0) };
  }

  #rollback(batch: PendingBatch): void {
    if (batch.session.batches.get(batch.correlationId) !== batch) return;
    this.#forget(batch);
    this.#hold(batch.session.peerId, -batch.held);
    for (const slot of batch.slots) this.staging.free(slot.region);
  }

  /** Ends the batch's ownership of its id and slots; the caller frees or commits the regions. */
  #forget(batch: PendingBatch): void {
    clearTimeout(batch.timer);
    batch.admission?.abort();
    batch.session.batches.delete(batch.correlationId);
    for (const slot of batch.slots) {
      this.#slots.delete(slot.id);
      this.#reservedBytes -= slot.region.length;
    }
  }

  /** Rolls the batch back (and closes its connection) when its data stalls for the transfer timeout. */
  #startTimer(batch: PendingBatch): void {
    batch.timer = setTimeout(() => {
      this.#options.logger.warn("batch data did not arrive in time: rolled back", {
        peer: batch.session.peer,
        reqId: batch.reqId,
      });
      this.#rollback(batch);
      batch.session.abort("batch timed out");
    }, this.#options.transferTimeoutMs);
    batch.timer.unref();
  }

  #addSlot(batch: PendingBatch, key: ObjectKey, region: StagingRegion): PendingSlot {
    const id = this.#nextSlotId;
    this.#nextSlotId = this.#nextSlotId >= 0x7fffffff ? 1 : this.#nextSlotId + 1;
    const slot: PendingSlot = { id, key, region, filled: false };
    batch.slots.push(slot);
    this.#slots.set(id, { slot, batch });
    this.#reservedBytes += region.length;
    return slot;
  }

  #hold(peerId: string, bytes: number): void {
    const n = (this.#peerBytes.get(peerId) ?? 0) + bytes;
    if (n <= 0) this.#peerBytes.delete(peerId);
    else this.#peerBytes.set(peerId, n);
  }
}
