import { readFile } from "node:fs/promises";
import { L2Error } from "@x/l2-core";
import type { PdL2AdapterConfig } from "../config.js";

/** PEM contents of the TLS files in the config, read once at creation. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const FILES = [
  ["ca", "tls_ca_file", "tlsCaFile"],
  ["cert", "tls_cert_file", "tlsCertFile"],
  ["key", "tls_key_file", "tlsKeyFile"],
] as const;

/** Undefined without `tls_enable`; an unreadable file fails creation with IO_FAILED naming the field. */
export async function loadTlsMaterial(config: PdL2AdapterConfig): Promise<TlsMaterial | undefined> {
  if (!config.tlsEnable) return undefined;
  const material: TlsMaterial = {};
  for (const [slot, field, property] of FILES) {
    const path = config[property];
    if (path === undefined) continue;
    try {
      material[slot] = await readFile(path);
    } catch (error) {
      throw new L2Error(
        "IO_FAILED",
        `${field} ${JSON.stringify(path)} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { adapterType: "pd", field, hint: "point it at a readable PEM file", cause: error },
      );
    }
  }
  return material;
}
