import { type Server, Socket } from "node:net";

/** The private parts of node:net this relies on (stable since Node 12; checked at run time). */
interface AcceptedSocketInternals {
  _handle?: { readStart?: unknown } | null;
  _server?: Server | null;
}

/**
 * Re-wraps an accepted socket (the server must use `pauseOnConnect: true`) so reads land in `readBuffer`
 * instead of a fresh Buffer per read. Node only offers `onread` to client sockets; on the receiver, one
 * allocation per 64 KiB read otherwise drives the garbage collector (external-memory pressure) and
 * halves throughput. `onBytes` must consume the bytes before returning: the buffer is reused for the
 * next read. Returns the original socket, resumed, with `data` events, if the internals are not there.
 */
export function withReusedReadBuffer(
  server: Server,
  accepted: Socket,
  readBuffer: Buffer,
  onBytes: (bytes: Buffer) => void,
): Socket {
  const internals = accepted as unknown as AcceptedSocketInternals;
  const handle = internals._handle;
  if (!handle || typeof handle.readStart !== "function") {
    accepted.on("data", onBytes);
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
      buffer: readBuffer,
      callback: (bytesRead: number, buffer: Uint8Array) => {
        onBytes(Buffer.from(buffer.buffer, buffer.byteOffset, bytesRead));
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
