import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createL2AdapterRegistry, kvRank, ObjectKey, silentLogger } from "@x/l2-core";
import fsType from "@x/l2-fs/adapter";
import mockType from "@x/l2-mock/adapter";
import { createFaultInjectAdapterType } from "../../src/fault-inject/definition.js";
import { StorageManager } from "../../src/index.js";

export const MODEL = "test/model";

export function key(i: number, cacheSalt = ""): ObjectKey {
  const chunkHash = Buffer.alloc(16);
  chunkHash.writeUInt32BE(i, 0);
  chunkHash.writeUInt32BE(0x5eed, 12);
  return new ObjectKey({ chunkHash, modelName: MODEL, kvRank: kvRank(1, 0, 1, 0), cacheSalt });
}

/** Deterministic content per key index, so a wrong byte anywhere is detectable. */
export function bytes(i: number, size = 4096): Uint8Array {
  const out = new Uint8Array(size);
  let x = (i * 2654435761) >>> 0 || 1;
  for (let j = 0; j < size; j++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[j] = x & 0xff;
  }
  return out;
}

export function keys(from: number, to: number, salt = ""): ObjectKey[] {
  return Array.from({ length: to - from }, (_, n) => key(from + n, salt));
}

/** A registry with the real first-party types registered in code (no discovery, no cwd dependence). */
export function registry() {
  const r = createL2AdapterRegistry({ discover: false, logger: silentLogger, types: [mockType, fsType] });
  r.register(createFaultInjectAdapterType({ registry: r }));
  return r;
}

export function tempDir(prefix = "x-l2-storage-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const mockSpec = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "mock", max_size_gb: 0.1, mock_bandwidth_gb: 100, ...extra });

export const fsSpec = (basePath: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "fs", base_path: basePath, ...extra });

type ManagerOptions = Parameters<typeof StorageManager.open>[0];

/**
 * Opens a StorageManager with test defaults (1 MiB L1, no L2, the registry above, silent) and queues its
 * close on `cleanup`, which the test file drains after each test.
 */
export async function openManager(
  cleanup: Array<() => Promise<void> | void>,
  options: Partial<ManagerOptions>,
): Promise<StorageManager> {
  const m = await StorageManager.open({
    l1SizeBytes: 1 << 20,
    l2: [],
    registry: registry(),
    logger: silentLogger,
    ...options,
  });
  cleanup.push(() => m.close());
  return m;
}
