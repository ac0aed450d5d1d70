import { randomUUID } from "node:crypto";
import { L2Error, type ObjectKey } from "@x/l2-core";
import { tokenAccepted } from "./auth.js";
import type { ReceiverSession, ReceiverState } from "./receiver-state.js";
import { SLOT_ALREADY_STORED, SLOT_REFUSED } from "./receiver-state.js";
import { abortedError, type ChannelTarget, type SenderChannel } from "./sender-channel.js";
import { MAX_KEYS_PER_BATCH } from "./wire/frame.js";

/**
 * `transfer_channel: "mock_memory"`: a sender and a receiver in one process, for tests. The receiver
 * registers under "host:alloc_port"; the sender's "writes" are memory copies straight into the granted
 * staging slots (what an RDMA write would do), with the same allocation, commit and rollback rules as TCP.
 * Named a mock because it stands in for a NIXL memory transport that cannot exist here.
 */
interface MockEndpoint {
  readonly initPort: number;
  readonly authToken: string | undefined;
  readonly state: ReceiverState;
}

const endpoints = new Map<string, MockEndpoint>();

const endpointName = (host: string, port: number) => `${host}:${port}`;

export function registerMockMemoryReceiver(
  host: string,
  initPort: number,
  allocPort: number,
  authToken: string | undefined,
  state: ReceiverState,
): () => void {
  const name = endpointName(host, allocPort);
  if (endpoints.has(name)) {
    throw new L2Error("IO_FAILED", `a mock_memory receiver is already registered on ${name}`, {
      adapterType: "pd",
      field: "peer_alloc_port",
      hint: "give each receiver rank its own peer_alloc_port",
    });
  }
  const endpoint = { initPort, authToken, state };
  endpoints.set(name, endpoint);
  return () => {
    if (endpoints.get(name) === endpoint) endpoints.delete(name);
  };
}

export class MockMemorySenderChannel implements SenderChannel {
  readonly #target: ChannelTarget;
  readonly #state: ReceiverState;
  readonly #session: ReceiverSession;
  #nextCorrelation = 1;
  readonly maxChunkBytes: number;
  readonly maxKeys = MAX_KEYS_PER_BATCH;

  private constructor(target: ChannelTarget, state: ReceiverState) {
    this.#target = target;
    this.#state = state;
    this.maxChunkBytes = state.staging.capacity;
    this.#session = state.openSession(`mock_memory:${target.host}`, randomUUID());
  }

  /** The in-process handshake: same checks as the TCP init port. */
  static open(target: ChannelTarget): MockMemorySenderChannel {
    const endpoint = endpoints.get(endpointName(target.host, target.allocPort));
    if (!endpoint || endpoint.initPort !== target.initPort) {
      throw new L2Error(
        "TRANSFER_FAILED",
        `no mock_memory receiver on ${target.host} with init port ${target.initPort} and alloc port ${target.allocPort}`,
        {
          adapterType: "pd",
          hint: "create the receiver first, in this process, with the same host and ports",
        },
      );
    }
    if (!tokenAccepted(endpoint.authToken, target.authToken)) {
      throw new L2Error(
        "TRANSFER_FAILED",
        "mock_memory receiver refused the handshake: auth_token mismatch",
        {
          adapterType: "pd",
          field: "auth_token",
        },
      );
    }
    return new MockMemorySenderChannel(target, endpoint.state);
  }

  willPush(): boolean {
    return false;
  }

  get usable(): boolean {
    return !this.#session.closed;
  }

  async sendBatch(
    reqId: string,
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<number> {
    if (this.#session.closed) throw this.#lostError();
    const corr = this.#nextCorrelation++;
    const { slots, reason } = await this.#state.allocate(
      this.#session,
      corr,
      reqId,
      keys,
      objects.map((o) => o.byteLength),
      signal,
    );
    if (signal?.aborted) {
      // Copies run synchronously below, so an abort can only land before them: drop what was granted.
      this.#state.cancel(this.#session, reqId, keys);
      throw abortedError(`mock_memory ${this.#target.host}:${this.#target.allocPort}`);
    }
    if (slots.includes(SLOT_REFUSED)) {
      throw new L2Error(
        "TRANSFER_FAILED",
        `mock_memory receiver refused slots for ${keys.length} keys (${reason ?? "buffer_full"})`,
        {
          adapterType: "pd",
        },
      );
    }
    let outcome: number | undefined;
    slots.forEach((slot, i) => {
      if (slot === SLOT_ALREADY_STORED) return;
      if (this.#session.closed) throw this.#lostError();
      const object = objects[i]!;
      this.#state.slotTarget(this.#session, corr, slot, object.byteLength).set(object);
      const done = this.#state.slotFilled(slot);
      if (done) outcome = done.outcome.bytesStored;
    });
    return outcome ?? 0;
  }

  cancel(reqId: string, keys: readonly ObjectKey[]): void {
    if (!this.#session.closed) this.#state.cancel(this.#session, reqId, keys);
  }

  close(): void {
    this.#state.closeSession(this.#session);
  }

  #lostError(): L2Error {
    return new L2Error(
      "TRANSFER_FAILED",
      `mock_memory receiver on ${this.#target.host}:${this.#target.allocPort} is gone`,
      {
        adapterType: "pd",
      },
    );
  }
}
