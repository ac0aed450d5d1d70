import type { L2Adapter, L2AdapterContext } from "./adapter.js";
import type { L2AdapterConfigBase, L2AdapterConfigClassLike } from "./config/config-base.js";
import { L2Error } from "./errors.js";

/** The adapter contract version this core implements; package.json `x-l2.contract` must match it. */
export const L2_ADAPTER_CONTRACT = 1;
export const SUPPORTED_CONTRACTS: readonly number[] = [1];

const TYPE_BRAND: unique symbol = Symbol.for("x-l2.adapter-type") as never;

/**
 * Everything the framework knows about an adapter type: its config class (parsing, help, JSON Schema)
 * and how to create an adapter. An adapter package's `x-l2.adapters` entry points at a module whose
 * default export is one of these.
 */
export interface L2AdapterTypeDefinition<C extends L2AdapterConfigBase = L2AdapterConfigBase> {
  readonly [TYPE_BRAND]: true;
  readonly type: string;
  readonly contract: number;
  readonly summary: string;
  readonly configClass: L2AdapterConfigClassLike<C>;
  create(config: C, context: L2AdapterContext): L2Adapter | Promise<L2Adapter>;
}

export interface L2AdapterTypeSpec<C extends L2AdapterConfigBase> {
  configClass: L2AdapterConfigClassLike<C>;
  create(config: C, context: L2AdapterContext): L2Adapter | Promise<L2Adapter>;
  /** Defaults to {@link L2_ADAPTER_CONTRACT}. */
  contract?: number;
}

/** Brands a type definition; the type name and summary come from the config class. */
export function defineL2AdapterType<C extends L2AdapterConfigBase>(
  spec: L2AdapterTypeSpec<C>,
): L2AdapterTypeDefinition<C> {
  const { configClass, create } = spec;
  if (!configClass || typeof configClass.fromDict !== "function" || typeof configClass.type !== "string") {
    throw new L2Error(
      "ADAPTER_INVALID",
      "defineL2AdapterType needs a configClass made by defineL2AdapterConfig",
    );
  }
  if (typeof create !== "function") {
    throw new L2Error(
      "ADAPTER_INVALID",
      `adapter type "${configClass.type}" needs a create(config, context) function`,
      {
        adapterType: configClass.type,
      },
    );
  }
  return Object.freeze({
    [TYPE_BRAND]: true as const,
    type: configClass.type,
    contract: spec.contract ?? L2_ADAPTER_CONTRACT,
    summary: configClass.summary,
    configClass,
    create,
  });
}

/** Brand plus shape check, never `instanceof`, so a definition built against another copy of core passes. */
export function isL2AdapterTypeDefinition(value: unknown): value is L2AdapterTypeDefinition {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string | symbol, any>;
  return (
    v[TYPE_BRAND] === true &&
    typeof v.type === "string" &&
    typeof v.create === "function" &&
    typeof v.configClass?.fromDict === "function" &&
    typeof v.configClass?.help === "function"
  );
}

/** Methods every adapter instance must have; used to check third-party classes structurally. */
export const REQUIRED_ADAPTER_METHODS = [
  "store",
  "lookupAndLock",
  "unlock",
  "load",
  "delete",
  "listKeys",
  "usage",
  "status",
  "addListener",
  "close",
] as const;

export function missingAdapterMethods(value: unknown): string[] {
  if (typeof value !== "object" && typeof value !== "function") return [...REQUIRED_ADAPTER_METHODS];
  if (value === null) return [...REQUIRED_ADAPTER_METHODS];
  return REQUIRED_ADAPTER_METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== "function");
}
