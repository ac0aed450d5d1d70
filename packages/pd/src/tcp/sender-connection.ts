import { randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { L2Error, type L2Logger, type ObjectKey } from "@x/l2-core";
import type { ChannelTarget, SenderChannel } from "../sender-channel.js";
import { encodeAllocRequest, encodeControlFrame, ProtocolError, parseJsonBody } from "../wire/codec.js";
import { DATA_PREFIX_BYTES, FRAME_HEADER_BYTES, FrameType, writeFrameHeader } from "../wire/frame.js";
import { FrameReader } from "../wire/frame-reader.js";
import { PROTOCOL_VERSION } from "./receiver-server.js";

type Reply = { type: FrameType; body: Record<string, unknown> };

interface Waiting {
  resolve(reply: Reply): void;
  reject(error: L2Error): void;
}

const senderId = randomUUID();

function transferError(target: ChannelTarget, message: string, cause?: unknown): L2Error {
  return new L2Error("TRANSFER_FAILED", `pd sender -> ${target.host}:${target.allocPort}: ${message}`, {
    adapterType: "pd",
    cause,
  });
}

/** Opens a socket and reads control frames from it; data frames from a receiver are a protocol error. */
function openControlSocket(
  target: ChannelTarget,
  port: number,
  onReply: (corr: number, reply: Reply) => void,
  onLost: (error: L2Error) => void,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new L2Error(
          "TIMEOUT",
          `pd sender: no connection to ${target.host}:${port} within ${target.connectTimeoutMs} ms`,
          { adapterType: "pd" },
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
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(transferError(target, `cannot connect to port ${port}: ${error.code ?? error.message}`, error));
      onLost(transferError(target, `connection error: ${error.code ?? error.message}`, error));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      reject(transferError(target, `connection to port ${port} closed during connect`));
      onLost(transferError(target, "connection to the receiver was lost"));
    });
  });
}

