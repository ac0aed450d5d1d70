// The server-side size index that makes usage() shared by every client under one key_prefix. Each chunk
// key has an entry (wire key → size) in an index hash, and a usage hash holds `total` and `salt:<salt>`
// byte counts; both are changed in the same MULTI (store) or Lua script (lookup, delete) as the chunk, so
// they never disagree with what was written. In a cluster there is one index/usage pair per slot, named
// with a hashtag that lands in the chunk's slot, so the pair moves with the chunk when the slot migrates.
import { keySlot, slotTags } from "./hash-slot.js";

export interface MetaKeys {
  readonly index: string;
  readonly usage: string;
}

/** Salt bucket field in the usage hash ("" = unsalted). */
export function saltField(cacheSalt: string): string {
  return `salt:${cacheSalt}`;
}

export class ServerIndexLayout {
  /** Never decodes as a chunk key: three "@" fields, and "x-l2-meta" is no rank. */
  readonly metaPrefix: string;
  readonly #cluster: boolean;

  constructor(keyPrefix: string, cluster: boolean) {
    this.metaPrefix = keyPrefix === "" ? "x-l2-meta" : `${keyPrefix}@x-l2-meta`;
    this.#cluster = cluster;
  }

  keysFor(wireKey: string): MetaKeys {
    const tag = this.#cluster ? slotTags()[keySlot(wireKey)]! : "all";
    return { index: `${this.metaPrefix}@index@{${tag}}`, usage: `${this.metaPrefix}@usage@{${tag}}` };
  }

  /** SCAN MATCH pattern for every usage hash. */
  get usagePattern(): string {
    return `${escapeGlob(this.metaPrefix)}@usage@*`;
  }
}

/** Escapes Redis glob characters so a prefix matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

const SUBTRACT = `
local function subtract(usage, salt, size)
  local left = redis.call('HINCRBY', usage, 'total', -size)
  if left <= 0 then redis.call('HDEL', usage, 'total') end
  left = redis.call('HINCRBY', usage, salt, -size)
  if left <= 0 then redis.call('HDEL', usage, salt) end
end
`;

/**
 * Runs inside the store's MULTI, right after the SET. KEYS: index, usage. ARGV: wire key, size, salt
 * field. Returns the size indexed before (-1 = the key is new to the index).
 */
export const STORE_SCRIPT = `${SUBTRACT}
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local size = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], size)
if old then subtract(KEYS[2], ARGV[3], old) end
redis.call('HINCRBY', KEYS[2], 'total', size)
redis.call('HINCRBY', KEYS[2], ARGV[3], size)
return old or -1
`;

/**
 * Presence check that also repairs the index. KEYS: chunk, index, usage. ARGV: wire key, salt field.
 * Present: returns its size, and indexes it if another writer (an LMCache process) stored it unindexed.
 * Absent: returns -1, and drops a stale entry (expired by TTL, evicted by the server's maxmemory).
 */
export const LOOKUP_SCRIPT = `${SUBTRACT}
local size = redis.call('STRLEN', KEYS[1])
local indexed = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
if redis.call('EXISTS', KEYS[1]) == 1 then
  if not indexed then
    redis.call('HSET', KEYS[2], ARGV[1], size)
    redis.call('HINCRBY', KEYS[3], 'total', size)
    redis.call('HINCRBY', KEYS[3], ARGV[2], size)
  elseif indexed ~= size then
    redis.call('HSET', KEYS[2], ARGV[1], size)
    subtract(KEYS[3], ARGV[2], indexed)
    redis.call('HINCRBY', KEYS[3], 'total', size)
    redis.call('HINCRBY', KEYS[3], ARGV[2], size)
  end
  return size
end
if indexed then
  redis.call('HDEL', KEYS[2], ARGV[1])
  subtract(KEYS[3], ARGV[2], indexed)
end
return -1
`;

/**
 * Deletes a chunk and its index entry. KEYS: chunk, index, usage. ARGV: wire key, salt field.
 * Returns the bytes removed (-1 = nothing was there).
 */
export const DELETE_SCRIPT = `${SUBTRACT}
local size = redis.call('STRLEN', KEYS[1])
local removed = redis.call('DEL', KEYS[1])
local indexed = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
if indexed then
  redis.call('HDEL', KEYS[2], ARGV[1])
  subtract(KEYS[3], ARGV[2], indexed)
end
if removed == 1 then return size end
return -1
`;

export interface ServerUsage {
  total: number;
  bySalt: Map<string, number>;
}

/** Adds one usage hash (HGETALL reply) into `into`. */
export function addUsageHash(into: ServerUsage, hash: Record<string, string>): void {
  for (const [field, value] of Object.entries(hash)) {
    const n = Number(value);
    if (!(n > 0)) continue;
    if (field === "total") into.total += n;
    else if (field.startsWith("salt:")) {
      const salt = field.slice(5);
      into.bySalt.set(salt, (into.bySalt.get(salt) ?? 0) + n);
    }
  }
}
