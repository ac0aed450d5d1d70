import { createRequire } from "node:module";
import { L2Error } from "../errors.js";

interface XxhashAddon {
  XXHash3: { hash(data: Uint8Array): Buffer };
}

let addon: XxhashAddon | undefined;

/**
 * xxh3_64 (seed 0) of `data` as its 8-byte canonical (big-endian) digest, the bytes LMCache's
 * `xxhash.xxh3_64(payload).digest()` writes. The native addon is loaded on first use, so importing core
 * never loads it, and through createRequire, so a bundler leaves it to be resolved at run time.
 */
export function xxh3Digest(data: Uint8Array): Uint8Array {
  addon ??= loadAddon();
  return addon.XXHash3.hash(data);
}

function loadAddon(): XxhashAddon {
  try {
    return createRequire(import.meta.url)("xxhash-addon") as XxhashAddon;
  } catch (error) {
    throw new L2Error(
      "ADAPTER_DEPENDENCY_MISSING",
      `serde "checksum" needs the xxhash-addon package (xxh3_64), which could not be loaded: ${(error as Error).message}`,
      { field: "serde.type", hint: "npm install xxhash-addon", cause: error },
    );
  }
}
