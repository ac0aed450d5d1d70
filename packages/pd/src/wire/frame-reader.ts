import { ProtocolError } from "./codec.js";
import { DATA_PREFIX_BYTES, FRAME_HEADER_BYTES, FRAME_MAGIC, FrameType, MAX_CONTROL_BODY } from "./frame.js";

const FIRST_TYPE = FrameType.Hello;
const LAST_TYPE = FrameType.Challenge;

/** Where a FrameReader delivers frames. */
export interface FrameSink {
  /** A control frame; `body` is only valid during the call. */
  onControl(type: FrameType, correlationId: number, body: Buffer): void;
  /**
   * A DATA frame starts: return the memory its payload is copied into (exactly `length` bytes), or null
   * to have the payload read and dropped. `index` is the prefix's second word (the key index in a pushed
   * batch).
   */
  onDataStart(correlationId: number, slotId: number, length: number, index: number): Uint8Array | null;
  /** Every payload byte of the frame arrived (or was dropped). */
  onDataEnd(correlationId: number, slotId: number, index: number): void;
}

export interface FrameReaderLimits {
  /** Largest DATA payload (the largest chunk this side accepts); 0 = DATA frames are a protocol error. */
  maxDataPayload: number;
  /** Largest control body; default MAX_CONTROL_BODY. Raise it with `maxControlBody` after authentication. */
  maxControlBody?: number;
}

enum State {
  Header = 0,
  Control = 1,
  DataPrefix = 2,
  DataPayload = 3,
}

/**
 * Incremental frame parser. Lengths are checked against the limits before any memory is set aside, and
 * DATA payloads are copied straight from the socket's chunks into the slot the sink returns: no
 * intermediate buffer per payload. The header and control buffers are reused across frames.
 */
export class FrameReader {
  readonly #sink: FrameSink;
  readonly #maxDataPayload: number;
  readonly #header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  readonly #prefix = Buffer.allocUnsafe(DATA_PREFIX_BYTES);
  #control = Buffer.allocUnsafe(0);
  /** Largest control body accepted now (small until the peer authenticated). */
  maxControlBody: number;
  #state = State.Header;
  #filled = 0;
  #type = 0;
  #correlationId = 0;
  #bodyLength = 0;
  #slotId = 0;
  #index = 0;
  #target: Uint8Array | undefined;
  /** Payload bytes of the current frame still to drop (its sink returned null). */
  #dropping = 0;
  #failed = false;

  constructor(sink: FrameSink, limits: FrameReaderLimits) {
    this.#sink = sink;
    this.#maxDataPayload = limits.maxDataPayload;
    this.maxControlBody = limits.maxControlBody ?? MAX_CONTROL_BODY;
  }

