import type { AdapterUsage } from "@x/l2-core";
import type { RespConnection } from "./connection.js";
import { withTimeout } from "./connection.js";
import { addUsageHash, type ServerIndexLayout, type ServerUsage } from "./server-index.js";

const SCAN_COUNT = 1000;

export interface NodeMemory {
  readonly used_memory: number;
  readonly maxmemory: number;
}

/**
 * The usage every client under one key_prefix shares: read from the server's usage hashes (one, or one per
 * slot in a cluster), kept current between reads by the deltas this process's own writes returned.
 */
export class SharedUsage {
  readonly #layout: ServerIndexLayout;
  readonly #clusterMode: boolean;
  readonly #timeoutMs: number;
  #usage: ServerUsage = { total: 0, bySalt: new Map() };
  #nodeMemory: Record<string, NodeMemory> = {};
  #lastError: string | undefined;
  #reading: Promise<void> | undefined;

  constructor(layout: ServerIndexLayout, clusterMode: boolean, timeoutMs: number) {
    this.#layout = layout;
    this.#clusterMode = clusterMode;
    this.#timeoutMs = timeoutMs;
  }

  /** Per-primary `INFO memory` from the last read (cluster mode). */
  get nodeMemory(): Record<string, NodeMemory> {
    return this.#nodeMemory;
  }

  /** Why the last read failed, when it did (numbers are then the last known ones). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  snapshot(capacityBytes: number): AdapterUsage {
    const total = Math.max(0, this.#usage.total);
    const bySalt: Record<string, number> = {};
    for (const [salt, bytes] of this.#usage.bySalt) if (bytes > 0) bySalt[salt] = bytes;
    return Object.freeze({
      totalBytesUsed: total,
      totalCapacityBytes: capacityBytes,
      bytesByCacheSalt: Object.freeze(bySalt),
      usageFraction: capacityBytes > 0 ? total / capacityBytes : -1,
    });
  }

  /** What one of our own writes or deletes changed (the server's answer), until the next read. */
  apply(cacheSalt: string, delta: number): void {
    if (delta === 0) return;
    this.#usage.total += delta;
    this.#usage.bySalt.set(cacheSalt, (this.#usage.bySalt.get(cacheSalt) ?? 0) + delta);
  }

  /** Re-reads the server's numbers; concurrent calls share one read. Never rejects. */
  refresh(conn: RespConnection): Promise<void> {
    this.#reading ??= this.#read(conn).finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(conn: RespConnection): Promise<void> {
    const bounded = <T>(p: Promise<T>) => withTimeout(p, this.#timeoutMs, "usage refresh");
    try {
      const usage: ServerUsage = { total: 0, bySalt: new Map() };
      const memory: Record<string, NodeMemory> = {};
      for (const node of await conn.nodes()) {
        if (!this.#clusterMode) {
          addUsageHash(usage, await bounded(node.client.hGetAll(this.#layout.keysFor("").usage)));
          continue;
        }
        let cursor = "0";
        do {
          const reply = await bounded(
            node.client.scan(cursor, { MATCH: this.#layout.usagePattern, COUNT: SCAN_COUNT }),
          );
          const hashes = await Promise.all(reply.keys.map((k) => bounded(node.client.hGetAll(k))));
          for (const h of hashes) addUsageHash(usage, h);
          cursor = String(reply.cursor);
        } while (cursor !== "0");
        memory[node.address] = parseMemory(await bounded(node.client.info("memory")));
      }
      this.#usage = usage;
      this.#nodeMemory = memory;
      this.#lastError = undefined;
    } catch (error) {
      this.#lastError = `usage refresh failed: ${conn.describe(error)}`;
    }
  }
}

function parseMemory(info: string): NodeMemory {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return { used_memory: field("used_memory"), maxmemory: field("maxmemory") };
}
