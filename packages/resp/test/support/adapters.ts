import { type L2Adapter, type L2Logger, silentLogger } from "@x/l2-core";
import {
  RespL2AdapterConfig,
  respAdapterType,
  ValkeyL2AdapterConfig,
  valkeyAdapterType,
} from "../../src/index.js";
import type { RespL2Adapter } from "../../src/resp-adapter.js";

let counter = 0;
/** A key_prefix no other test uses, so each adapter sees an empty namespace and its own usage. */
export function uniquePrefix(label = "t"): string {
  return `${label}${process.pid}x${++counter}`;
}

export async function createValkey(
  dict: Record<string, unknown>,
  logger: L2Logger = silentLogger,
): Promise<RespL2Adapter> {
  const config = ValkeyL2AdapterConfig.fromDict({ type: "valkey", ...dict });
  return ready((await valkeyAdapterType.create(config, { logger, typeName: "valkey" })) as RespL2Adapter);
}

export async function createResp(
  dict: Record<string, unknown>,
  logger: L2Logger = silentLogger,
): Promise<RespL2Adapter> {
  const config = RespL2AdapterConfig.fromDict({ type: "resp", ...dict });
  return ready((await respAdapterType.create(config, { logger, typeName: "resp" })) as RespL2Adapter);
}

/** As createL2Adapter does: creation errors surface at creation, and a failed adapter is closed. */
async function ready(adapter: RespL2Adapter): Promise<RespL2Adapter> {
  try {
    await adapter.whenReady();
    return adapter;
  } catch (error) {
    await adapter.close().catch(() => {});
    throw error;
  }
}

export type { L2Adapter };
