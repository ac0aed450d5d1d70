/**
 * Our own wire format (not NIXL's). Every frame is a 16-byte header followed by `bodyLength` bytes:
 *
 *   offset 0  u32  magic 0x58504432 ("XPD2"; the last byte is the wire version)
 *   offset 4  u8   frame type (FrameType)
 *   offset 5  u8   flags (0)
 *   offset 6  u16  reserved (0)
 *   offset 8  u32  correlation id (the batch a frame belongs to; 0 for session frames)
 *   offset 12 u32  body length
 *
 * Control bodies are UTF-8 JSON objects of at most MAX_CONTROL_BODY bytes, and of at most
 * MAX_PRE_AUTH_BODY bytes before the peer has authenticated. A DATA body is `u32 slot id | u32 key
 * index` followed by exactly the chunk's bytes: a granted slot's id and 0, or 0 and the key's index in a
 * pushed batch. All integers are big-endian.
 */
export const FRAME_MAGIC = 0x58504432;
/** Wire version: the magic's last byte, and `version` in CHALLENGE / HELLO. */
export const WIRE_VERSION = 2;
export const FRAME_HEADER_BYTES = 16;
export const DATA_PREFIX_BYTES = 8;
/** Largest JSON control body accepted (checked before buffering it). */
export const MAX_CONTROL_BODY = 4 * 1024 * 1024;
/** Largest control body from a peer that has not authenticated yet (a handshake frame is ~300 bytes). */
export const MAX_PRE_AUTH_BODY = 4096;
/** Most keys one batch may carry. */
export const MAX_KEYS_PER_BATCH = 8192;

export enum FrameType {
  /** sender -> receiver, init port: {version, sender_id, nonce, mac}. */
  Hello = 1,
  /** receiver -> sender, init port: {session, receiver_id, max_chunk_bytes, max_keys, proof}. */
  HelloOk = 2,
  /** receiver -> sender: {reason}; the connection closes after it. */
  Refused = 3,
  /** sender -> receiver, alloc port, first frame: {session, mac}. */
  Attach = 4,
  /** receiver -> sender: {proof}. */
  AttachOk = 5,
  /** sender -> receiver: {req_id, keys, sizes, push?}; with push, one DATA per key follows at once. */
  AllocRequest = 6,
  /** receiver -> sender: {slots, reason?}: slot id, -1 = refused (all are), -2 = key already stored. */
  AllocResponse = 7,
  /** sender -> receiver: a chunk's bytes, for a granted slot or a key of a pushed batch. */
  Data = 8,
  /** receiver -> sender: {ok, bytes_stored, reason?} once every slot of the batch arrived and was checked. */
  BatchDone = 9,
  /** sender -> receiver: {req_id, keys}: drop these keys and the request's pending batches. */
  Cancel = 10,
  /** receiver -> sender, first frame on both ports: {version, receiver_id, nonce}. */
  Challenge = 11,
}

export interface FrameHeader {
  type: number;
  correlationId: number;
  bodyLength: number;
}

/** Writes a header into `target` (16 bytes at `offset`). */
export function writeFrameHeader(
  target: Buffer,
  type: FrameType,
  correlationId: number,
  bodyLength: number,
  offset = 0,
): void {
  target.writeUInt32BE(FRAME_MAGIC, offset);
  target.writeUInt8(type, offset + 4);
  target.writeUInt8(0, offset + 5);
  target.writeUInt16BE(0, offset + 6);
  target.writeUInt32BE(correlationId >>> 0, offset + 8);
  target.writeUInt32BE(bodyLength >>> 0, offset + 12);
}