/** One request/response on a fresh socket: the handshake on the init port. */
async function handshake(target: ChannelTarget): Promise<string> {
  let settle: Waiting | undefined;
  const reply = new Promise<Reply>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Also rejected when the connect itself fails; that error is reported through openControlSocket.
  reply.catch(() => {});
  const socket = await openControlSocket(
    target,
    target.initPort,
    (_corr, r) => settle?.resolve(r),
    (e) => settle?.reject(e),
  );
  const timer = setTimeout(() => {
    socket.destroy();
    settle?.reject(
      new L2Error("TIMEOUT", `pd sender: handshake with ${target.host}:${target.initPort} timed out`, {
        adapterType: "pd",
      }),
    );
  }, target.connectTimeoutMs);
  try {
    socket.write(
      encodeControlFrame(FrameType.Hello, 0, {
        version: PROTOCOL_VERSION,
        sender_id: senderId,
        token: target.authToken,
      }),
    );
    const r = await reply;
    if (r.type === FrameType.Refused) {
      throw new L2Error(
        "TRANSFER_FAILED",
        `pd receiver ${target.host}:${target.initPort} refused the handshake: ${String(r.body.reason)}`,
        {
          adapterType: "pd",
          field: "auth_token",
          hint: "use the same auth_token on sender and receiver",
        },
      );
    }
    if (r.type !== FrameType.HelloOk || typeof r.body.session !== "string") {
      throw transferError(target, "unexpected handshake reply");
    }
    return r.body.session;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

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

  private constructor(target: ChannelTarget, socket: Socket, logger: L2Logger) {
    this.#target = target;
    this.#socket = socket;
    this.#logger = logger;
  }

  static async open(target: ChannelTarget, logger: L2Logger): Promise<TcpSenderConnection> {
    const ticket = await handshake(target);
    let connection: TcpSenderConnection | undefined;
    let attached: Waiting | undefined;
    const attachReply = new Promise<Reply>((resolve, reject) => {
      attached = { resolve, reject };
    });
    attachReply.catch(() => {});
    const socket = await openControlSocket(
      target,
      target.allocPort,
      (corr, reply) => (connection ? connection.#onReply(corr, reply) : attached?.resolve(reply)),
      (error) => (connection ? connection.#onLost(error) : attached?.reject(error)),
    );
    const timer = setTimeout(() => {
      socket.destroy();
      attached?.reject(
        new L2Error("TIMEOUT", `pd sender: attach to ${target.host}:${target.allocPort} timed out`, {
          adapterType: "pd",
        }),
      );
    }, target.connectTimeoutMs);
    try {
      socket.write(encodeControlFrame(FrameType.Attach, 0, { session: ticket, token: target.authToken }));
      const reply = await attachReply;
      if (reply.type !== FrameType.AttachOk) {
        throw new L2Error(
          "TRANSFER_FAILED",
          `pd receiver ${target.host}:${target.allocPort} refused the connection: ${String(reply.body.reason)}`,
          {
            adapterType: "pd",
            field: "auth_token",
          },
        );
      }
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    connection = new TcpSenderConnection(target, socket, logger);
    return connection;
  }

  get usable(): boolean {
    return this.#lost === undefined && !this.#socket.destroyed;
  }

  async sendBatch(
    reqId: string,
    keys: readonly ObjectKey[],
    objects: readonly Uint8Array[],
  ): Promise<number> {
    if (this.#lost) throw this.#lost;
    const corr = this.#nextCorrelation;
    this.#nextCorrelation = this.#nextCorrelation >= 0xfffffff0 ? 1 : this.#nextCorrelation + 1;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new L2Error(
          "TIMEOUT",
          `pd sender: batch of ${keys.length} keys to ${this.#target.host}:${this.#target.allocPort} not confirmed within ${this.#target.transferTimeoutMs} ms`,
          { adapterType: "pd", field: "transfer_timeout_ms" },
        );
        // Closing the connection makes the receiver roll the batch back.
        this.#onLost(error);
        this.#socket.destroy();
        reject(error);
      }, this.#target.transferTimeoutMs);
    });
    timeout.catch(() => {});
    try {
      const sizes = objects.map((o) => o.byteLength);
      const granted = await Promise.race([
        this.#request(corr, encodeAllocRequest(corr, reqId, keys, sizes)),
        timeout,
      ]);
      const slots = granted.body.slots;
      if (granted.type !== FrameType.AllocResponse || !Array.isArray(slots) || slots.length !== keys.length) {
        throw transferError(this.#target, "malformed allocation reply");
      }
      if (slots.some((s) => s === -1)) {
        throw transferError(
          this.#target,
          `receiver refused slots for ${keys.length} keys (staging buffer full or closing)`,
        );
      }
      const sends: number[] = [];
      slots.forEach((s, i) => {
        if (Number.isInteger(s) && s > 0) sends.push(i);
        else if (s !== -2) throw transferError(this.#target, `invalid slot ${String(s)}`);
      });
      if (sends.length === 0) return 0;
      const done = this.#request(corr, undefined);
      for (const i of sends) this.#writeData(corr, slots[i] as number, objects[i]!);
      const reply = await Promise.race([done, timeout]);
      if (reply.type !== FrameType.BatchDone || reply.body.ok !== true) {
        throw transferError(this.#target, "receiver did not confirm the batch");
      }
      return typeof reply.body.bytes_stored === "number" ? reply.body.bytes_stored : 0;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(corr);
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

  #writeData(corr: number, slotId: number, bytes: Uint8Array): void {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES + DATA_PREFIX_BYTES);
    writeFrameHeader(header, FrameType.Data, corr, DATA_PREFIX_BYTES + bytes.byteLength);
    header.writeUInt32BE(slotId, FRAME_HEADER_BYTES);
    header.writeUInt32BE(0, FRAME_HEADER_BYTES + 4);
    // Header and payload leave in one writev; the payload is the caller's buffer, not a copy.
    this.#socket.cork();
    this.#socket.write(header);
    this.#socket.write(bytes);
    this.#socket.uncork();
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
