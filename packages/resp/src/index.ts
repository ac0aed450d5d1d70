export type { RespConnectionOptions } from "./connection-options.js";
export { keySlot } from "./hash-slot.js";
export { RespL2Adapter, USAGE_REFRESH_MS } from "./resp-adapter.js";
export { RespL2AdapterConfig } from "./resp-config.js";
export { default as respAdapterType, respConnectionOptions } from "./resp-definition.js";
export { REDACTED } from "./secrets.js";
// The server-side size index (key names and scripts), for tools that read or repair it.
export { DELETE_SCRIPT, LOOKUP_SCRIPT, ServerIndexLayout, STORE_SCRIPT } from "./server-index.js";
export type { NodeMemory } from "./shared-usage.js";
export { parseStartupNodes, ValkeyL2AdapterConfig } from "./valkey-config.js";
export { default as valkeyAdapterType, valkeyConnectionOptions } from "./valkey-definition.js";
export { decodeWireKey, encodeWireKey } from "./wire-key.js";
