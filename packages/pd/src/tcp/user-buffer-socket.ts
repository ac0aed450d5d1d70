import { type Server, Socket } from "node:net";

/** The private parts of node:net this relies on (stable since Node 12; checked at run time). */
interface AcceptedSocketInternals {
  _handle?: { readStart?: unknown } | null;
  _server?: Server | null;
}

export interface ReadTargets {
  /** The memory the next read lands in; called before every read. */
  next(): Uint8Array;
  /** `count` bytes arrived in `buffer` (the object `next()` returned); consume them before returning. */
  onRead(buffer: Uint8Array, count: number): void;
}

/**
 * Re-wraps an accepted socket (the server must use `pauseOnConnect: true`) so reads land in memory we
 * choose instead of a fresh Buffer per read. Node only offers `onread` to client sockets; on the receiver,
 * one allocation per 64 KiB read otherwise drives the garbage collector (external-memory pressure) and
 * halves throughput, and choosing the memory lets payload bytes land straight in their staging slot.
 * Falls back to the original socket with `data` events if the internals are not there.
 */
export function withChosenReadMemory(server: Server, accepted: Socket, targets: ReadTargets): Socket {
  const internals = accepted as unknown as AcceptedSocketInternals;
  const handle = internals._handle;
  if (!handle || typeof handle.readStart !== "function") {
    accepted.on("data", (chunk: Buffer) => targets.onRead(chunk, chunk.length));
    accepted.resume();
    return accepted;
  }
  internals._handle = null;
  // `handle` and `onread` are accepted by the constructor but missing from @types/node's socket options.
  const options = {
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: () => targets.next(),
      callback: (bytesRead: number, buffer: Uint8Array) => {
        targets.onRead(buffer, bytesRead);
        return true;
      },
    },
  };
  const socket = new Socket(options as ConstructorParameters<typeof Socket>[0]);
  // Lets the server count the connection and finish close() once it ends.
  (socket as unknown as AcceptedSocketInternals)._server = server;
  socket.setNoDelay(true);
  socket.resume();
  return socket;
}
