import { defineL2AdapterType } from "@x/l2-core";
import { FsL2AdapterConfig } from "./config.js";
import { FsL2Adapter } from "./fs-adapter.js";

/** The `fs` type; package.json `x-l2.adapters.fs` points here. */
export default defineL2AdapterType({
  configClass: FsL2AdapterConfig,
  create: (config, context) => FsL2Adapter.open(config, context),
});
