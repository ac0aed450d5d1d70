import type { L2Adapter } from "../adapter.js";
import type { L2AdapterTypeDefinition } from "../adapter-type.js";
import type { L2AdapterConfigBase } from "../config/config-base.js";
import {
  type CreateL2AdapterOptions,
  L2AdapterRegistry,
  type L2AdapterRegistryOptions,
  type L2AdapterTypeInfo,
} from "./registry.js";

let defaultRegistry: L2AdapterRegistry | undefined;

/** The process-wide registry, rooted at process.cwd() on first use. */
export function getDefaultL2AdapterRegistry(): L2AdapterRegistry {
  defaultRegistry ??= new L2AdapterRegistry();
  return defaultRegistry;
}

export function createL2AdapterRegistry(options?: L2AdapterRegistryOptions): L2AdapterRegistry {
  return new L2AdapterRegistry(options);
}

export function registerL2AdapterType(definition: L2AdapterTypeDefinition<any>): void {
  getDefaultL2AdapterRegistry().register(definition);
}

export function listL2AdapterTypes(): Promise<L2AdapterTypeInfo[]> {
  return getDefaultL2AdapterRegistry().list();
}

export function getL2AdapterType(type: string): Promise<L2AdapterTypeDefinition<any>> {
  return getDefaultL2AdapterRegistry().get(type);
}

export function describeL2AdapterType(type: string): Promise<string> {
  return getDefaultL2AdapterRegistry().describe(type);
}

export function parseL2AdapterArgs(args: readonly string[]): Promise<L2AdapterConfigBase[]> {
  return getDefaultL2AdapterRegistry().parseArgs(args);
}

export function parseL2AdapterConfig(dict: unknown): Promise<L2AdapterConfigBase> {
  return getDefaultL2AdapterRegistry().parseConfig(dict);
}

export function createL2Adapter(
  config: L2AdapterConfigBase | Record<string, unknown>,
  options?: CreateL2AdapterOptions,
): Promise<L2Adapter> {
  return getDefaultL2AdapterRegistry().create(config, options);
}
