import { defineL2AdapterType, type L2AdapterTypeDefinition } from "../adapter-type.js";
import type { L2AdapterConfigBase, L2AdapterConfigClassLike } from "../config/config-base.js";
import type { L2ConnectorSpec } from "./connector.js";
import { L2ConnectorAdapter } from "./connector-adapter.js";

export interface L2ConnectorTypeSpec<C extends L2AdapterConfigBase> extends L2ConnectorSpec<C> {
  /** Made with `defineL2AdapterConfig`; the type name and summary come from it. */
  configClass: L2AdapterConfigClassLike<C>;
}

/**
 * The short form of an adapter type (unstorage's `defineDriver`, LMCache's native-connector bridge): a
 * config class and a backend with batch exists / get / set / delete. The default export of the module
 * your package.json `x-l2` field names.
 */
export function defineL2Connector<C extends L2AdapterConfigBase>(
  spec: L2ConnectorTypeSpec<C>,
): L2AdapterTypeDefinition<C> {
  const { configClass, ...connector } = spec;
  return defineL2AdapterType({
    configClass,
    create: (config, context) => new L2ConnectorAdapter(config, context, connector),
  });
}
