import { randomUUID } from "node:crypto";
import { connect, isIP, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { L2Error, type L2Logger, type ObjectKey } from "@x/l2-core";
import { freshNonce, mac, macAccepted } from "../auth.js";
import { abortedError, type ChannelTarget, type SenderChannel } from "../sender-channel.js";
import { encodeAllocRequest, encodeControlFrame, ProtocolError, parseJsonBody } from "../wire/codec.js";
import {
  DATA_PREFIX_BYTES,
  FRAME_HEADER_BYTES,
  FrameType,
  WIRE_VERSION,
  writeFrameHeader,
} from "../wire/frame.js";
import { FrameReader } from "../wire/frame-reader.js";

type Reply = { type: FrameType; body: Record<string, unknown> };

interface Waiting {
  resolve(reply: Reply): void;
  reject(error: L2Error): void;
}

const senderId = randomUUID();
const LOST_DURING_HANDSHAKE = "closed before the handshake finished";
const LINK_LOST = "connection to the receiver was lost";
/** After a pushed batch found the receiver full, batches ask for slots for this long. */
const PUSH_BACKOFF_MS = 1000;
/** Key ids a link remembers as stored, at most. */
const REMEMBERED_KEYS = 16_384;

/** A link lost while the handshake is still running is reported as such (and retried). */
function duringHandshake(target: ChannelTarget, error: L2Error): L2Error {
  return error.message.endsWith(LINK_LOST)
    ? transferError(target, `connection ${LOST_DURING_HANDSHAKE}`, error)
    : error;
}

function transferError(target: ChannelTarget, message: string, cause?: unknown): L2Error {
  return new L2Error("TRANSFER_FAILED", `pd sender -> ${target.host}:${target.allocPort}: ${message}`, {
    adapterType: "pd",
    cause,
  });
}

/** Replies of the handshake phase, in order. */
class ReplyQueue {
  readonly #replies: Reply[] = [];
  readonly #waiters: Waiting[] = [];
  #error: L2Error | undefined;

  push(reply: Reply): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(reply);
    else this.#replies.push(reply);
  }

  fail(error: L2Error): void {
    this.#error ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#error);
  }

  next(): Promise<Reply> {
    const reply = this.#replies.shift();
    if (reply) return Promise.resolve(reply);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}

/** Opens a TCP (or TLS) socket and reads control frames from it; DATA from a receiver is a protocol error. */
function openControlSocket(
  target: ChannelTarget,
  port: number,
  onReply: (corr: number, reply: Reply) => void,
  onLost: (error: L2Error) => void,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tls = target.tls;
    const socket = tls
      ? tlsConnect({
          host: target.host,
          port,
          ...tls,
          // An IP address is checked against the certificate's IP SANs; a name also goes out as SNI.
          servername: isIP(target.host) ? undefined : target.host,
        })
      : connect({ host: target.host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new L2Error(
          "TIMEOUT",
          `pd sender: no connection to ${target.host}:${port} within ${target.connectTimeoutMs} ms`,
          { adapterType: "pd", field: "connect_timeout_ms" },
        ),
      );
    }, target.connectTimeoutMs);
    const reader = new FrameReader(
      {
        onControl: (type, corr, raw) => onReply(corr, { type, body: parseJsonBody(raw) }),
        onDataStart: () => {
          throw new ProtocolError("receiver sent DATA");
        },
        onDataEnd: () => {},
      },
      { maxDataPayload: 0 },
    );
    socket.on("data", (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        socket.destroy();
        onLost(transferError(target, `malformed reply from the receiver: ${String(error)}`, error));
      }
    });
    socket.once(tls ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const detail = error.code ?? error.message;
      reject(transferError(target, `cannot connect to port ${port}${tls ? " (TLS)" : ""}: ${detail}`, error));
      onLost(transferError(target, `connection error: ${detail}`, error));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      reject(transferError(target, `connection to port ${port} ${LOST_DURING_HANDSHAKE}`));
      onLost(transferError(target, LINK_LOST));
    });
  });
}

