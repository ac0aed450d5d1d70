import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { L2Error, type L2Logger } from "@x/l2-core";
import { freshNonce, mac, macAccepted } from "../auth.js";
import type { ReceiverSession, ReceiverState } from "../receiver-state.js";
import {
  decodeAllocRequest,
  decodeKeyList,
  encodeControlFrame,
  ProtocolError,
  parseJsonBody,
  readInteger,
  readRequestId,
  readString,
} from "../wire/codec.js";
import {
  FrameType,
  MAX_CONTROL_BODY,
  MAX_KEYS_PER_BATCH,
  MAX_PRE_AUTH_BODY,
  WIRE_VERSION,
} from "../wire/frame.js";
import { FrameReader } from "../wire/frame-reader.js";
import { ConnectionGuard, type ConnectionLimits, type GuardedConnection } from "./connection-guard.js";
import type { TlsMaterial } from "./tls-material.js";
import { withChosenReadMemory } from "./user-buffer-socket.js";

/** Reads of headers and control bodies land here (payloads go straight to their slot); consumed per read. */
const READ_BUFFER_BYTES = 4 * 1024 * 1024;
/** Session tickets waiting for their ATTACH, at most (a flood of handshakes cannot grow the table). */
const MAX_TICKETS = 4096;

export interface ReceiverServerOptions {
  bindHost: string;
  initPort: number;
  allocPort: number;
  authToken: string | undefined;
  /** Largest chunk accepted (the staging buffer size), announced in HELLO_OK. */
  maxChunkBytes: number;
  receiverId: string;
  state: ReceiverState;
  logger: L2Logger;
  /** A connection that has not authenticated within this time is closed. */
  handshakeTimeoutMs: number;
  limits: ConnectionLimits;
  /** Both ports speak TLS when set. */
  tls: TlsMaterial | undefined;
}

interface Ticket {
  expiry: number;
  senderId: string;
}

type PortKind = "init" | "alloc";

/**
 * The receiver's TCP (or TLS) side. Both ports open with a CHALLENGE carrying a fresh nonce. The init
 * port checks the sender's HELLO MAC and hands out a one-use session ticket; the alloc port checks an
 * ATTACH MAC over its own nonce and the ticket, then carries allocation requests, DATA frames straight
 * into staging slots, batch confirmations and cancels. Before authentication a peer may send at most
 * one small frame and must finish within `handshakeTimeoutMs`; connections are bounded by a
 * ConnectionGuard. A malformed frame or failed check closes that connection only.
 */
export class ReceiverServer {
  readonly #options: ReceiverServerOptions;
  readonly #tickets = new Map<string, Ticket>();
  readonly #guard: ConnectionGuard;
  readonly #connections = new Set<GuardedConnection>();
  /** TLS connections between TCP accept and the end of the TLS handshake, by remote address:port. */
  readonly #tlsPending = new Map<string, GuardedConnection>();
  #readBuffer: Buffer | undefined;
  #init: Server | undefined;
  #alloc: Server | undefined;

  constructor(options: ReceiverServerOptions) {
    this.#options = options;
    this.#guard = new ConnectionGuard(options.limits);
  }

  get connectionCount(): number {
    return this.#guard.size;
  }

  get connectionCounters(): { reaped: number; refused: number } {
    return this.#guard.counters;
  }

