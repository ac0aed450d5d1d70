import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { L2Error, type L2Logger } from "@x/l2-core";
import { tokenAccepted } from "../auth.js";
import type { ReceiverSession, ReceiverState } from "../receiver-state.js";
import {
  decodeAllocRequest,
  decodeKeyList,
  encodeControlFrame,
  ProtocolError,
  parseJsonBody,
  readInteger,
  readOptionalString,
  readRequestId,
  readString,
} from "../wire/codec.js";
import { FrameType, MAX_KEYS_PER_BATCH } from "../wire/frame.js";
import { FrameReader } from "../wire/frame-reader.js";
import { withChosenReadMemory } from "./user-buffer-socket.js";

export const PROTOCOL_VERSION = 1;
/** How long a session ticket from the init port stays valid, and how long a peer may take to attach. */
const HANDSHAKE_WINDOW_MS = 10_000;
const MAX_CONNECTIONS = 512;
/** Reads of headers and control bodies land here (payloads go straight to their slot); consumed per read. */
const READ_BUFFER_BYTES = 4 * 1024 * 1024;

export interface ReceiverServerOptions {
  bindHost: string;
  initPort: number;
  allocPort: number;
  authToken: string | undefined;
  /** Largest chunk accepted (the staging buffer size). */
  maxChunkBytes: number;
  receiverId: string;
  state: ReceiverState;
  logger: L2Logger;
}

/**
 * The receiver's TCP side. The init port runs the handshake (token check, session ticket); the alloc
 * port accepts a connection that presents the token and a fresh ticket, then carries allocation
 * requests, DATA frames straight into staging slots, batch confirmations and cancels. A malformed frame
 * or failed check closes that connection only.
 */
export class ReceiverServer {
  readonly #options: ReceiverServerOptions;
  readonly #tickets = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  #readBuffer: Buffer | undefined;
  #init: Server | undefined;
  #alloc: Server | undefined;

  constructor(options: ReceiverServerOptions) {
    this.#options = options;
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  async listen(): Promise<void> {
    const { bindHost, initPort, allocPort } = this.#options;
    this.#init = await this.#listen(bindHost, initPort, "peer_init_port", false, (s) => this.#onInit(s));
    try {
      this.#alloc = await this.#listen(bindHost, allocPort, "peer_alloc_port", true, (s, server) =>
        this.#onAlloc(s, server),
      );
    } catch (error) {
      await closeServer(this.#init);
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([closeServer(this.#init), closeServer(this.#alloc)]);
  }

  #listen(
    host: string,
    port: number,
    field: string,
    pauseOnConnect: boolean,
    onSocket: (s: Socket, server: Server) => void,
  ): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true, pauseOnConnect }, (socket) => onSocket(socket, server));
      server.maxConnections = MAX_CONNECTIONS;
      server.once("error", (error: NodeJS.ErrnoException) => {
        reject(
          new L2Error(
            "IO_FAILED",
            `receiver cannot listen on ${host}:${port} (${field}): ${error.code ?? error.message}`,
            {
              adapterType: "pd",
              field,
              hint: "pick a free port or stop the process that holds it; check bind_host",
              cause: error,
            },
          ),
        );
      });
      server.listen({ host, port }, () => {
        server.removeAllListeners("error");
        server.on("error", (error) => this.#options.logger.error("listener error", { error: String(error) }));
        resolve(server);
      });
    });
  }