/** Waits for the next handshake reply, at most `connectTimeoutMs`; the socket is closed on timeout. */
async function nextReply(
  target: ChannelTarget,
  socket: Socket,
  queue: ReplyQueue,
  step: string,
): Promise<Reply> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      queue.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          socket.destroy();
          reject(
            new L2Error("TIMEOUT", `pd sender: ${step} with ${target.host} timed out`, {
              adapterType: "pd",
              field: "connect_timeout_ms",
            }),
          );
        }, target.connectTimeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function refusedError(target: ChannelTarget, port: number, reply: Reply): L2Error {
  return new L2Error(
    "TRANSFER_FAILED",
    `pd receiver ${target.host}:${port} refused the handshake: ${String(reply.body.reason)}`,
    { adapterType: "pd", field: "auth_token", hint: "use the same auth_token on sender and receiver" },
  );
}

/** The receiver's CHALLENGE, the first frame on both ports: its nonce. */
async function challenge(
  target: ChannelTarget,
  socket: Socket,
  queue: ReplyQueue,
  port: number,
): Promise<string> {
  const reply = await nextReply(
    target,
    socket,
    queue,
    `handshake on port ${port} (no CHALLENGE came: tls_enable must be the same on sender and receiver)`,
  );
  const { version, nonce } = reply.body;
  if (reply.type !== FrameType.Challenge || typeof nonce !== "string") {
    throw transferError(
      target,
      `port ${port} did not open with a CHALLENGE (is it a pd receiver of wire version ${WIRE_VERSION}?)`,
    );
  }
  if (version !== WIRE_VERSION) {
    throw transferError(
      target,
      `receiver speaks wire version ${String(version)}, this sender ${WIRE_VERSION}`,
    );
  }
  return nonce;
}

/** What the init-port handshake yields. */
interface Handshake {
  ticket: string;
  maxChunkBytes: number;
  maxKeys: number;
}

/**
 * The init-port handshake: answers the receiver's nonce with a MAC (the token stays here), and checks
 * the receiver's proof over our nonce, so the announced limits come from a peer that knows the token.
 */
async function handshake(target: ChannelTarget): Promise<Handshake> {
  const queue = new ReplyQueue();
  const socket = await openControlSocket(
    target,
    target.initPort,
    (_corr, r) => queue.push(r),
    (e) => queue.fail(duringHandshake(target, e)),
  );
  try {
    const receiverNonce = await challenge(target, socket, queue, target.initPort);
    const nonce = freshNonce();
    const token = target.authToken;
    socket.write(
      encodeControlFrame(FrameType.Hello, 0, {
        version: WIRE_VERSION,
        sender_id: senderId,
        nonce,
        mac: mac(token, "pd-hello", [receiverNonce, nonce, senderId, WIRE_VERSION]),
      }),
    );
    const r = await nextReply(target, socket, queue, "handshake");
    if (r.type === FrameType.Refused) throw refusedError(target, target.initPort, r);
    const { session, receiver_id, max_chunk_bytes, max_keys, proof } = r.body;
    if (
      r.type !== FrameType.HelloOk ||
      typeof session !== "string" ||
      typeof receiver_id !== "string" ||
      !Number.isSafeInteger(max_chunk_bytes) ||
      !Number.isSafeInteger(max_keys)
    ) {
      throw transferError(target, "unexpected handshake reply");
    }
    const proven = [
      nonce,
      receiverNonce,
      session,
      receiver_id,
      max_chunk_bytes as number,
      max_keys as number,
    ];
    if (!macAccepted(token, "pd-hello-ok", proven, proof)) {
      throw new L2Error(
        "TRANSFER_FAILED",
        `pd receiver ${target.host}:${target.initPort} did not prove that it knows auth_token`,
        { adapterType: "pd", field: "auth_token", hint: "use the same auth_token on sender and receiver" },
      );
    }
    return { ticket: session, maxChunkBytes: max_chunk_bytes as number, maxKeys: max_keys as number };
  } finally {
    socket.destroy();
  }
}

