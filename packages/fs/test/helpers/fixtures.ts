import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ObjectKey, silentLogger } from "@x/l2-core";
import { FsL2Adapter, FsL2AdapterConfig, type FsL2AdapterOptions } from "../../src/index.js";

export const quiet = { logger: silentLogger };

export function key(
  n: number,
  extra: Partial<{ salt: string; model: string; group: number }> = {},
): ObjectKey {
  const hash = Buffer.alloc(8);
  hash.writeUInt32BE(n, 4);
  return new ObjectKey({
    chunkHash: hash,
    modelName: extra.model ?? "org/model",
    kvRank: 0x00010002,
    objectGroupId: extra.group ?? 0,
    cacheSalt: extra.salt ?? "",
  });
}

export function chunk(size: number, seed?: number): Buffer {
  if (seed === undefined) return randomBytes(size);
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((seed * 2654435761 + i) >>> 0, Math.min(i, size - 4));
  return b;
}

export async function tempDir(prefix = "x-l2-fs-"): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export function config(basePath: string, extra: Record<string, unknown> = {}): FsL2AdapterConfig {
  return FsL2AdapterConfig.fromDict({ type: "fs", base_path: basePath, ...extra });
}

export function open(
  basePath: string,
  extra: Record<string, unknown> = {},
  options?: FsL2AdapterOptions,
  logger = silentLogger,
): Promise<FsL2Adapter> {
  return FsL2Adapter.open(config(basePath, extra), { logger }, options);
}

/** A logger that records warnings, to assert on what operators would see. */
export function recordingLogger(): { logger: typeof silentLogger; warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    logger: {
      debug() {},
      info: (m: string) => infos.push(m),
      warn: (m: string, d?: Record<string, unknown>) => warnings.push(`${m} ${d ? JSON.stringify(d) : ""}`),
      error: (m: string) => warnings.push(m),
    },
  };
}
