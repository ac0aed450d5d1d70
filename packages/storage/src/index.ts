export type { AdapterState, CallOptions } from "./adapter-slot.js";
export {
  runTieredWorkload,
  type TieredWorkloadOptions,
  type TieredWorkloadResult,
} from "./bench/tiered-workload.js";
export { FaultInjectL2AdapterConfig } from "./fault-inject/config.js";
export {
  createFaultInjectAdapterType,
  default as faultInjectAdapterType,
} from "./fault-inject/definition.js";
export { FaultInjectL2Adapter, type FaultSettings } from "./fault-inject/fault-inject-adapter.js";
export { L1_EVICTION_POLICIES, type L1EvictionPolicyName } from "./l1/eviction-order.js";
export type {
  AdapterMetricsSnapshot,
  HistogramSnapshot,
  StorageMetricsSnapshot,
} from "./metrics.js";
export { PROBE_MODEL } from "./probe.js";
export {
  type L2AdapterSpec,
  type RemoveL2AdapterOptions,
  StorageManager,
  type StorageManagerOptions,
} from "./storage-manager.js";
export { STORE_POLICIES, type StorePolicyName } from "./store-policy.js";
