import { L2Error } from "@x/l2-core";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
};

/**
 * Parses a byte size such as `65536`, `64KiB`, `1MiB`, `4M` or `1.5MB`. Binary units (KiB/MiB/GiB and
 * the bare K/M/G) are powers of 1024, KB/MB/GB powers of 1000. The result is a whole number of bytes.
 */
export function parseSize(text: string, field = "--chunk-size"): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `${field}: cannot read ${JSON.stringify(text)} as a size; use bytes or a unit, e.g. 65536, 64KiB, 1MiB, 4MiB`,
      { field },
    );
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new L2Error(
      "ARGUMENT_INVALID",
      `${field}: ${JSON.stringify(text)} is not a whole number of bytes >= 1`,
      { field },
    );
  }
  return bytes;
}

/** 1048576 -> "1 MiB", 65536 -> "64 KiB", 1000 -> "1000 B". */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (bytes >= size && bytes % (size / 16) === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} B`;
}
