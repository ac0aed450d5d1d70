export { DEFAULT_IO_CONCURRENCY, FsL2AdapterConfig } from "./config.js";
export { default as fsAdapterType } from "./definition.js";
export { FsL2Adapter, type FsL2AdapterOptions } from "./fs-adapter.js";
export { errnoOf, type FsOps, nodeFsOps } from "./fs-ops.js";
export { FOREIGN_TEMP_MAX_AGE_MS, type RecoveredEntry, type RecoveryResult } from "./recovery.js";
export { TEMP_PREFIX } from "./temp-names.js";
