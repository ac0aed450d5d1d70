export { CaseContext, CaseSkipped } from "./case-context.js";
export type {
  CaseDefinition,
  CaseOutcome,
  CaseStatus,
  ConformanceCase,
} from "./conformance-case.js";
export {
  CASE_DEFINITIONS,
  CONFORMANCE_CASE_IDS,
  conformanceCases,
  runConformanceCases,
} from "./conformance-cases.js";
export { type ConfigEvictionOptions, describeConfigStringEviction } from "./describe-config-eviction.js";
export { describeL2AdapterConformance } from "./describe-conformance.js";
export { describeL2AdapterPackageConformance } from "./describe-package-conformance.js";
export { describeSerdeIntegrity, type SerdeIntegrityOptions } from "./describe-serde-integrity.js";
export {
  type ConformanceEnv,
  DEFAULT_CASE_TIMEOUT_MS,
  DEFAULT_CHUNK_SIZES,
  DEFAULT_TIMEOUT_MS,
  type L2AdapterConformanceOptions,
} from "./options.js";
export {
  PACKAGE_CASE_IDS,
  type PackageCase,
  type PackageConformanceOptions,
  packageConformanceCases,
} from "./package-cases.js";
export { createTempDir, type TempDir, withTempDir } from "./temp-dir.js";
export { ConformanceTimeoutError } from "./timeout.js";
