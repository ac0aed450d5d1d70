export {
  DEFAULT_BUFFER_SIZE,
  PD_BUFFER_DEVICES,
  PD_ROLES,
  PD_TRANSFER_CHANNELS,
  type PdBufferDevice,
  PdL2AdapterConfig,
  type PdRole,
  type PdTransferChannel,
} from "./config.js";
export { default as pdAdapterType } from "./definition.js";
export { createPdAdapter, SUPPORTED_NIXL_BACKENDS } from "./pd-adapter.js";
export { PdReceiverAdapter } from "./receiver.js";
export { PdSenderAdapter, type RequestBatchOptions } from "./sender.js";
export {
  DATA_PREFIX_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FrameType,
  MAX_CONTROL_BODY,
  MAX_KEYS_PER_BATCH,
  MAX_PRE_AUTH_BODY,
  WIRE_VERSION,
} from "./wire/frame.js";
