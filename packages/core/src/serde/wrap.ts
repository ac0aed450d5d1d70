import type { L2Adapter } from "../adapter.js";
import type { L2Logger } from "../logger.js";
import { openSerdeCodec } from "./open-codec.js";
import { SerdeL2Adapter } from "./serde-adapter.js";
import type { SerdeConfig } from "./serde-config.js";

/** What createL2Adapter applies when `serde` is set: opens the codec, returns the wrapping step. */
export async function wrapWithSerde(
  config: SerdeConfig,
  adapterType: string,
  logger: L2Logger,
): Promise<(inner: L2Adapter) => L2Adapter> {
  const codec = await openSerdeCodec(config, adapterType, logger);
  return (inner) => new SerdeL2Adapter(inner, codec, { deleteCorrupt: config.deleteCorrupt, logger });
}
