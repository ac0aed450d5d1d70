import { type EncodedObjectKey, ObjectKey } from "@x/l2-core";
import { FRAME_HEADER_BYTES, FrameType, MAX_KEYS_PER_BATCH, writeFrameHeader } from "./frame.js";

/** A malformed frame: the connection that sent it is closed, nothing else is affected. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** Header + JSON body in one buffer (control frames are small). */
export function encodeControlFrame(type: FrameType, correlationId: number, body: object): Buffer {
  const json = Buffer.from(JSON.stringify(body), "utf8");
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + json.length);
  writeFrameHeader(frame, type, correlationId, json.length);
  json.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export function parseJsonBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ProtocolError("control body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("control body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

export function readString(body: Record<string, unknown>, field: string, maxLength: number): string {
  const value = body[field];
  if (typeof value !== "string" || value.length > maxLength) {
    throw new ProtocolError(`"${field}" must be a string of at most ${maxLength} characters`);
  }
  return value;
}

export function readOptionalString(
  body: Record<string, unknown>,
  field: string,
  maxLength: number,
): string | undefined {
  return body[field] === undefined ? undefined : readString(body, field, maxLength);
}

export function readInteger(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = body[field];
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new ProtocolError(`"${field}" must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

/** A request id from the wire: 1..256 characters ("" is reserved for the receiver's own stores). */
export function readRequestId(body: Record<string, unknown>): string {
  const reqId = readString(body, "req_id", 256);
  if (reqId === "") throw new ProtocolError('"req_id" must not be empty');
  return reqId;
}

export interface AllocRequestBody {
  reqId: string;
  keys: ObjectKey[];
  sizes: number[];
}

/** `push`: the DATA frames follow without waiting for a grant (slot id 0, key index in the prefix). */
export function encodeAllocRequest(
  correlationId: number,
  reqId: string,
  keys: readonly ObjectKey[],
  sizes: readonly number[],
  push = false,
): Buffer {
  return encodeControlFrame(FrameType.AllocRequest, correlationId, {
    req_id: reqId,
    keys: keys.map((k) => k.toJSON()),
    sizes,
    ...(push ? { push: true } : {}),
  });
}

/**
 * Checks counts and sizes before anything is allocated for them. A size above the receiver's buffer is
 * well-formed: the receiver refuses that batch (reason "chunk_too_large") and keeps the connection.
 */
export function decodeAllocRequest(body: Record<string, unknown>): AllocRequestBody {
  const reqId = readRequestId(body);
  const rawKeys = body.keys;
  const rawSizes = body.sizes;
  if (!Array.isArray(rawKeys) || !Array.isArray(rawSizes)) {
    throw new ProtocolError('"keys" and "sizes" must be arrays');
  }
  if (rawKeys.length === 0 || rawKeys.length > MAX_KEYS_PER_BATCH || rawSizes.length !== rawKeys.length) {
    throw new ProtocolError(`a batch needs 1..${MAX_KEYS_PER_BATCH} keys and one size per key`);
  }
  const sizes = rawSizes.map((size) => {
    if (!Number.isSafeInteger(size) || size < 0 || size > 0xffffffff) {
      throw new ProtocolError("chunk sizes must be integers from 0 to 4294967295");
    }
    return size as number;
  });
  const keys = rawKeys.map((raw) => {
    try {
      return ObjectKey.fromJSON(raw as EncodedObjectKey);
    } catch {
      throw new ProtocolError("a key in the batch is not a valid encoded ObjectKey");
    }
  });
  return { reqId, keys, sizes };
}

export function decodeKeyList(body: Record<string, unknown>, field: string): ObjectKey[] {
  const raw = body[field];
  if (!Array.isArray(raw) || raw.length > MAX_KEYS_PER_BATCH) {
    throw new ProtocolError(`"${field}" must be an array of at most ${MAX_KEYS_PER_BATCH} keys`);
  }
  return raw.map((k) => {
    try {
      return ObjectKey.fromJSON(k as EncodedObjectKey);
    } catch {
      throw new ProtocolError(`"${field}" holds an invalid encoded ObjectKey`);
    }
  });
}
