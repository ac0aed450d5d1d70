import { randomUUID } from "node:crypto";
import {
  Bitmap,
  isL2Error,
  L2AdapterBase,
  type L2AdapterContext,
  L2Error,
  type ObjectKey,
  type OperationOptions,
  type StoreResult,
} from "@x/l2-core";
import type { PdL2AdapterConfig } from "./config.js";
import { MockMemorySenderChannel } from "./mock-memory-channel.js";
import { ProxyNotifier } from "./proxy-notifier.js";
import { checkRank, rankOfKey } from "./rank.js";
import type { ChannelTarget, SenderChannel } from "./sender-channel.js";
import { TcpSenderConnection } from "./tcp/sender-connection.js";
import { loadTlsMaterial, type TlsMaterial } from "./tcp/tls-material.js";

/**
 * A batch that asks for slots goes out as sub-batches of about this many bytes, all in flight at once on
 * the same connection: the slot request of one overlaps the data of the previous, which hides the grant
 * round trip. A pushed batch has no grant to wait for and goes as one. The store still succeeds only
 * when every sub-batch was confirmed, and a failure cancels them all.
 */
export const SUB_BATCH_BYTES = 8 * 1024 * 1024;

function splitIntoSubBatches(
  indices: readonly number[],
  objects: readonly Uint8Array[],
  maxKeys: number,
  maxBytes: number,
): number[][] {
  const parts: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const i of indices) {
    current.push(i);
    bytes += objects[i]!.byteLength;
    if (bytes >= maxBytes || current.length >= maxKeys) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

export interface RequestBatchOptions {
  /** The engine's request id; every batch of one request shares it. */
  requestId: string;
  /** True for the request's last batch: the proxy is notified after it. Default true. */
  lastBatch?: boolean;
  /** Aborting it fails this batch (and so cancels the request), as `store`'s `signal` does. */
  signal?: AbortSignal | undefined;
}

/** Carries a batch's request options through the base's `store()` to `_store`, on the options object. */
const REQUEST = Symbol("pd.request");
type StoreOptions = OperationOptions & { [REQUEST]?: RequestBatchOptions };

/**
 * The prefill side (`role: "sender"`). `store` pushes a batch to the receiver of each key's TP rank and
 * succeeds only when every key was confirmed. A plain `store` is one request of one batch; engines that
 * split a request into batches use `storeRequestBatch`, and a failed batch cancels the request's earlier
 * batches on the receiver too. Lookups and loads are misses: the data lives on the decode node.
 */
export class PdSenderAdapter extends L2AdapterBase {
  readonly #config: PdL2AdapterConfig;
  readonly #tpRank: number | undefined;
  readonly #channels = new Map<number, Promise<SenderChannel>>();
  readonly #openRequests = new Map<string, Map<number, ObjectKey[]>>();
  readonly #proxy: ProxyNotifier | undefined;
  /** TLS files, read once (at creation through createPdAdapter, else on the first link). */
  #tls: Promise<TlsMaterial | undefined> | undefined;
  #batchesSent = 0;
  #batchesFailed = 0;

  constructor(config: PdL2AdapterConfig, context: Partial<L2AdapterContext> = {}, tls?: TlsMaterial) {
    super({ type: context.typeName ?? "pd", logger: context.logger });
    this.#config = config;
    if (tls) this.#tls = Promise.resolve(tls);
    this.#tpRank =
      context.tpRank === undefined
        ? undefined
        : checkRank(context.tpRank, config.peerAllocPort.length, "context.tpRank");
    // Closing must not wait out a transfer timeout: dropping the links fails pending batches at once
    // (the receiver rolls them back) and releases every reference to the callers' buffers.
    this.closeSignal.addEventListener("abort", () => {
      for (const channel of this.#channels.values())
        channel.then(
          (c) => c.close(),
          () => {},
        );
    });
    this.#proxy =
      config.proxyHost !== "" && config.proxyPort !== 0
        ? new ProxyNotifier(config.proxyHost, config.proxyPort, this.logger)
        : undefined;
  }

  /** One batch of a multi-batch request; see {@link RequestBatchOptions}. */
  storeRequestBatch(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: RequestBatchOptions,
  ): Promise<StoreResult> {
    if (
      typeof options?.requestId !== "string" ||
      options.requestId.length === 0 ||
      options.requestId.length > 256
    ) {
      return Promise.reject(
        new L2Error("ARGUMENT_INVALID", "options.requestId must be a string of 1..256 characters", {
          field: "requestId",
        }),
      );
    }
    const storeOptions: StoreOptions = { signal: options.signal, [REQUEST]: options };
    return this.store(keys, objects, storeOptions);
  }

  /** Waits for proxy notifications sent so far (they never delay a store). */
  async flushProxyNotifications(): Promise<void> {
    await this.#proxy?.flush();
  }

  protected async _store(
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    options: StoreOptions = {},
  ): Promise<StoreResult> {
    const request = options[REQUEST] ?? { requestId: randomUUID(), lastBatch: true };
    const signal = options.signal;
    const reqId = request.requestId;
    const lastBatch = request.lastBatch ?? true;
    const groups = new Map<number, number[]>();
    try {
      keys.forEach((key, i) => {
        const rank = checkRank(
          rankOfKey(key, this.#tpRank),
          this.#config.peerAllocPort.length,
          `the kvRank of ${key}`,
        );
        const group = groups.get(rank);
        if (group) group.push(i);
        else groups.set(rank, [i]);
      });
    } catch (error) {
      return { ok: false, bytesWritten: 0, error: error as L2Error };
    }
    // Every rank's link first: its handshake gave the receiver's limits, and a chunk over them fails
    // this store alone, before anything is sent, while other stores on the same link go on.
    const linked = await Promise.allSettled(
      [...groups].map(async ([rank, indices]) => ({ rank, indices, channel: await this.#channel(rank) })),
    );
    for (const link of linked) {
      if (link.status === "rejected") continue;
      const { rank, indices, channel } = link.value;
      const i = indices.find((j) => objects[j]!.byteLength > channel.maxChunkBytes);
      if (i !== undefined) {
        const error = this.#chunkTooLarge(rank, keys[i]!, i, objects[i]!.byteLength, channel.maxChunkBytes);
        this.#batchesFailed++;
        return { ok: false, bytesWritten: 0, error };
      }
    }
    const results = await Promise.allSettled(
      linked.flatMap((link) => {
        if (link.status === "rejected") return [Promise.reject(link.reason)];
        const { indices, channel } = link.value;
        const push = channel.willPush(indices.map((i) => keys[i]!));
        const maxBytes = push ? Number.POSITIVE_INFINITY : SUB_BATCH_BYTES;
        return splitIntoSubBatches(indices, objects, channel.maxKeys, maxBytes).map(async (part) => {
          return channel.sendBatch(
            reqId,
            part.map((i) => keys[i]!),
            part.map((i) => objects[i]!),
            signal,
          );
        });
      }),
    );
    const failure = results.find((r) => r.status === "rejected");
    const bytesWritten = results.reduce((sum, r) => sum + (r.status === "fulfilled" ? r.value : 0), 0);
    const sent = this.#openRequests.get(reqId) ?? new Map<number, ObjectKey[]>();
    for (const [rank, indices] of groups) {
      const list = sent.get(rank) ?? [];
      for (const i of indices) list.push(keys[i]!);
      sent.set(rank, list);
    }
    if (failure) {
      this.#batchesFailed++;
      this.#openRequests.delete(reqId);
      // Roll the whole request back on every rank that is still reachable.
      for (const [rank, requestKeys] of sent) void this.#cancel(rank, reqId, requestKeys);
      const reason = failure.reason;
      const error = isL2Error(reason)
        ? reason
        : new L2Error("TRANSFER_FAILED", `pd store failed: ${String(reason)}`, {
            adapterType: this.type,
            cause: reason,
          });
      this.logger.warn("store batch failed", { reqId, keys: keys.length, error: error.message });
      return { ok: false, bytesWritten: 0, error };
    }
    this.#batchesSent++;
    if (lastBatch) {
      this.#openRequests.delete(reqId);
      this.#proxy?.notify(reqId);
    } else {
      this.#openRequests.set(reqId, sent);
    }
    return { ok: true, bytesWritten };
  }

  protected async _lookupAndLock(keys: readonly ObjectKey[]): Promise<Bitmap> {
    return new Bitmap(keys.length);
  }

  protected _unlock(_keys: readonly ObjectKey[]): void {}

  protected async _load(keys: readonly ObjectKey[], _targets: readonly Uint8Array[]): Promise<Bitmap> {
    return new Bitmap(keys.length);
  }

  protected async _delete(_keys: readonly ObjectKey[]): Promise<void> {}

  protected override async _close(): Promise<void> {
    const channels = await Promise.allSettled(this.#channels.values());
    for (const c of channels) if (c.status === "fulfilled") c.value.close();
    this.#channels.clear();
    await this.#proxy?.flush();
  }

  protected override _status(): Record<string, unknown> {
    return {
      role: "sender",
      transferChannel: this.#config.transferChannel,
      peer: this.#config.peerHost,
      openRanks: [...this.#channels.keys()],
      openRequests: this.#openRequests.size,
      batchesSent: this.#batchesSent,
      batchesFailed: this.#batchesFailed,
    };
  }

  #chunkTooLarge(rank: number, key: ObjectKey, index: number, size: number, limit: number): L2Error {
    const host = `${this.#config.peerHost}:${this.#config.peerAllocPort[rank]}`;
    return new L2Error(
      "ARGUMENT_INVALID",
      `chunk too large: objects[${index}] (${key}) is ${size} bytes, and the receiver ${host} (rank ${rank}) takes chunks of at most ${limit} bytes (its buffer_size); nothing of this store was sent`,
      {
        adapterType: this.type,
        field: "buffer_size",
        hint: `raise the receiver's buffer_size to at least ${size} or store chunks of at most ${limit} bytes`,
      },
    );
  }

  async #cancel(rank: number, reqId: string, keys: ObjectKey[]): Promise<void> {
    try {
      const channel = await this.#channels.get(rank);
      channel?.cancel(reqId, keys);
    } catch {
      // The link is gone: the receiver already rolled back the pending batch.
    }
  }

  /** The link to `rank`, opened lazily and reopened after it was lost. */
  #channel(rank: number): Promise<SenderChannel> {
    const existing = this.#channels.get(rank);
    if (existing) {
      return existing.then(
        (channel) => (channel.usable ? channel : this.#open(rank)),
        () => this.#open(rank),
      );
    }
    return this.#open(rank);
  }

  #open(rank: number): Promise<SenderChannel> {
    const config = this.#config;
    const target: ChannelTarget = {
      host: config.peerHost,
      initPort: config.peerInitPort[rank]!,
      allocPort: config.peerAllocPort[rank]!,
      authToken: config.authToken,
      connectTimeoutMs: config.connectTimeoutMs,
      transferTimeoutMs: config.transferTimeoutMs,
      tls: undefined,
    };
    const current = this.#channels.get(rank);
    const opening = (async (): Promise<SenderChannel> => {
      const previous = await current?.catch(() => undefined);
      if (previous?.usable) return previous;
      previous?.close();
      if (config.transferChannel === "mock_memory") return MockMemorySenderChannel.open(target);
      this.#tls ??= loadTlsMaterial(config);
      return TcpSenderConnection.open({ ...target, tls: await this.#tls }, this.logger);
    })();
    this.#channels.set(rank, opening);
    return opening;
  }
}