const REFUSAL_MESSAGES: Record<string, string> = {
  buffer_full: "its staging buffer stayed full for admission_timeout_ms",
  peer_share: "this sender already holds its peer_buffer_share of the receiver's staging buffer",
  chunk_too_large: "chunk too large: a chunk exceeds the receiver's buffer_size",
  cancelled: "the request was cancelled",
  closing: "the receiver is closing",
};

/**
 * The sender's TCP link to one receiver rank: handshake on the init port, then one long-lived connection
 * to the alloc port that carries allocation requests, DATA frames (header and payload written under
 * cork/uncork) and confirmations for any number of concurrent batches, matched by correlation id.
 */
export class TcpSenderConnection implements SenderChannel {
  readonly #target: ChannelTarget;
  readonly #socket: Socket;
  readonly #waiting = new Map<number, Waiting>();
  readonly #logger: L2Logger;
  #nextCorrelation = 1;
  #lost: L2Error | undefined;
  /** Batches are pushed (data without waiting for a grant) unless one found the buffer full lately. */
  #pushAfter = 0;
  /** Keys this link stored lately: a batch with one of them asks for slots, so they are not resent. */
  readonly #stored = new Set<string>();
  /** The receiver's largest chunk and batch, from its (proven) HELLO_OK. */
  readonly maxChunkBytes: number;
  readonly maxKeys: number;

  private constructor(target: ChannelTarget, socket: Socket, logger: L2Logger, limits: Handshake) {
    this.#target = target;
    this.#socket = socket;
    this.#logger = logger;
    this.maxChunkBytes = limits.maxChunkBytes;
    this.maxKeys = limits.maxKeys;
  }

