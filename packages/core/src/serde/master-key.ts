import { open } from "node:fs/promises";
import { L2Error } from "../errors.js";

/**
 * Reads the master key the way LMCache does (the file's raw bytes, nothing trimmed), after checking on the
 * open descriptor that it is a regular, non-empty file that neither group nor others can access. Errors
 * name the path and the fix, never the key.
 */
export async function readMasterKey(path: string, adapterType: string): Promise<Buffer> {
  const field = "serde.master_key_path";
  const fail = (message: string, hint: string, cause?: unknown) =>
    new L2Error("CONFIG_INVALID", `field "${field}": ${message}`, { adapterType, field, hint, cause });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(
      `cannot open the master-key file ${JSON.stringify(path)} (${code ?? String(error)})`,
      "point master_key_path at a readable file holding the key bytes",
      error,
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw fail(`${JSON.stringify(path)} is not a regular file`, "point master_key_path at the key file");
    }
    if ((info.mode & 0o077) !== 0) {
      throw fail(
        `the master-key file ${JSON.stringify(path)} can be accessed by group or others (mode ${(info.mode & 0o777).toString(8).padStart(3, "0")})`,
        `run: chmod 600 ${path}`,
      );
    }
    const key = await handle.readFile();
    if (key.byteLength === 0) {
      throw fail(
        `the master-key file ${JSON.stringify(path)} is empty`,
        "write the master key (for example 32 random bytes) into it",
      );
    }
    return key;
  } finally {
    await handle.close();
  }
}
