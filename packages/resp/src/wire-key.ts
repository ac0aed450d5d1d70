import { ObjectKey } from "@x/l2-core";

const SEP = "@";
const RANK = /^[0-9a-f]{8}$/;
const GROUP = /^(?:0|[1-9a-f][0-9a-f]*)$/;
const HASH = /^(?:[0-9a-f]{2})+$/;

/**
 * The key LMCache writes for a chunk: `<model>@<kv_rank, 8 hex>@<object_group_id hex>@<chunk_hash hex>`
 * plus `@<cache_salt>` when salted (native connector `_object_key_to_string`, used by `resp`), and for
 * `valkey` with a non-empty key_prefix, `<key_prefix>@` in front. No hashtag: keys spread over all slots.
 */
export function encodeWireKey(key: ObjectKey, keyPrefix = ""): string {
  const base = `${key.modelName}${SEP}${key.kvRank.toString(16).padStart(8, "0")}${SEP}${key.objectGroupId.toString(16)}${SEP}${key.chunkHashHex}`;
  const salted = key.cacheSalt === "" ? base : `${base}${SEP}${key.cacheSalt}`;
  return keyPrefix === "" ? salted : `${keyPrefix}${SEP}${salted}`;
}

/** The chunk key a wire key stands for, or null when it is not one in canonical form (other data, meta keys). */
export function decodeWireKey(wire: string, keyPrefix = ""): ObjectKey | null {
  let rest = wire;
  if (keyPrefix !== "") {
    if (!wire.startsWith(keyPrefix + SEP)) return null;
    rest = wire.slice(keyPrefix.length + 1);
  }
  const fields = rest.split(SEP);
  if (fields.length !== 4 && fields.length !== 5) return null;
  const [model, rank, group, hash, salt = ""] = fields as [string, string, string, string, string?];
  if (!RANK.test(rank) || !GROUP.test(group) || !HASH.test(hash)) return null;
  try {
    const key = new ObjectKey({
      modelName: model,
      kvRank: Number.parseInt(rank, 16),
      objectGroupId: Number.parseInt(group, 16),
      chunkHash: Buffer.from(hash, "hex"),
      cacheSalt: salt,
    });
    return encodeWireKey(key, keyPrefix) === wire ? key : null;
  } catch {
    return null;
  }
}
