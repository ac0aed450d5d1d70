import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { FrameReader, frameHeader, OP_ACK, OP_GET, OP_PUT } from "./tcp-frames.js";

const READ_BUFFER_BYTES = 4 * 1024 * 1024;

interface Pending {
  target: Buffer | null;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** One connection to the peer; requests are answered in order. */
class LoopbackConnection {
  readonly #pending: Pending[] = [];
  #failure: Error | undefined;

  readonly reader: FrameReader;

  constructor(readonly socket: Socket) {
    this.reader = new FrameReader(
      (op, length) => {
        const head = this.#pending[0];
        if (!head) throw new Error("unexpected frame from the peer");
        if (op === OP_GET) {
          if (!head.target || head.target.length !== length) throw new Error("GET reply of the wrong size");
          return head.target;
        }
        if (op !== OP_ACK || length !== 0) throw new Error("bad reply frame");
        return null;
      },
      () => this.#pending.shift()?.resolve(),
    );
    socket.on("error", (error) => this.#fail(error));
    socket.on("close", () => this.#fail(new Error("the loopback peer closed the connection")));
  }

  /** Bytes read into the socket's static read buffer (onread): parsed and copied once into targets. */
  onRead(chunk: Buffer): void {
    try {
      this.reader.push(chunk);
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.socket.destroy();
    for (const pending of this.#pending.splice(0)) pending.reject(this.#failure);
  }

  #expect(target: Buffer | null): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#failure) reject(this.#failure);
      else this.#pending.push({ target, resolve, reject });
    });
  }

  /** Sends every chunk of the batch pipelined and waits for all acks. */
  async put(chunks: readonly Buffer[]): Promise<void> {
    const done = chunks.map(() => this.#expect(null));
    this.socket.cork();
    for (const chunk of chunks) {
      this.socket.write(frameHeader(OP_PUT, chunk.length));
      this.socket.write(chunk);
    }
    this.socket.uncork();
    await Promise.all(done);
  }

  /** Asks for one payload per target and receives each into its (reused) target. */
  async get(targets: readonly Buffer[]): Promise<void> {
    const done = targets.map((target) => this.#expect(target));
    this.socket.cork();
    for (const target of targets) this.socket.write(frameHeader(OP_GET, target.length));
    this.socket.uncork();
    await Promise.all(done);
  }
}

/** A forked peer process plus `connections` TCP connections to it over 127.0.0.1. */
export class LoopbackPeer {
  private constructor(
    readonly child: ChildProcess,
    readonly connections: LoopbackConnection[],
  ) {}

  /** `script` is the built peer (dist/tcp-peer.js beside this module unless a test names it). */
  static async start(
    maxPayload: number,
    connections: number,
    script: URL | string = new URL("./tcp-peer.js", import.meta.url),
  ): Promise<LoopbackPeer> {
    const child = fork(script, [String(maxPayload)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    try {
      const [message] = (await Promise.race([
        once(child, "message"),
        once(child, "exit").then(([code]) => {
          throw new Error(`the loopback peer exited with code ${String(code)} before listening`);
        }),
      ])) as [{ port: number }];
      const sockets = await Promise.all(
        Array.from({ length: connections }, async () => {
          let connection: LoopbackConnection | undefined;
          // onread: the client reads into one static buffer instead of a fresh Buffer per read.
          const socket = connect({
            host: "127.0.0.1",
            port: message.port,
            noDelay: true,
            onread: {
              buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
              callback: (bytes: number, buffer: Uint8Array) => {
                connection?.onRead(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
                return true;
              },
            },
          });
          connection = new LoopbackConnection(socket);
          await once(socket, "connect");
          return connection;
        }),
      );
      return new LoopbackPeer(child, sockets);
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  /**
   * One timed pass each of PUT and GET over `count` chunks, `batch` per request burst, one burst per
   * connection at a time (so connections = in-flight batches, as in the adapter bench); their seconds.
   */
  async measure(
    sources: readonly Buffer[],
    targets: readonly Buffer[],
    count: number,
    batch: number,
  ): Promise<{ writeSeconds: number; readSeconds: number }> {
    const bursts: [number, number][] = [];
    for (let start = 0; start < count; start += batch) bursts.push([start, Math.min(count, start + batch)]);
    const pass = async (
      send: (connection: LoopbackConnection, start: number, end: number) => Promise<void>,
    ) => {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        this.connections.map(async (connection) => {
          while (next < bursts.length) {
            const [start, end] = bursts[next++]!;
            await send(connection, start, end);
          }
        }),
      );
      return (performance.now() - started) / 1000;
    };
    const pick = (list: readonly Buffer[], start: number, end: number) =>
      Array.from({ length: end - start }, (_, i) => list[(start + i) % list.length]!);
    const writeSeconds = await pass((c, start, end) => c.put(pick(sources, start, end)));
    const readSeconds = await pass((c, start, end) => c.get(pick(targets, start, end)));
    return { writeSeconds, readSeconds };
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, "exit");
      // The peer exits when its IPC channel closes; a signal only if it does not within a second.
      this.child.disconnect();
      const timer = setTimeout(() => this.child.kill(), 1000);
      await exited;
      clearTimeout(timer);
    }
  }
}
