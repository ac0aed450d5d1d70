/**
 * The other process of the loopback baseline (forked by baseline-tcp.ts). Listens on 127.0.0.1, port 0,
 * reports the port over IPC, and serves PUT (payload copied into one reused buffer, then an ACK) and
 * GET (a payload from one prefilled buffer). Lengths above the size given in argv close the connection.
 */
import { createServer } from "node:net";
import { FrameReader, frameHeader, OP_ACK, OP_GET, OP_PUT } from "./tcp-frames.js";

const maxLength = Number(process.argv[2]);
if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
  process.stderr.write("tcp-peer: needs the maximum payload size as its argument\n");
  process.exit(2);
}
const receive = Buffer.allocUnsafeSlow(maxLength);
const payload = Buffer.allocUnsafeSlow(maxLength).fill(0xa5);
const ack = frameHeader(OP_ACK, 0);

const server = createServer({ noDelay: true }, (socket) => {
  const reader = new FrameReader(
    (op, length) => {
      if (length > maxLength || (op !== OP_PUT && op !== OP_GET)) throw new Error("bad frame");
      return op === OP_PUT ? receive : null;
    },
    (op, length) => {
      if (op === OP_PUT) {
        socket.write(ack);
      } else {
        socket.cork();
        socket.write(frameHeader(OP_GET, length));
        socket.write(payload.subarray(0, length));
        socket.uncork();
      }
    },
    [OP_GET],
  );
  socket.on("data", (chunk) => {
    try {
      reader.push(chunk);
    } catch {
      socket.destroy();
    }
  });
  socket.on("error", () => socket.destroy());
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
});
// The parent going away (normally or not) ends this process.
process.on("disconnect", () => process.exit(0));
