import {
  defineL2AdapterType,
  getDefaultL2AdapterRegistry,
  isL2Error,
  type L2AdapterRegistry,
  type L2AdapterTypeDefinition,
  L2Error,
} from "@x/l2-core";
import { FaultInjectL2AdapterConfig } from "./config.js";
import { FaultInjectL2Adapter } from "./fault-inject-adapter.js";

/**
 * The `fault_inject` type whose `inner` spec is parsed and created through `registry` (default: the
 * process-wide one, so any installed type works, with its own eviction / persist keys).
 */
export function createFaultInjectAdapterType(
  options: { registry?: L2AdapterRegistry } = {},
): L2AdapterTypeDefinition<FaultInjectL2AdapterConfig> {
  return defineL2AdapterType({
    configClass: FaultInjectL2AdapterConfig,
    async create(config, context) {
      const registry = options.registry ?? getDefaultL2AdapterRegistry();
      let inner: Awaited<ReturnType<L2AdapterRegistry["create"]>>;
      try {
        inner = await registry.create(await registry.parseConfig(config.inner));
      } catch (error) {
        if (!isL2Error(error)) throw error;
        throw new L2Error(error.code, `fault_inject: field "inner": ${error.message}`, {
          adapterType: "fault_inject",
          field: error.field ? `inner.${error.field}` : "inner",
          hint: error.hint,
          help: error.help,
          cause: error,
        });
      }
      return new FaultInjectL2Adapter(
        inner,
        {
          rate: config.rate,
          seed: config.seed,
          gapIndices: config.gapIndices,
          dropChunkHashes: config.dropChunkHashes,
        },
        context.logger,
      );
    },
  });
}

/** The discoverable `fault_inject` type; package.json `x-l2.adapters.fault_inject` points here. */
export default createFaultInjectAdapterType();
