// Baseline receiver: plain node:net, frames [u32 length][payload], every payload copied into one reused
// buffer, an 8-byte ack after `batch` frames. Prints {"port":N} once listening.
import { createServer } from "node:net";

const chunkSize = Number(process.argv[2]);
const batch = Number(process.argv[3]);
const target = Buffer.allocUnsafeSlow(chunkSize);
const ack = Buffer.alloc(8);
const server = createServer({ noDelay: true }, (socket) => {
  const header = Buffer.alloc(4);
  let headerFilled = 0;
  let remaining = 0;
  let filled = 0;
  let frames = 0;
  socket.on("data", (chunk) => {
    let pos = 0;
    while (pos < chunk.length) {
      if (remaining === 0) {
        const n = Math.min(4 - headerFilled, chunk.length - pos);
        chunk.copy(header, headerFilled, pos, pos + n);
        headerFilled += n;
        pos += n;
        if (headerFilled === 4) {
          remaining = header.readUInt32BE(0);
          headerFilled = 0;
          filled = 0;
        }
        continue;
      }
      const n = Math.min(remaining, chunk.length - pos);
      chunk.copy(target, filled, pos, pos + n);
      filled += n;
      remaining -= n;
      pos += n;
      if (remaining === 0 && ++frames % batch === 0) socket.write(ack);
    }
  });
});
server.listen(0, "127.0.0.1", () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
