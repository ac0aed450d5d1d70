export type { RespConnectionOptions } from "./connection-options.js";
export { keySlot } from "./hash-slot.js";
export { type NodeMemory, RespL2Adapter, USAGE_REFRESH_MS } from "./resp-adapter.js";
export { RespL2AdapterConfig } from "./resp-config.js";
export { default as respAdapterType } from "./resp-definition.js";
export { REDACTED } from "./secrets.js";
export { parseStartupNodes, ValkeyL2AdapterConfig } from "./valkey-config.js";
export { default as valkeyAdapterType, valkeyConnectionOptions } from "./valkey-definition.js";
export { decodeWireKey, encodeWireKey } from "./wire-key.js";
