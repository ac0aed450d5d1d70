import type { L2Adapter } from "../adapter.js";
import type { SharedAdapterConfig } from "../config/config-base.js";
import type { L2Logger } from "../logger.js";
import { ManagedL2Adapter } from "./managed-adapter.js";

/**
 * What `createL2Adapter` does with the shared keys of a config, so a config string acts alone: waits for
 * the adapter's start-up (closing it if start-up failed), then wraps it when `eviction` or
 * `persist_enabled: false` ask for behaviour the adapter does not own.
 */
export async function attachSharedKeys(
  adapter: L2Adapter,
  shared: Partial<SharedAdapterConfig>,
  logger: L2Logger,
): Promise<L2Adapter> {
  if (typeof adapter.whenReady === "function") {
    try {
      await adapter.whenReady();
    } catch (error) {
      await adapter.close().catch(() => {});
      throw error;
    }
  }
  const eviction = shared.eviction ?? null;
  const persistEnabled = shared.persistEnabled !== false;
  if ((eviction === null || eviction.policy === "noop") && persistEnabled) return adapter;
  return new ManagedL2Adapter(adapter, { eviction, persistEnabled, shared: shared.shared ?? false }, logger);
}
