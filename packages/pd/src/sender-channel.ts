import { L2Error, type ObjectKey } from "@x/l2-core";
import type { TlsMaterial } from "./tcp/tls-material.js";

/**
 * A sender's link to one receiver rank. `sendBatch` asks for slots, writes the bytes into them and
 * resolves with the bytes the receiver newly stored once it confirmed every key; it rejects with an
 * L2Error (TRANSFER_FAILED or TIMEOUT) on any refused slot, timeout or lost link, and the receiver has
 * then rolled the batch back. An aborted `signal` rejects it with ABORTED once nothing touches the
 * objects any more, after cancelling the request on the receiver.
 */
export interface SenderChannel {
  sendBatch(
    reqId: string,
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<number>;
  /** Asks the receiver to drop `keys` and any pending batch of `reqId`; best effort. */
  cancel(reqId: string, keys: readonly ObjectKey[]): void;
  /** The receiver's largest chunk (its buffer_size), learnt at the handshake. */
  readonly maxChunkBytes: number;
  /** Most keys the receiver takes in one batch. */
  readonly maxKeys: number;
  /**
   * True when a batch of these keys would be pushed (data sent without waiting for a grant): the sender
   * then sends a rank's keys as one batch, since there is no grant round trip to hide behind sub-batches.
   */
  willPush(keys: readonly ObjectKey[]): boolean;
  /** False once the link is lost or closed; the sender then opens a new one. */
  readonly usable: boolean;
  close(): void;
}

/** What a channel needs to reach rank `rank` of the receiver. */
export interface ChannelTarget {
  host: string;
  initPort: number;
  allocPort: number;
  authToken: string | undefined;
  connectTimeoutMs: number;
  transferTimeoutMs: number;
  /** TLS on both ports when set. */
  tls: TlsMaterial | undefined;
}

/** The error of a batch whose caller aborted it. */
export function abortedError(where: string): L2Error {
  return new L2Error("ABORTED", `pd store to ${where} was aborted by its signal; the receiver drops it`, {
    adapterType: "pd",
  });
}
