import { randomUUID } from "node:crypto";
import {
  Bitmap,
  type KeyListPage,
  L2AdapterBase,
  type L2AdapterContext,
  L2Error,
  type ListKeysOptions,
  type ObjectKey,
  type OperationOptions,
  pageKeyEntries,
  type StoreResult,
} from "@x/l2-core";
import type { PdL2AdapterConfig } from "./config.js";
import { registerMockMemoryReceiver } from "./mock-memory-channel.js";
import { checkRank } from "./rank.js";
import { ReceiverState } from "./receiver-state.js";
import { StagingBuffer } from "./staging-buffer.js";
import { ReceiverServer } from "./tcp/receiver-server.js";
import { loadTlsMaterial } from "./tcp/tls-material.js";

/**
 * The decode side (`role: "receiver"`): listens on `peer_init_port[rank]` and `peer_alloc_port[rank]`
 * (TCP) or registers in the in-process mock_memory table, serves any number of senders, and keeps what
 * they send in a staging buffer of `buffer_size` bytes. A key is visible only after all of its bytes
 * arrived with the exact length. Its own `store` copies into the same staging buffer, so the adapter
 * contract holds on the decode node too.
 */
export class PdReceiverAdapter extends L2AdapterBase {
  readonly rank: number;
  readonly #config: PdL2AdapterConfig;
  readonly #state: ReceiverState;
  #server: ReceiverServer | undefined;
  #unregister: (() => void) | undefined;

  private constructor(config: PdL2AdapterConfig, context: Partial<L2AdapterContext>) {
    // The staging buffer admits (and waits for space) itself; the base keeps locks, index and listeners.
    super({
      type: context.typeName ?? "pd",
      capacityBytes: config.bufferSize,
      logger: context.logger,
      selfAdmission: true,
    });
    this.#config = config;
    this.rank = checkRank(context.tpRank ?? 0, config.peerAllocPort.length, "context.tpRank");
    this.#state = new ReceiverState({
      staging: new StagingBuffer(config.bufferSize),
      // Share 1 = no limit beyond the buffer itself (a full buffer waits for space, a share refuses).
      peerShareBytes:
        config.peerBufferShare >= 1
          ? Number.POSITIVE_INFINITY
          : Math.floor(config.peerBufferShare * config.bufferSize),
      admissionTimeoutMs: config.admissionTimeoutMs,
      transferTimeoutMs: config.transferTimeoutMs,
      logger: this.logger,
      onStored: (keys, sizes) => this.notifyStored(keys, sizes),
      onDeleted: (keys, sizes) => this.notifyDeleted(keys, sizes),
      isLocked: (key) => this.isKeyLocked(key),
    });
  }

  /** Creates the receiver and waits until it listens (TCP) or is registered (mock_memory). */
  static async create(
    config: PdL2AdapterConfig,
    context: Partial<L2AdapterContext> = {},
  ): Promise<PdReceiverAdapter> {
    const adapter = new PdReceiverAdapter(config, context);
    await adapter.whenReady();
    return adapter;
  }

  /** Start-up (the base runs it once, and every operation waits for it): listen or register. */
  protected override async _open(): Promise<void> {
    const config = this.#config;
    const initPort = config.peerInitPort[this.rank]!;
    const allocPort = config.peerAllocPort[this.rank]!;
    if (config.transferChannel === "mock_memory") {
      this.#unregister = registerMockMemoryReceiver(
        config.bindHost,
        initPort,
        allocPort,
        config.authToken,
        this.#state,
      );
      return;
    }
    const server = new ReceiverServer({
      bindHost: config.bindHost,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      limits: { maxTotal: config.maxConnections, maxPerHost: config.maxConnectionsPerHost },
      tls: await loadTlsMaterial(config),
      initPort,
      allocPort,
      authToken: config.authToken,
      maxChunkBytes: config.bufferSize,
      receiverId: randomUUID(),
      state: this.#state,
      logger: this.logger,
    });
    await server.listen();
    this.#server = server;
  }

  protected async _store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: OperationOptions = {},
  ): Promise<StoreResult> {
    const outcome = await this.#state.storeLocal(keys, objects, options.signal);
    if (outcome.ok) return { ok: true, bytesWritten: outcome.bytesStored };
    if (options.signal?.aborted) {
      return {
        ok: false,
        bytesWritten: outcome.bytesStored,
        error: new L2Error("ABORTED", "pd receiver store was aborted by its signal while waiting for space", {
          adapterType: this.type,
        }),
      };
    }
    return {
      ok: false,
      bytesWritten: outcome.bytesStored,
      error: new L2Error(
        "IO_FAILED",
        `pd receiver staging buffer is full (${this.#state.staging.usedBytes}/${this.#config.bufferSize} bytes used)`,
        { adapterType: this.type, field: "buffer_size", hint: "raise buffer_size or delete/evict keys" },
      ),
    };
  }

  protected override async _lookup(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return Bitmap.fromBooleans(keys.map((key) => this.#state.committed.has(key.id)));
  }

  protected async _load(keys: readonly ObjectKey[], targets: readonly Uint8Array[]): Promise<Bitmap> {
    const bitmap = new Bitmap(keys.length);
    keys.forEach((key, i) => {
      const object = this.#state.committed.get(key.id);
      const target = targets[i]!;
      if (!object || object.region.length !== target.byteLength) return;
      target.set(object.region.bytes);
      bitmap.set(i);
    });
    return bitmap;
  }

  protected async _delete(keys: readonly ObjectKey[]): Promise<void> {
    this.#state.delete(keys);
  }

  protected override async _listKeys(options: ListKeysOptions): Promise<KeyListPage> {
    const entries = [...this.#state.committed.values()].map((o) => ({
      key: o.key,
      sizeBytes: o.region.length,
    }));
    return pageKeyEntries(entries, options);
  }

  protected override async _close(): Promise<void> {
    this.#unregister?.();
    this.#state.close();
    await this.#server?.close();
    this.#state.committed.clear();
  }

  protected override _status(): Record<string, unknown> {
    return {
      role: "receiver",
      rank: this.rank,
      transferChannel: this.#config.transferChannel,
      bindHost: this.#config.bindHost,
      initPort: this.#config.peerInitPort[this.rank],
      allocPort: this.#config.peerAllocPort[this.rank],
      storedObjectCount: this.#state.committed.size,
      stagingBytesUsed: this.#state.staging.usedBytes,
      stagingBytesReserved: this.#state.reservedBytes,
      pendingBatches: this.#state.pendingBatchCount,
      waitingBatches: this.#state.staging.waitingBatches,
      sessions: this.#state.sessions.size,
      connections: this.#server?.connectionCount ?? 0,
      connectionsReaped: this.#server?.connectionCounters.reaped ?? 0,
      connectionsRefused: this.#server?.connectionCounters.refused ?? 0,
      tls: this.#config.tlsEnable,
    };
  }
}