  #refuse(socket: Socket, reason: string): void {
    this.#options.logger.warn("peer refused", { peer: peerName(socket), reason });
    if (!socket.destroyed) socket.end(encodeControlFrame(FrameType.Refused, 0, { reason }));
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  #fail(socket: Socket, error: unknown): void {
    this.#options.logger.warn("closing peer connection", { peer: peerName(socket), error: String(error) });
    socket.destroy();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", (error) => this.#options.logger.debug("peer socket error", { error: String(error) }));
  }

  #onInit(socket: Socket): void {
    this.#track(socket);
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_WINDOW_MS);
    timer.unref();
    socket.on("close", () => clearTimeout(timer));
    let done = false;
    const reader = new FrameReader(
      {
        onControl: (type, _corr, raw) => {
          if (done) throw new ProtocolError("frame after the handshake");
          if (type !== FrameType.Hello) throw new ProtocolError("expected HELLO on the init port");
          done = true;
          const body = parseJsonBody(raw);
          const version = readInteger(body, "version", 0, 0xffff);
          if (version !== PROTOCOL_VERSION)
            return this.#refuse(socket, `unsupported protocol version ${version}`);
          if (!tokenAccepted(this.#options.authToken, readOptionalString(body, "token", 4096))) {
            return this.#refuse(socket, "auth_token mismatch");
          }
          const ticket = randomBytes(16).toString("hex");
          this.#pruneTickets();
          this.#tickets.set(ticket, Date.now() + HANDSHAKE_WINDOW_MS);
          socket.end(
            encodeControlFrame(FrameType.HelloOk, 0, {
              session: ticket,
              receiver_id: this.#options.receiverId,
              max_chunk_bytes: this.#options.maxChunkBytes,
              max_keys: MAX_KEYS_PER_BATCH,
            }),
          );
        },
        onDataStart: () => {
          throw new ProtocolError("DATA on the init port");
        },
        onDataEnd: () => {},
      },
      { maxDataPayload: 0 },
    );
    socket.on("data", (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        this.#fail(socket, error);
      }
    });
  }

  #onAlloc(accepted: Socket, server: Server): void {
    const { state } = this.#options;
    this.#readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    const scratch = this.#readBuffer;
    let direct: Uint8Array | undefined;
    // Node asks for the first read's memory inside the socket constructor, before the reader exists.
    let readerRef: FrameReader | undefined;
    const socket = withChosenReadMemory(server, accepted, {
      // Mid-payload, the kernel writes the next read straight into the staging slot: no copy at all.
      next: () => {
        direct = readerRef?.directTarget();
        return direct ?? scratch;
      },
      onRead: (buffer, count) => {
        try {
          if (direct !== undefined && buffer === direct) readerRef!.pushDirect(count);
          else readerRef!.push(Buffer.from(buffer.buffer, buffer.byteOffset, count));
        } catch (error) {
          this.#fail(socket, error);
        }
      },
    });
    this.#track(socket);
    let session: ReceiverSession | undefined;
    const timer = setTimeout(() => {
      if (!session) socket.destroy();
    }, HANDSHAKE_WINDOW_MS);
    timer.unref();
    socket.on("close", () => {
      clearTimeout(timer);
      if (session) state.closeSession(session);
    });
    const send = (frame: Buffer) => {
      if (!socket.destroyed && socket.writable) socket.write(frame);
    };
    const reader = new FrameReader(
      {
        onControl: (type, corr, raw) => {
          const body = parseJsonBody(raw);
          if (!session) {
            if (type !== FrameType.Attach) throw new ProtocolError("expected ATTACH as the first frame");
            if (!tokenAccepted(this.#options.authToken, readOptionalString(body, "token", 4096))) {
              return this.#refuse(socket, "auth_token mismatch");
            }
            const ticket = readString(body, "session", 64);
            const expiry = this.#tickets.get(ticket);
            this.#tickets.delete(ticket);
            if (expiry === undefined || expiry < Date.now()) {
              return this.#refuse(socket, "unknown or expired session; handshake on the init port first");
            }
            session = state.openSession(peerName(socket));
            session.abort = () => socket.destroy();
            send(encodeControlFrame(FrameType.AttachOk, 0, {}));
            return;
          }
          const current = session;
          switch (type) {
            case FrameType.AllocRequest: {
              const request = decodeAllocRequest(body, this.#options.maxChunkBytes);
              state.allocate(current, corr, request.reqId, request.keys, request.sizes).then(
                (slots) => send(encodeControlFrame(FrameType.AllocResponse, corr, { slots })),
                (error) => this.#fail(socket, error),
              );
              return;
            }
            case FrameType.Cancel: {
              state.cancel(current, readRequestId(body), decodeKeyList(body, "keys"));
              return;
            }
            default:
              throw new ProtocolError(`unexpected frame type ${type} from a sender`);
          }
        },
        onDataStart: (corr, slotId, length) => {
          if (!session) throw new ProtocolError("DATA before ATTACH");
          return state.slotTarget(session, corr, slotId, length);
        },
        onDataEnd: (_corr, slotId) => {
          const done = state.slotFilled(slotId);
          if (done) {
            send(
              encodeControlFrame(FrameType.BatchDone, done.correlationId, {
                ok: done.outcome.ok,
                bytes_stored: done.outcome.bytesStored,
              }),
            );
          }
        },
      },
      { maxDataPayload: this.#options.maxChunkBytes },
    );
    readerRef = reader;
  }

  #pruneTickets(): void {
    const now = Date.now();
    for (const [ticket, expiry] of this.#tickets) if (expiry < now) this.#tickets.delete(ticket);
    // Bound the table even under a flood of handshakes that never attach.
    while (this.#tickets.size >= 4096) this.#tickets.delete(this.#tickets.keys().next().value!);
  }
}

function peerName(socket: Socket): string {
  return `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
