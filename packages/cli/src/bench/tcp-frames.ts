/**
 * Loopback baseline wire format: an 8-byte header [u32 op][u32 length] (little endian), then the payload.
 * A GET request carries no payload: its length is the size asked for.
 */
export const FRAME_HEADER_BYTES = 8;
export const OP_PUT = 1;
export const OP_GET = 2;
export const OP_ACK = 3;

export function frameHeader(op: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32LE(op, 0);
  header.writeUInt32LE(length, 4);
  return header;
}

/**
 * Incremental frame parser. `onHeader` returns where the payload goes (a reused buffer at least
 * `length` bytes long, so payloads are copied once and never allocated) or throws to reject a length
 * it does not trust; `onFrame` runs when the payload is complete.
 */
export class FrameReader {
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #op = 0;
  #length = 0;
  #bodyFill = 0;
  #destination: Buffer | null = null;

  constructor(
    private readonly onHeader: (op: number, length: number) => Buffer | null,
    private readonly onFrame: (op: number, length: number) => void,
    /** Frames of these ops have no payload whatever their length says. */
    private readonly headerOnlyOps: readonly number[] = [],
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#headerFill < FRAME_HEADER_BYTES) {
        const n = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - offset);
        chunk.copy(this.#header, this.#headerFill, offset, offset + n);
        this.#headerFill += n;
        offset += n;
        if (this.#headerFill === FRAME_HEADER_BYTES) {
          this.#op = this.#header.readUInt32LE(0);
          this.#length = this.#header.readUInt32LE(4);
          this.#bodyFill = 0;
          this.#destination = this.onHeader(this.#op, this.#length);
          if (this.#destination && this.#destination.length < this.#length) {
            throw new Error(
              `frame of ${this.#length} bytes does not fit its ${this.#destination.length}-byte buffer`,
            );
          }
          if (this.#length === 0 || this.headerOnlyOps.includes(this.#op)) this.#complete();
        }
      } else {
        const n = Math.min(this.#length - this.#bodyFill, chunk.length - offset);
        if (this.#destination) chunk.copy(this.#destination, this.#bodyFill, offset, offset + n);
        this.#bodyFill += n;
        offset += n;
        if (this.#bodyFill === this.#length) this.#complete();
      }
    }
  }

  #complete(): void {
    this.#headerFill = 0;
    this.#destination = null;
    const length = this.#length;
    this.#length = 0;
    this.onFrame(this.#op, length);
  }
}
