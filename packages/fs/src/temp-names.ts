import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/**
 * Temp files are named `.x-l2-tmp.<host>.<pid>.<random>`: short (a key name may already be near the
 * 255-byte limit), and they say who wrote them so start-up cleanup only removes leftovers of dead writers.
 * They can never be key names: every name the FS key codec produces has its fields joined by "@" (at
 * least two, even in legacy names), and a temp name has no "@" (host, pid and random part are
 * `[A-Za-z0-9_-]`, decimal and base-36). A model may still be called `.x-l2-tmp.h`, so a file is a temp file
 * only when its whole name has exactly this form, never by its prefix.
 */
export const TEMP_PREFIX = ".x-l2-tmp.";
const TEMP_NAME = /^\.x-l2-tmp\.([A-Za-z0-9_-]{1,40})\.([1-9][0-9]{0,9})\.([0-9a-z]{1,40})$/;

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
  const match = TEMP_NAME.exec(name);
  if (match === null) return null;
  const pid = Number(match[2]);
  if (!Number.isSafeInteger(pid)) return null;
  return { host: match[1]!, pid };
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