  /**
   * Handshake and attach. A connection the receiver closed before we authenticated (it reaps
   * unauthenticated connections when flooded) is retried, up to 4 times within `connectTimeoutMs`;
   * refusals are not.
   */
  static async open(target: ChannelTarget, logger: L2Logger): Promise<TcpSenderConnection> {
    const deadline = Date.now() + target.connectTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await TcpSenderConnection.#openOnce(target, logger);
      } catch (error) {
        const lost = error instanceof L2Error && error.message.endsWith(LOST_DURING_HANDSHAKE);
        if (!lost || attempt >= 5 || Date.now() >= deadline) throw error;
        logger.debug("connection closed during the handshake; retrying", { attempt });
      }
    }
  }

  static async #openOnce(target: ChannelTarget, logger: L2Logger): Promise<TcpSenderConnection> {
    const limits = await handshake(target);
    let connection: TcpSenderConnection | undefined;
    const queue = new ReplyQueue();
    const socket = await openControlSocket(
      target,
      target.allocPort,
      (corr, reply) => (connection ? connection.#onReply(corr, reply) : queue.push(reply)),
      (error) => (connection ? connection.#onLost(error) : queue.fail(duringHandshake(target, error))),
    );
    try {
      const nonce = await challenge(target, socket, queue, target.allocPort);
      socket.write(
        encodeControlFrame(FrameType.Attach, 0, {
          session: limits.ticket,
          mac: mac(target.authToken, "pd-attach", [nonce, limits.ticket, senderId]),
        }),
      );
      const reply = await nextReply(target, socket, queue, "attach");
      if (reply.type === FrameType.Refused) throw refusedError(target, target.allocPort, reply);
      if (reply.type !== FrameType.AttachOk) throw transferError(target, "unexpected attach reply");
      if (!macAccepted(target.authToken, "pd-attach-ok", [nonce, limits.ticket], reply.body.proof)) {
        throw new L2Error(
          "TRANSFER_FAILED",
          `pd receiver ${target.host}:${target.allocPort} did not prove that it knows auth_token`,
          { adapterType: "pd", field: "auth_token" },
        );
      }
    } catch (error) {
      socket.destroy();
      throw error;
    }
    connection = new TcpSenderConnection(target, socket, logger, limits);
    return connection;
  }

  willPush(keys: readonly ObjectKey[]): boolean {
    return Date.now() >= this.#pushAfter && !keys.some((k) => this.#stored.has(k.id));
  }

  get usable(): boolean {
    return this.#lost === undefined && !this.#socket.destroyed;
  }

  async sendBatch(
    reqId: string,
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<number> {
    if (this.#lost) throw this.#lost;
    const where = `${this.#target.host}:${this.#target.allocPort}`;
    if (signal?.aborted) throw abortedError(where);
    const nextCorrelation = () => {
      const id = this.#nextCorrelation;
      this.#nextCorrelation = id >= 0xfffffff0 ? 1 : id + 1;
      return id;
    };
    let corr = nextCorrelation();
    const used = [corr];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new L2Error(
          "TIMEOUT",
          `pd sender: batch of ${keys.length} keys to ${where} not confirmed within ${this.#target.transferTimeoutMs} ms`,
          { adapterType: "pd", field: "transfer_timeout_ms" },
        );
        // Closing the connection makes the receiver roll the batch back.
        this.#onLost(error);
        this.#socket.destroy();
        reject(error);
      }, this.#target.transferTimeoutMs);
    });
    timeout.catch(() => {});
    const stops: Promise<never>[] = [timeout];
    let onAbort: (() => void) | undefined;
    let aborted: L2Error | undefined;
    if (signal) {
      const abort = new Promise<never>((_, reject) => {
        onAbort = () => {
          aborted = abortedError(where);
          reject(aborted);
        };
        signal.addEventListener("abort", onAbort, { once: true });
      });
      abort.catch(() => {});
      stops.push(abort);
    }
    /** Settles once the kernel has taken every DATA byte of this batch (the caller's buffers are free). */
    let written: Promise<void> | undefined;
    try {
      const sizes = objects.map((o) => o.byteLength);
      if (this.willPush(keys)) {
        // Push: the request and every key's DATA go out now; BATCH_DONE is the only answer.
        const done = this.#request(corr, encodeAllocRequest(corr, reqId, keys, sizes, true));
        objects.forEach((o, i) => {
          const flushed = this.#writeData(corr, 0, o, signal !== undefined && i === objects.length - 1, i);
          if (flushed) written = flushed;
        });
        const reply = await Promise.race([done, ...stops]);
        if (reply.type !== FrameType.BatchDone)
          throw transferError(this.#target, "malformed reply to a pushed batch");
        if (reply.body.ok === true) {
          this.#remember(keys);
          return typeof reply.body.bytes_stored === "number" ? reply.body.bytes_stored : 0;
        }
        const reason = String(reply.body.reason ?? "");
        if (reason !== "buffer_full") {
          throw transferError(
            this.#target,
            `receiver refused slots for ${keys.length} keys: ${REFUSAL_MESSAGES[reason] ?? (reason || "no reason given")}`,
          );
        }
        // No room at once: ask for slots, which waits for space, and do not push for a while, so that a
        // full buffer does not cost every batch its bytes twice.
        this.#pushAfter = Date.now() + PUSH_BACKOFF_MS;
        written = undefined;
        corr = nextCorrelation();
        used.push(corr);
      }
      const granted = await Promise.race([
        this.#request(corr, encodeAllocRequest(corr, reqId, keys, sizes)),
        ...stops,
      ]);
      const slots = granted.body.slots;
      if (granted.type !== FrameType.AllocResponse || !Array.isArray(slots) || slots.length !== keys.length) {
        throw transferError(this.#target, "malformed allocation reply");
      }
      if (slots.some((s) => s === -1)) {
        const reason = String(granted.body.reason ?? "buffer_full");
        throw transferError(
          this.#target,
          `receiver refused slots for ${keys.length} keys: ${REFUSAL_MESSAGES[reason] ?? reason}`,
        );
      }
      const sends: number[] = [];
      slots.forEach((s, i) => {
        if (Number.isInteger(s) && s > 0) sends.push(i);
        else if (s !== -2) throw transferError(this.#target, `invalid slot ${String(s)}`);
      });
      if (sends.length === 0) return 0;
      const done = this.#request(corr, undefined);
      sends.forEach((i, n) => {
        const last = n === sends.length - 1;
        const flushed = this.#writeData(
          corr,
          slots[i] as number,
          objects[i]!,
          signal !== undefined && last,
          0,
        );
        if (flushed) written = flushed;
      });
      const reply = await Promise.race([done, ...stops]);
      if (reply.type !== FrameType.BatchDone || reply.body.ok !== true) {
        throw transferError(this.#target, "receiver did not confirm the batch");
      }
      this.#remember(keys);
      return typeof reply.body.bytes_stored === "number" ? reply.body.bytes_stored : 0;
    } catch (error) {
      if (aborted !== undefined && error === aborted) {
        // Our DATA (if any) is ahead of the CANCEL on the connection, so the receiver rolls back all of
        // it; the caller gets its buffers back only once the kernel has taken the bytes.
        await written;
        this.cancel(reqId, keys);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
      for (const id of used) this.#waiting.delete(id);
    }
  }

  cancel(reqId: string, keys: readonly ObjectKey[]): void {
    if (!this.usable) return;
    this.#socket.write(
      encodeControlFrame(FrameType.Cancel, 0, { req_id: reqId, keys: keys.map((k) => k.toJSON()) }),
    );
  }

  close(): void {
    this.#onLost(new L2Error("ADAPTER_CLOSED", "pd sender closed", { adapterType: "pd" }));
    this.#socket.destroy();
  }

  /** Remembers confirmed keys (bounded: forgetting only costs a resend of bytes the receiver drops). */
  #remember(keys: readonly ObjectKey[]): void {
    if (this.#stored.size + keys.length > REMEMBERED_KEYS) this.#stored.clear();
    for (const k of keys) this.#stored.add(k.id);
  }

  /**
   * Writes one DATA frame (slot id, or 0 and the key index for a pushed batch); with `track`, returns a
   * promise that settles once the kernel took it.
   */
  #writeData(
    corr: number,
    slotId: number,
    bytes: Uint8Array,
    track: boolean,
    index: number,
  ): Promise<void> | undefined {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES + DATA_PREFIX_BYTES);
    writeFrameHeader(header, FrameType.Data, corr, DATA_PREFIX_BYTES + bytes.byteLength);
    header.writeUInt32BE(slotId, FRAME_HEADER_BYTES);
    header.writeUInt32BE(index, FRAME_HEADER_BYTES + 4);
    // Header and payload leave in one writev; the payload is the caller's buffer, not a copy.
    this.#socket.cork();
    this.#socket.write(header);
    let flushed: Promise<void> | undefined;
    if (track) flushed = new Promise((resolve) => this.#socket.write(bytes, () => resolve()));
    else this.#socket.write(bytes);
    this.#socket.uncork();
    return flushed;
  }

  #request(corr: number, frame: Buffer | undefined): Promise<Reply> {
    if (this.#lost) return Promise.reject(this.#lost);
    const reply = new Promise<Reply>((resolve, reject) => this.#waiting.set(corr, { resolve, reject }));
    if (frame) this.#socket.write(frame);
    return reply;
  }

  #onReply(corr: number, reply: Reply): void {
    const waiting = this.#waiting.get(corr);
    if (!waiting) {
      this.#logger.debug("reply for an unknown batch ignored", { corr, type: reply.type });
      return;
    }
    this.#waiting.delete(corr);
    waiting.resolve(reply);
  }

  #onLost(error: L2Error): void {
    this.#lost ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(this.#lost);
    this.#waiting.clear();
  }
}
