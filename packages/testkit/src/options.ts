import type { AdapterCapabilities, L2Adapter } from "@x/l2-core";
import { L2Error } from "@x/l2-core";

const MIB = 1024 * 1024;

/** Handed to `create()`: resources that live exactly as long as the current case. */
export interface ConformanceEnv {
  /** A fresh private temp directory, removed after the case (after the adapter was closed). */
  tempDir(): Promise<string>;
  /** The id of the case the adapter is created for, for logs. */
  readonly caseId: string;
}

export interface L2AdapterConformanceOptions {
  /** Shown in the suite title. */
  name: string;
  /** A fresh, isolated adapter on every call; the kit closes every adapter it created. */
  create: (env: ConformanceEnv) => L2Adapter | Promise<L2Adapter>;
  /**
   * What the adapter declares it can do. When given, the adapter's own `capabilities` must agree; when
   * absent, the adapter's `capabilities` decide which optional cases run.
   */
  capabilities?: Partial<AdapterCapabilities>;
  /** Case id → reason. Every skipped case is still listed (as a skipped test with its reason). */
  skip?: Readonly<Record<string, string>>;
  /** Chunk sizes for the binary and all-zero cases; default 1 B … 16 MiB. */
  chunkSizes?: readonly number[];
  /** Limit for one adapter call (also `create()` and `close()`); default 10 000 ms. */
  timeoutMs?: number;
  /** Limit for one whole case; default 120 000 ms. */
  caseTimeoutMs?: number;
}

export const DEFAULT_CHUNK_SIZES: readonly number[] = Object.freeze([
  1,
  7,
  4096,
  64 * 1024 + 3,
  MIB,
  16 * MIB,
]);
const MAX_CHUNK_SIZE = 64 * MIB;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CASE_TIMEOUT_MS = 120_000;

export interface ResolvedConformanceOptions {
  readonly name: string;
  readonly create: L2AdapterConformanceOptions["create"];
  readonly capabilities: Partial<AdapterCapabilities> | undefined;
  readonly skip: ReadonlyMap<string, string>;
  readonly chunkSizes: readonly number[];
  readonly timeoutMs: number;
  readonly caseTimeoutMs: number;
}

function invalid(field: string, message: string): L2Error {
  return new L2Error("ARGUMENT_INVALID", `conformance option ${field} ${message}`, { field });
}

function positiveInteger(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(field, `must be a positive integer (milliseconds), got ${String(value)}`);
  }
  return value;
}

/** Checks the options up front, so a typo in `skip` or a missing reason fails loudly instead of silently. */
export function resolveConformanceOptions(
  options: L2AdapterConformanceOptions,
  knownIds: readonly string[],
): ResolvedConformanceOptions {
  if (typeof options !== "object" || options === null) throw invalid("options", "must be an object");
  const { name, create, capabilities, skip = {}, chunkSizes = DEFAULT_CHUNK_SIZES } = options;
  if (typeof name !== "string" || name.trim() === "") throw invalid("name", "must be a non-empty string");
  if (typeof create !== "function") {
    throw invalid(
      "create",
      "must be a function returning a fresh adapter, e.g. create: () => new MyAdapter()",
    );
  }
  if (capabilities !== undefined && (typeof capabilities !== "object" || capabilities === null)) {
    throw invalid("capabilities", "must be an object like { listKeys: true }");
  }
  if (capabilities?.listKeys !== undefined && typeof capabilities.listKeys !== "boolean") {
    throw invalid("capabilities.listKeys", "must be a boolean");
  }
  if (typeof skip !== "object" || skip === null || Array.isArray(skip)) {
    throw invalid("skip", 'must map case ids to reasons, e.g. { "lock.refcount": "why" }');
  }
  const skipMap = new Map<string, string>();
  for (const [id, reason] of Object.entries(skip)) {
    if (!knownIds.includes(id)) {
      throw invalid(`skip["${id}"]`, `names no conformance case; known ids: ${knownIds.join(", ")}`);
    }
    if (typeof reason !== "string" || reason.trim() === "") {
      throw invalid(`skip["${id}"]`, "needs a non-empty reason string saying why the rule does not apply");
    }
    skipMap.set(id, reason.trim());
  }
  if (!Array.isArray(chunkSizes) || chunkSizes.length === 0) {
    throw invalid("chunkSizes", "must be a non-empty array of byte sizes");
  }
  for (const [i, size] of chunkSizes.entries()) {
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
      throw invalid(
        `chunkSizes[${i}]`,
        `must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${String(size)}`,
      );
    }
  }
  return {
    name,
    create,
    capabilities,
    skip: skipMap,
    chunkSizes: [...chunkSizes],
    timeoutMs: positiveInteger(options.timeoutMs, "timeoutMs", DEFAULT_TIMEOUT_MS),
    caseTimeoutMs: positiveInteger(options.caseTimeoutMs, "caseTimeoutMs", DEFAULT_CASE_TIMEOUT_MS),
  };
}
