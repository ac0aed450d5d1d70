export type {
  AdapterCapabilities,
  AdapterStatus,
  EncodedKeyListEntry,
  KeyListEntry,
  KeyListPage,
  KeysStoredInfo,
  L1MemoryDesc,
  L2Adapter,
  L2AdapterContext,
  L2AdapterListener,
  ListKeysOptions,
  OperationOptions,
  StoreResult,
} from "./adapter.js";
export { joinParts, L2AdapterBase, type L2AdapterBaseOptions, MAX_LIST_PAGE_SIZE } from "./adapter-base.js";
export type { LoadOutcome, LookupResult, StoreOutcome } from "./adapter-hooks.js";
export {
  defineL2AdapterType,
  isL2AdapterTypeDefinition,
  L2_ADAPTER_CONTRACT,
  type L2AdapterTypeDefinition,
  type L2AdapterTypeSpec,
  missingAdapterMethods,
  REQUIRED_ADAPTER_METHODS,
  SUPPORTED_CONTRACTS,
} from "./adapter-type.js";
export { Bitmap, isBitmap } from "./bitmap.js";
export { abortableDelay, mapWithConcurrency, Semaphore } from "./concurrency.js";
export type { CamelCase, CamelCased } from "./config/case.js";
export { L2AdapterConfigBase } from "./config/config-base.js";
export { configError } from "./config/config-error.js";
export {
  type DefineConfigOptions,
  defineL2AdapterConfig,
  type L2AdapterConfigClass,
  type L2AdapterConfigClassLike,
} from "./config/define-config.js";
export { EVICTION_POLICIES, type EvictionConfig, type EvictionPolicyName } from "./config/eviction.js";
export { SHARED_CONFIG_KEYS, type SharedAdapterConfig } from "./config/shared-config.js";
export { z } from "./config/zod.js";
export type { L2Connector, L2ConnectorContext, L2ConnectorSpec } from "./connector/connector.js";
export { L2ConnectorAdapter } from "./connector/connector-adapter.js";
export { defineL2Connector, type L2ConnectorTypeSpec } from "./connector/define-connector.js";
export { isL2Error, L2Error, type L2ErrorCode, type L2ErrorOptions } from "./errors.js";
export {
  type EvictionRoundResult,
  L2EvictionController,
  type L2EvictionControllerOptions,
} from "./eviction/eviction-controller.js";
export { LruTracker, type TrackedKey } from "./eviction/lru-tracker.js";
export { QuotaManager } from "./eviction/quota-manager.js";
export {
  decodeFsKey,
  encodeFsKey,
  FS_KEY_SUFFIX,
  FS_MODEL_SEPARATOR,
  isLegacyFsKeyName,
} from "./fs-key-codec.js";
export { KeyIndex } from "./key-index.js";
/** @deprecated 0.1: `L2AdapterBase` now keeps the locks; kept for adapters written against 0.1. */
export { KeyLockTable } from "./key-locks.js";
export { type KvRankParts, kvRank, parseKvRank } from "./kv-rank.js";
export { decodeListCursor, encodeListCursor, pageKeyEntries } from "./list-keys.js";
export { createConsoleLogger, type L2Logger, silentLogger } from "./logger.js";
export {
  type EncodedObjectKey,
  isObjectKey,
  MAX_CACHE_SALT_LENGTH,
  ObjectKey,
  type ObjectKeyInit,
} from "./object-key.js";
export {
  createL2Adapter,
  createL2AdapterRegistry,
  describeL2AdapterType,
  getDefaultL2AdapterRegistry,
  getL2AdapterType,
  listL2AdapterTypes,
  parseL2AdapterArgs,
  parseL2AdapterConfig,
  registerL2AdapterType,
} from "./registry/default-registry.js";
export type { L2AdapterTypeInfo } from "./registry/discovery.js";
export { type PackageInfo, resolvePackageEntry } from "./registry/installed-package.js";
export { ADAPTER_MEDIA, type AdapterMedium, MANIFEST_FIELD } from "./registry/manifest.js";
export {
  type CreateL2AdapterOptions,
  FIRST_PARTY_ADAPTER_PACKAGES,
  L2AdapterRegistry,
  type L2AdapterRegistryOptions,
} from "./registry/registry.js";
// serde: LMCache's per-chunk frames (checksum, aesgcm) around any adapter.
export {
  AESGCM_HEADER_BYTES,
  AESGCM_TAG_BYTES,
  AESGCM_VERSION,
  AesGcmCodec,
  type AesGcmCodecOptions,
  deriveSaltKey,
  HKDF_INFO_PREFIX,
  hkdfSaltKeys,
} from "./serde/aesgcm-codec.js";
export {
  CHECKSUM_HEADER_BYTES,
  CHECKSUM_VERSION,
  ChecksumCodec,
  chunkFingerprint,
} from "./serde/checksum-codec.js";
export type { FrameCodec, FrameVerdict } from "./serde/frame-codec.js";
export { openSerdeCodec } from "./serde/open-codec.js";
export { SerdeL2Adapter, type SerdeL2AdapterOptions } from "./serde/serde-adapter.js";
export {
  type AesGcmSerdeConfig,
  type ChecksumSerdeConfig,
  DEFAULT_AFFINITY_TAG,
  type SerdeConfig,
  SUPPORTED_SERDE_TYPES,
  TENSOR_SERDE_TYPES,
} from "./serde/serde-config.js";
/** `UsageCounter` is deprecated (0.1): the base's key index counts usage. */
export { type AdapterUsage, UsageCounter } from "./usage.js";
export { attachSharedKeys } from "./wrappers/attach-shared-keys.js";
export { DelegatingL2Adapter, unwrapL2Adapter } from "./wrappers/delegating-adapter.js";
export { ManagedL2Adapter } from "./wrappers/managed-adapter.js";
