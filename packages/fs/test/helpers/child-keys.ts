import { ObjectKey } from "@x/l2-core";

/** Same keys and bytes as store-child.mjs. */
export const PER_BATCH = 4;
export function childKey(prefix: string, n: number): ObjectKey {
  const hash = Buffer.alloc(8);
  hash.writeUInt32BE(n);
  return new ObjectKey({ chunkHash: hash, modelName: `child/${prefix}`, kvRank: 1 });
}
export function childData(n: number, size: number): Buffer {
  const b = Buffer.alloc(size + (n % 3) * 4096);
  for (let i = 0; i + 4 <= b.length; i += 4) b.writeUInt32LE((n * 2654435761 + i * 40503) >>> 0, i);
  return b;
}
