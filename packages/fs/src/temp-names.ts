import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/**
 * Temp files are named `.x-l2-tmp.<host>.<pid>.<random>`: short (a key name may already be near the
 * 255-byte limit), never a key name (no `.data` suffix), and they say who wrote them so start-up cleanup
 * only removes leftovers of dead writers.
 */
export const TEMP_PREFIX = ".x-l2-tmp.";

const HOST =
  hostname()
    .replace(/[^A-Za-z0-9-]/g, "_")
    .slice(0, 40) || "host";
let counter = 0;

export function newTempName(): string {
  counter = (counter + 1) % 0x1_0000_0000;
  return `${TEMP_PREFIX}${HOST}.${process.pid}.${counter.toString(36)}${randomBytes(6).toString("hex")}`;
}

export interface TempOwner {
  host: string;
  pid: number;
}

/** Who wrote a temp file, or null when the name is not one of ours. */
export function parseTempName(name: string): TempOwner | null {
  if (!name.startsWith(TEMP_PREFIX)) return null;
  const parts = name.slice(TEMP_PREFIX.length).split(".");
  if (parts.length !== 3) return null;
  const pid = Number(parts[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { host: parts[0] ?? "", pid };
}

/** True when `owner` cannot still be writing: it ran on this host and its process is gone. */
export function isTempOwnerGone(owner: TempOwner): boolean {
  if (owner.host !== HOST) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ESRCH";
  }
}
