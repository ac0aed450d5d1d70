// Redis Cluster's key → slot mapping (CRC16/XMODEM mod 16384, hashtag rule included), used to put a
// chunk's accounting entry in the same slot as the chunk, so one MULTI can update both atomically.
export const SLOT_COUNT = 16384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/** The slot Redis puts `key` in: only the part between the first "{" and the next "}" counts, if non-empty. */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key, "utf8")) % SLOT_COUNT;
}

let tags: string[] | undefined;

/** For every slot, a short string whose hashtag `{tag}` lands in that slot (computed once, ~0.2 s worst). */
export function slotTags(): readonly string[] {
  if (tags) return tags;
  const found = new Array<string>(SLOT_COUNT);
  let missing = SLOT_COUNT;
  for (let i = 0; missing > 0; i++) {
    const tag = i.toString(36);
    const slot = crc16(Buffer.from(tag, "latin1")) % SLOT_COUNT;
    if (found[slot] === undefined) {
      found[slot] = tag;
      missing--;
    }
  }
  tags = found;
  return tags;
}
