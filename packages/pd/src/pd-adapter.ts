import { type L2AdapterContext, L2Error } from "@x/l2-core";
import type { PdL2AdapterConfig } from "./config.js";
import { PdReceiverAdapter } from "./receiver.js";
import { PdSenderAdapter } from "./sender.js";
import { loadTlsMaterial } from "./tcp/tls-material.js";

/** Backends our transport implements for `transfer_channel: "nixl"`. */
export const SUPPORTED_NIXL_BACKENDS: readonly string[] = ["tcp"];

/**
 * Creates the adapter for the config's role after checking what this machine can run: no GPU staging
 * (`buffer_device: "cuda"`) and no NIXL backend other than our TCP transport.
 */
export async function createPdAdapter(
  config: PdL2AdapterConfig,
  context: Partial<L2AdapterContext> = {},
): Promise<PdSenderAdapter | PdReceiverAdapter> {
  if (config.bufferDevice === "cuda") {
    throw new L2Error(
      "NOT_SUPPORTED",
      'buffer_device "cuda" needs a CUDA GPU and a GPU memory binding, which this Node build does not have; use "cpu"',
      { adapterType: "pd", field: "buffer_device", hint: 'set "buffer_device": "cpu"' },
    );
  }
  if (config.transferChannel === "nixl") {
    const unsupported = config.nixlBackends.filter((b) => !SUPPORTED_NIXL_BACKENDS.includes(b));
    if (unsupported.length > 0) {
      throw new L2Error(
        "NOT_SUPPORTED",
        `nixl_backends ${JSON.stringify(unsupported)} are not available: Node has no NIXL, only our TCP transport ("tcp")`,
        { adapterType: "pd", field: "nixl_backends", hint: 'set "nixl_backends": ["tcp"]' },
      );
    }
  }
  if (config.role === "sender") return new PdSenderAdapter(config, context, await loadTlsMaterial(config));
  return PdReceiverAdapter.create(config, context);
}