  async listen(): Promise<void> {
    const { bindHost, initPort, allocPort } = this.#options;
    this.#init = await this.#listen(bindHost, initPort, "peer_init_port", "init");
    try {
      this.#alloc = await this.#listen(bindHost, allocPort, "peer_alloc_port", "alloc");
    } catch (error) {
      await closeServer(this.#init);
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const c of this.#connections) c.destroy();
    for (const c of this.#tlsPending.values()) c.destroy();
    await Promise.all([closeServer(this.#init), closeServer(this.#alloc)]);
  }

  #listen(host: string, port: number, field: string, kind: PortKind): Promise<Server> {
    const tls = this.#options.tls;
    let server: Server;
    if (tls) {
      const mutual = tls.ca !== undefined;
      server = createTlsServer(
        {
          ...tls,
          requestCert: mutual,
          rejectUnauthorized: mutual,
          handshakeTimeout: this.#options.handshakeTimeoutMs,
        },
        (socket) => this.#onTlsSecure(socket, kind),
      );
      // Runs before the TLS handshake: the guard bounds connections that never finish it too.
      server.prependListener("connection", (raw: Socket) => this.#onTlsConnection(raw));
      server.on("tlsClientError", (error) =>
        this.#options.logger.debug("TLS handshake failed", { error: String(error) }),
      );
    } else {
      server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) =>
        this.#onPlain(socket, server, kind),
      );
    }
    return new Promise((resolve, reject) => {
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

  /** Registers a new connection with the guard; undefined = refused (no room, nothing idle to reap). */
  #admit(socket: Socket, busy: () => boolean, destroy: () => void): GuardedConnection | undefined {
    const connection: GuardedConnection = {
      host: socket.remoteAddress ?? "?",
      authenticated: false,
      busy,
      destroy,
    };
    if (!this.#guard.admit(connection)) {
      this.#options.logger.warn("connection refused: connection limit reached and none idle", {
        peer: peerName(socket),
      });
      socket.destroy();
      return undefined;
    }
    this.#connections.add(connection);
    return connection;
  }

  /** Starts the handshake deadline and releases the guard's place when `socket` closes. */
  #track(socket: Socket, connection: GuardedConnection): void {
    const timer = setTimeout(() => {
      if (!connection.authenticated) connection.destroy();
    }, this.#options.handshakeTimeoutMs);
    timer.unref();
    socket.once("close", () => {
      clearTimeout(timer);
      this.#guard.release(connection);
      this.#connections.delete(connection);
    });
  }

  #onPlain(accepted: Socket, server: Server, kind: PortKind): void {
    let socket = accepted;
    let session: ReceiverSession | undefined;
    const connection = this.#admit(
      accepted,
      () => (session?.batches.size ?? 0) > 0,
      () => socket.destroy(),
    );
    if (!connection) return;
    if (kind === "init") {
      this.#track(accepted, connection);
      this.#serveInit(accepted, connection, (reader) => {
        accepted.on("data", (chunk: Buffer) => this.#feed(accepted, reader, chunk));
        accepted.resume();
      });
      return;
    }
    this.#readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    const scratch = this.#readBuffer;
    let direct: Uint8Array | undefined;
    // Node asks for the first read's memory inside the socket constructor, before the reader exists.
    let readerRef: FrameReader | undefined;
    socket = withChosenReadMemory(server, accepted, {
      // Mid-payload, the kernel writes the next read straight into the staging slot: no copy at all.
      // Otherwise read only what the current header or body needs, so no payload byte lands in scratch.
      next: () => {
        direct = readerRef?.directTarget();
        if (direct) return direct;
        return scratch.subarray(0, Math.min(READ_BUFFER_BYTES, readerRef?.wanted() ?? 64));
      },
      onRead: (buffer, count) => {
        if (direct !== undefined && buffer === direct) {
          try {
            readerRef!.pushDirect(count);
          } catch (error) {
            this.#fail(socket, error);
          }
        } else {
          this.#feed(socket, readerRef!, Buffer.from(buffer.buffer, buffer.byteOffset, count));
        }
      },
    });
    this.#track(socket, connection);
    readerRef = this.#serveAlloc(socket, connection, {
      session: () => session,
      setSession: (s) => (session = s),
    });
  }

  #onTlsConnection(raw: Socket): void {
    const key = peerName(raw);
    const connection = this.#admit(
      raw,
      () => false,
      () => raw.destroy(),
    );
    if (!connection) return;
    raw.on("error", (error) => this.#options.logger.debug("peer socket error", { error: String(error) }));
    this.#track(raw, connection);
    this.#tlsPending.set(key, connection);
    raw.once("close", () => {
      if (this.#tlsPending.get(key) === connection) this.#tlsPending.delete(key);
    });
  }

  #onTlsSecure(socket: TLSSocket, kind: PortKind): void {
    const key = peerName(socket);
    const connection = this.#tlsPending.get(key);
    this.#tlsPending.delete(key);
    if (!connection) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const raw = connection.destroy;
    connection.destroy = () => {
      socket.destroy();
      raw();
    };
    if (kind === "init") {
      this.#serveInit(socket, connection, (reader) =>
        socket.on("data", (chunk: Buffer) => this.#feed(socket, reader, chunk)),
      );
      return;
    }
    let session: ReceiverSession | undefined;
    connection.busy = () => (session?.batches.size ?? 0) > 0;
    const reader = this.#serveAlloc(socket, connection, {
      session: () => session,
      setSession: (s) => (session = s),
    });
    socket.on("data", (chunk: Buffer) => this.#feed(socket, reader, chunk));
  }

  #feed(socket: Socket, reader: FrameReader, chunk: Buffer): void {
    try {
      reader.push(chunk);
    } catch (error) {
      this.#fail(socket, error);
    }
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

  #challenge(socket: Socket): string {
    const nonce = freshNonce();
    socket.on("error", (error) => this.#options.logger.debug("peer socket error", { error: String(error) }));
    socket.write(
      encodeControlFrame(FrameType.Challenge, 0, {
        version: WIRE_VERSION,
        receiver_id: this.#options.receiverId,
        nonce,
      }),
    );
    return nonce;
  }

  /** Init port: CHALLENGE, then one HELLO whose MAC covers our nonce; answers HELLO_OK with a ticket. */
  #serveInit(socket: Socket, connection: GuardedConnection, start: (reader: FrameReader) => void): void {
    const { authToken, receiverId, maxChunkBytes, handshakeTimeoutMs } = this.#options;
    const nonce = this.#challenge(socket);
    let done = false;
    const reader = new FrameReader(
      {
        onControl: (type, _corr, raw) => {
          if (done) throw new ProtocolError("frame after the handshake");
          if (type !== FrameType.Hello) throw new ProtocolError("expected HELLO on the init port");
          done = true;
          const body = parseJsonBody(raw);
          const version = readInteger(body, "version", 0, 0xffff);
          if (version !== WIRE_VERSION) {
            return this.#refuse(
              socket,
              `unsupported wire version ${version} (this receiver speaks ${WIRE_VERSION})`,
            );
          }
          const senderId = readString(body, "sender_id", 128);
          const senderNonce = readString(body, "nonce", 64);
          if (!macAccepted(authToken, "pd-hello", [nonce, senderNonce, senderId, version], body.mac)) {
            return this.#refuse(socket, "auth_token mismatch");
          }
          const ticket = freshNonce();
          this.#pruneTickets();
          this.#tickets.set(ticket, { expiry: Date.now() + handshakeTimeoutMs, senderId });
          connection.authenticated = true;
          socket.end(
            encodeControlFrame(FrameType.HelloOk, 0, {
              session: ticket,
              receiver_id: receiverId,
              max_chunk_bytes: maxChunkBytes,
              max_keys: MAX_KEYS_PER_BATCH,
              proof: mac(authToken, "pd-hello-ok", [
                senderNonce,
                nonce,
                ticket,
                receiverId,
                maxChunkBytes,
                MAX_KEYS_PER_BATCH,
              ]),
            }),
          );
        },
        onDataStart: () => {
          throw new ProtocolError("DATA on the init port");
        },
        onDataEnd: () => {},
      },
      { maxDataPayload: 0, maxControlBody: MAX_PRE_AUTH_BODY },
    );
    start(reader);
  }

  /** Alloc port: CHALLENGE, ATTACH with a ticket and a MAC over our nonce, then the session's frames. */
  #serveAlloc(
    socket: Socket,
    connection: GuardedConnection,
    peer: { session(): ReceiverSession | undefined; setSession(s: ReceiverSession): void },
  ): FrameReader {
    const { state, authToken, maxChunkBytes } = this.#options;
    const nonce = this.#challenge(socket);
    socket.once("close", () => {
      const session = peer.session();
      if (session) state.closeSession(session);
    });
    const send = (frame: Buffer) => {
      if (!socket.destroyed && socket.writable) socket.write(frame);
    };
    const reader: FrameReader = new FrameReader(
      {
        onControl: (type, corr, raw) => {
          const body = parseJsonBody(raw);
          const current = peer.session();
          if (!current) {
            if (type !== FrameType.Attach) throw new ProtocolError("expected ATTACH as the first frame");
            const ticketId = readString(body, "session", 64);
            const ticket = this.#tickets.get(ticketId);
            if (ticket === undefined || ticket.expiry < Date.now()) {
              this.#tickets.delete(ticketId);
              return this.#refuse(socket, "unknown or expired session; handshake on the init port first");
            }
            // A wrong MAC does not use the ticket up, so nobody who only saw it can void it.
            if (!macAccepted(authToken, "pd-attach", [nonce, ticketId, ticket.senderId], body.mac)) {
              return this.#refuse(socket, "auth_token mismatch");
            }
            this.#tickets.delete(ticketId);
            const session = state.openSession(peerName(socket), ticket.senderId);
            session.abort = () => socket.destroy();
            peer.setSession(session);
            connection.authenticated = true;
            reader.maxControlBody = MAX_CONTROL_BODY;
            send(
              encodeControlFrame(FrameType.AttachOk, 0, {
                proof: mac(authToken, "pd-attach-ok", [nonce, ticketId]),
              }),
            );
            return;
          }
          switch (type) {
            case FrameType.AllocRequest: {
              // Checked before anything is awaited; closing the connection then frees both batches.
              if (current.batches.has(corr)) {
                throw new ProtocolError(`duplicate correlation id ${corr}: a batch with it is pending`);
              }
              const request = decodeAllocRequest(body);
              if (body.push === true) {
                // Its DATA follows at once; BATCH_DONE answers it (no ALLOC_RESPONSE).
                state.admitPushed(current, corr, request.reqId, request.keys, request.sizes);
                return;
              }
              state.allocate(current, corr, request.reqId, request.keys, request.sizes).then(
                (answer) => send(encodeControlFrame(FrameType.AllocResponse, corr, answer)),
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
        onDataStart: (corr, slotId, length, index) => {
          const current = peer.session();
          if (!current) throw new ProtocolError("DATA before ATTACH");
          // Slot id 0 = a pushed batch, addressed by key index.
          if (slotId === 0) return state.pushTarget(current, corr, index, length);
          return state.slotTarget(current, corr, slotId, length);
        },
        onDataEnd: (corr, slotId, index) => {
          const current = peer.session();
          const done =
            slotId === 0 && current ? state.pushFilled(current, corr, index) : state.slotFilled(slotId);
          if (done) {
            const { ok, bytesStored, reason } = done.outcome;
            send(
              encodeControlFrame(FrameType.BatchDone, done.correlationId, {
                ok,
                bytes_stored: bytesStored,
                ...(reason ? { reason } : {}),
              }),
            );
          }
        },
      },
      { maxDataPayload: maxChunkBytes, maxControlBody: MAX_PRE_AUTH_BODY },
    );
    return reader;
  }

  #pruneTickets(): void {
    const now = Date.now();
    for (const [ticket, { expiry }] of this.#tickets) if (expiry < now) this.#tickets.delete(ticket);
    while (this.#tickets.size >= MAX_TICKETS) this.#tickets.delete(this.#tickets.keys().next().value!);
  }
}

function peerName(socket: Socket): string {
  return `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
