/**
 * One object laid over several buffers, in order (e.g. a frame header and its payload): the helpers that
 * let writev / readv and the O_DIRECT window work on it without joining the buffers first.
 */

export function byteLengthOf(parts: readonly Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  return total;
}

/** Views of the bytes [start, end) of the parts' concatenation (no copy); empty views are left out. */
export function viewsOf(parts: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let base = 0;
  for (const part of parts) {
    const from = Math.max(start - base, 0);
    const to = Math.min(end - base, part.byteLength);
    if (from < to) out.push(from === 0 && to === part.byteLength ? part : part.subarray(from, to));
    base += part.byteLength;
    if (base >= end) break;
  }
  return out;
}

/** Copies the parts one after another into `target` from offset 0. */
export function gather(parts: readonly Uint8Array[], target: Uint8Array): void {
  let offset = 0;
  for (const part of parts) {
    target.set(part, offset);
    offset += part.byteLength;
  }
}

/** Copies the first bytes of `source` into the parts, filling each in turn. */
export function scatter(source: Uint8Array, parts: readonly Uint8Array[]): void {
  let offset = 0;
  for (const part of parts) {
    part.set(source.subarray(offset, offset + part.byteLength));
    offset += part.byteLength;
  }
}