  /** Feeds socket bytes; throws ProtocolError on a malformed frame (the reader is then unusable). */
  push(chunk: Buffer): void {
    if (this.#failed) throw new ProtocolError("reader already failed");
    try {
      this.#push(chunk);
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  /**
   * Where the next socket read may land directly: the unfilled rest of the current DATA payload's slot,
   * or undefined when the reader expects a header or a control body (those go through `push`).
   */
  directTarget(): Uint8Array | undefined {
    if (this.#failed || this.#state !== State.DataPayload || this.#target === undefined) return undefined;
    return this.#target.subarray(this.#filled);
  }

  /**
   * How many bytes the frame element being parsed still needs (a header with a DATA prefix counts as one
   * element). Reading no more than this into scratch memory keeps payload bytes out of scratch, so they
   * land in their slot with the next, direct read instead of being copied there.
   */
  wanted(): number {
    switch (this.#state) {
      case State.Header:
        return FRAME_HEADER_BYTES + DATA_PREFIX_BYTES - this.#filled;
      case State.Control:
        return this.#bodyLength - this.#filled;
      case State.DataPrefix:
        return DATA_PREFIX_BYTES - this.#filled;
      case State.DataPayload:
        return this.#target ? this.#target.byteLength - this.#filled : this.#dropping;
    }
  }

  /** `count` bytes were read straight into the view `directTarget()` returned. */
  pushDirect(count: number): void {
    const target = this.#target;
    if (this.#failed || this.#state !== State.DataPayload || !target) {
      throw new ProtocolError("no direct read expected");
    }
    if (count > target.byteLength - this.#filled) throw new ProtocolError("direct read overran the slot");
    this.#filled += count;
    try {
      if (this.#filled === target.byteLength) this.#finishData();
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  #push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.#state) {
        case State.Header: {
          const n = Math.min(FRAME_HEADER_BYTES - this.#filled, chunk.length - pos);
          chunk.copy(this.#header, this.#filled, pos, pos + n);
          this.#filled += n;
          pos += n;
          if (this.#filled === FRAME_HEADER_BYTES) this.#startFrame();
          break;
        }
        case State.Control: {
          const n = Math.min(this.#bodyLength - this.#filled, chunk.length - pos);
          chunk.copy(this.#control, this.#filled, pos, pos + n);
          this.#filled += n;
          pos += n;
          if (this.#filled === this.#bodyLength) this.#finishControl();
          break;
        }
        case State.DataPrefix: {
          const n = Math.min(DATA_PREFIX_BYTES - this.#filled, chunk.length - pos);
          chunk.copy(this.#prefix, this.#filled, pos, pos + n);
          this.#filled += n;
          pos += n;
          if (this.#filled === DATA_PREFIX_BYTES) this.#startPayload();
          break;
        }
        case State.DataPayload: {
          const target = this.#target;
          if (!target) {
            const n = Math.min(this.#dropping, chunk.length - pos);
            this.#dropping -= n;
            pos += n;
            if (this.#dropping === 0) this.#finishData();
            break;
          }
          const n = Math.min(target.byteLength - this.#filled, chunk.length - pos);
          chunk.copy(target, this.#filled, pos, pos + n);
          this.#filled += n;
          pos += n;
          if (this.#filled === target.byteLength) this.#finishData();
          break;
        }
      }
    }
  }

  #startFrame(): void {
    const h = this.#header;
    if (h.readUInt32BE(0) !== FRAME_MAGIC) throw new ProtocolError("bad frame magic");
    this.#type = h.readUInt8(4);
    this.#correlationId = h.readUInt32BE(8);
    this.#bodyLength = h.readUInt32BE(12);
    this.#filled = 0;
    if (this.#type === FrameType.Data) {
      if (this.#maxDataPayload === 0) throw new ProtocolError("DATA frame not accepted on this connection");
      const payload = this.#bodyLength - DATA_PREFIX_BYTES;
      if (payload < 0 || payload > this.#maxDataPayload) {
        throw new ProtocolError(`DATA payload of ${payload} bytes is outside 0..${this.#maxDataPayload}`);
      }
      this.#state = State.DataPrefix;
      return;
    }
    if (this.#type < FIRST_TYPE || this.#type > LAST_TYPE) {
      throw new ProtocolError(`unknown frame type ${this.#type}`);
    }
    if (this.#bodyLength > this.maxControlBody) {
      throw new ProtocolError(`control body of ${this.#bodyLength} bytes exceeds ${this.maxControlBody}`);
    }
    if (this.#control.length < this.#bodyLength) {
      // Grown only to what a frame within the limit needs, so a peer cannot make us hold more.
      this.#control = Buffer.allocUnsafe(
        Math.min(this.maxControlBody, Math.max(this.#bodyLength, 4096, this.#control.length * 2)),
      );
    }
    this.#state = State.Control;
    if (this.#bodyLength === 0) this.#finishControl();
  }

  #finishControl(): void {
    this.#state = State.Header;
    this.#filled = 0;
    this.#sink.onControl(this.#type, this.#correlationId, this.#control.subarray(0, this.#bodyLength));
  }

  #startPayload(): void {
    this.#slotId = this.#prefix.readUInt32BE(0);
    this.#index = this.#prefix.readUInt32BE(4);
    const length = this.#bodyLength - DATA_PREFIX_BYTES;
    const target = this.#sink.onDataStart(this.#correlationId, this.#slotId, length, this.#index);
    if (target !== null && target.byteLength !== length) {
      throw new ProtocolError("DATA length does not match the slot");
    }
    this.#target = target ?? undefined;
    this.#dropping = target === null ? length : 0;
    this.#filled = 0;
    this.#state = State.DataPayload;
    if (length === 0) this.#finishData();
  }

  #finishData(): void {
    this.#state = State.Header;
    this.#filled = 0;
    this.#target = undefined;
    this.#dropping = 0;
    this.#sink.onDataEnd(this.#correlationId, this.#slotId, this.#index);
  }
}
