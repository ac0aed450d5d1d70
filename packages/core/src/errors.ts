/**
 * One error class for the whole library. `code` is stable and meant for programs; `message` is for people
 * and always names what was wrong and how to fix it.
 */
export type L2ErrorCode =
  | "ADAPTER_UNKNOWN"
  | "ADAPTER_NOT_INSTALLED"
  | "ADAPTER_DEPENDENCY_MISSING"
  | "ADAPTER_INCOMPATIBLE"
  | "ADAPTER_INVALID"
  | "ADAPTER_LOAD_FAILED"
  | "ADAPTER_DUPLICATE"
  | "ADAPTER_CLOSED"
  | "CONFIG_INVALID"
  | "ARGUMENT_INVALID"
  | "KEY_INVALID"
  | "NOT_SUPPORTED"
  | "PLUGIN_MODULE_NOT_ALLOWED"
  | "PLUGIN_MODULE_NOT_FOUND"
  | "PLUGIN_DEPENDENCY_MISSING"
  | "PLUGIN_EXPORT_NOT_FOUND"
  | "PLUGIN_NOT_AN_ADAPTER"
  | "PLUGIN_PARAMS_INVALID"
  | "IO_FAILED"
  | "TRANSFER_FAILED"
  | "TIMEOUT"
  | "ABORTED";

export interface L2ErrorOptions {
  /** The adapter type the error concerns, when there is one. */
  adapterType?: string | undefined;
  /** The config field (dotted path) or argument that was wrong. */
  field?: string | undefined;
  /** 1-based position of the `--l2-adapter` option the error comes from. */
  position?: number | undefined;
  /** What to do about it, when the message alone does not say. */
  hint?: string | undefined;
  /** The adapter type's help text, attached to config errors. */
  help?: string | undefined;
  cause?: unknown;
}

// A global symbol so errors thrown by a second copy of core are still recognised.
const L2_ERROR_BRAND: unique symbol = Symbol.for("x-l2.error") as never;

export class L2Error extends Error {
  readonly code: L2ErrorCode;
  readonly adapterType: string | undefined;
  readonly field: string | undefined;
  readonly position: number | undefined;
  readonly hint: string | undefined;
  readonly help: string | undefined;
  readonly [L2_ERROR_BRAND] = true;

  constructor(code: L2ErrorCode, message: string, options: L2ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "L2Error";
    this.code = code;
    this.adapterType = options.adapterType;
    this.field = options.field;
    this.position = options.position;
    this.hint = options.hint;
    this.help = options.help;
  }
}

/** True for any L2Error, including one created by another copy of this package. */
export function isL2Error(value: unknown, code?: L2ErrorCode): value is L2Error {
  if (typeof value !== "object" || value === null) return false;
  if ((value as Record<symbol, unknown>)[L2_ERROR_BRAND] !== true) return false;
  return code === undefined || (value as L2Error).code === code;
}
