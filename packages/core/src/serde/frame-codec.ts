import type { ObjectKey } from "../object-key.js";

/** Why a loaded frame was refused; null = valid, the payload is in the target. */
export type FrameVerdict = null | "version" | "fingerprint" | "hash" | "tag";

/**
 * One serde's per-chunk frame. A frame is described as parts (their concatenation is the stored object) so
 * an adapter with vectored I/O can write the header and payload without copying one into the other.
 */
export interface FrameCodec {
  readonly type: string;
  /** Bytes the frame adds to a payload. */
  readonly overhead: number;
  /** The parts of the frame that stores `payload` under `key`. */
  encode(key: ObjectKey, payload: Uint8Array): Promise<Uint8Array[]>;
  /** Buffers to load the frame of a `target`-sized payload into; the payload part is `target` itself. */
  layout(target: Uint8Array): Uint8Array[];
  /**
   * Checks a loaded frame (`parts` as `layout` made them, or views of one buffer) and leaves the payload in
   * `target`. On refusal `target` holds no decoded bytes of the frame.
   */
  decode(key: ObjectKey, parts: readonly Uint8Array[], target: Uint8Array): Promise<FrameVerdict>;
}

/** Work on large chunks is done in slices of this size, yielding in between, so the event loop stays free. */
export const SLICE_BYTES = 1 << 20;

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Views of one frame buffer cut at the sizes of `layout`'s parts (the copy-free fallback's split). */
export function splitLike(frame: Uint8Array, layout: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const part of layout) {
    out.push(frame.subarray(offset, offset + part.byteLength));
    offset += part.byteLength;
  }
  return out;
}

export const partsSize = (parts: readonly Uint8Array[]): number =>
  parts.reduce((n, p) => n + p.byteLength, 0);

/** One buffer holding the parts back to back (for adapters without vectored I/O). */
export function concatParts(
  parts: readonly Uint8Array[],
  out: Uint8Array = new Uint8Array(partsSize(parts)),
): Uint8Array {
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
