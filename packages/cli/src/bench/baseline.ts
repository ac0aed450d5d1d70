import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { measureFileRoundTrip } from "./baseline-file.js";
import { measureMemcpy } from "./baseline-memcpy.js";
import { LoopbackPeer } from "./baseline-tcp.js";
import type { BenchOptions } from "./bench-options.js";
import { median } from "./stats.js";

/** Bytes per baseline pass: short, so baselines add about a second or two to a default run. */
export const BASELINE_PASS_BYTES = 128 * 1024 * 1024;
/** Files per pass at most: small chunks cost per-file, not per-byte, so fewer files say the same. */
export const BASELINE_MAX_FILES = 512;
export const BASELINE_REPEATS = 5;

/** What the adapter is compared with: its own medium. */
export type AdapterKind = "memory" | "file" | "network";

export interface BaselineFigures {
  memcpy_gb_per_s: number;
  file_write_rename_gb_per_s: number;
  file_read_gb_per_s: number;
  tcp_put_gb_per_s: number;
  tcp_get_gb_per_s: number;
  file_dir: string;
  chunks_per_pass: number;
  files_per_pass: number;
  repeats: number;
}

export interface BaselineRatios {
  kind: AdapterKind;
  store: { baseline: string; baseline_gb_per_s: number; ratio: number };
  load: { baseline: string; baseline_gb_per_s: number; ratio: number };
}

/**
 * The adapter's medium, from its normalized config: a `base_path` means files; a host, port, URL or
 * endpoint means a network transfer; anything else is in memory.
 */
export function adapterKind(config: Record<string, unknown>): AdapterKind {
  if (typeof config.base_path === "string") return "file";
  if (Object.keys(config).some((key) => /host|port|url|endpoint|address/.test(key))) return "network";
  return "memory";
}

/** Where the file baseline writes: beside the adapter's files for file adapters, else the temp dir. */
export function baselineDir(config: Record<string, unknown>): string {
  const base = typeof config.base_path === "string" ? resolve(config.base_path) : tmpdir();
  return join(base, `.x-l2-baseline-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Measures, with the bench's own reused buffers, chunk size, batch and in-flight count, what the
 * machine does without an adapter: memcpy into a reused buffer; temp-file write + rename and read
 * into a reused buffer; a loopback TCP transfer to a forked process. Each figure is the median of
 * BASELINE_REPEATS passes.
 */
export async function measureBaselines(
  options: BenchOptions,
  dir: string,
  sources: readonly Buffer[],
  targets: readonly Buffer[],
): Promise<BaselineFigures> {
  const chunks = Math.max(1, Math.min(options.numKeys, Math.floor(BASELINE_PASS_BYTES / options.chunkSize)));
  const files = Math.min(chunks, BASELINE_MAX_FILES);
  const memcpy: number[] = [];
  const write: number[] = [];
  const read: number[] = [];
  const put: number[] = [];
  const get: number[] = [];
  for (let r = 0; r < BASELINE_REPEATS; r++) memcpy.push(measureMemcpy(sources, targets, chunks));
  const fileConcurrency = Math.min(64, options.batch * options.inFlight);
  for (let r = 0; r < BASELINE_REPEATS; r++) {
    const figures = await measureFileRoundTrip(`${dir}-${r}`, sources, targets, files, fileConcurrency);
    write.push(figures.writeGbPerS);
    read.push(figures.readGbPerS);
  }
  const peer = await LoopbackPeer.start(options.chunkSize, options.inFlight);
  try {
    for (let r = 0; r < BASELINE_REPEATS; r++) {
      const figures = await peer.measure(sources, targets, chunks, options.batch);
      put.push(figures.putGbPerS);
      get.push(figures.getGbPerS);
    }
  } finally {
    await peer.stop();
  }
  return {
    memcpy_gb_per_s: median(memcpy),
    file_write_rename_gb_per_s: median(write),
    file_read_gb_per_s: median(read),
    tcp_put_gb_per_s: median(put),
    tcp_get_gb_per_s: median(get),
    file_dir: dir,
    chunks_per_pass: chunks,
    files_per_pass: files,
    repeats: BASELINE_REPEATS,
  };
}

/**
 * Store and load of the adapter as fractions of its medium's baseline: memory adapters against memcpy
 * (both directions), file adapters against write+rename (store) and read-into-reused-buffer (load),
 * network adapters against loopback PUT (store) and GET (load).
 */
export function baselineRatios(
  kind: AdapterKind,
  figures: BaselineFigures,
  storeGbPerS: number,
  loadGbPerS: number,
): BaselineRatios {
  const pick = (name: string, value: number, measured: number) => ({
    baseline: name,
    baseline_gb_per_s: value,
    ratio: measured / value,
  });
  switch (kind) {
    case "file":
      return {
        kind,
        store: pick("file write tmp + rename", figures.file_write_rename_gb_per_s, storeGbPerS),
        load: pick("file read into reused buffer", figures.file_read_gb_per_s, loadGbPerS),
      };
    case "network":
      return {
        kind,
        store: pick("tcp loopback put", figures.tcp_put_gb_per_s, storeGbPerS),
        load: pick("tcp loopback get", figures.tcp_get_gb_per_s, loadGbPerS),
      };
    default:
      return {
        kind,
        store: pick("memcpy into reused buffer", figures.memcpy_gb_per_s, storeGbPerS),
        load: pick("memcpy into reused buffer", figures.memcpy_gb_per_s, loadGbPerS),
      };
  }
}
