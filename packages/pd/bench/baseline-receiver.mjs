// Loopback ceiling (limits.md section 3, "prealloc+onread"): this process connects to the bench's listener
// and receives frames [u32 length][payload] through `onread` with one static 4 MiB buffer, so no read
// allocates; each payload is copied into one reused destination buffer, and an 8-byte ack goes back after
// every `batch` frames. Usage: node baseline-receiver.mjs <port> <chunkSize> <batch>
import { connect } from "node:net";

const [port, chunkSize, batch] = process.argv.slice(2).map(Number);
const destination = Buffer.allocUnsafeSlow(chunkSize);
const readBuffer = Buffer.allocUnsafeSlow(4 * 1024 * 1024);
const ack = Buffer.alloc(8);
const header = Buffer.alloc(4);
let headerFilled = 0;
let remaining = 0;
let filled = 0;
let frames = 0;

const socket = connect({
  host: "127.0.0.1",
  port,
  noDelay: true,
  onread: {
    buffer: readBuffer,
    callback(count, buffer) {
      let pos = 0;
      while (pos < count) {
        if (remaining === 0) {
          const n = Math.min(4 - headerFilled, count - pos);
          buffer.copy(header, headerFilled, pos, pos + n);
          headerFilled += n;
          pos += n;
          if (headerFilled === 4) {
            remaining = header.readUInt32BE(0);
            headerFilled = 0;
            filled = 0;
          }
          continue;
        }
        const n = Math.min(remaining, count - pos);
        buffer.copy(destination, filled, pos, pos + n);
        filled += n;
        remaining -= n;
        pos += n;
        if (remaining === 0 && ++frames % batch === 0) socket.write(ack);
      }
      return true;
    },
  },
});
socket.on("error", () => process.exit(0));
socket.on("close", () => process.exit(0));
