import { defineL2AdapterType } from "@x/l2-core";
import { PdL2AdapterConfig } from "./config.js";
import { createPdAdapter } from "./pd-adapter.js";

/** The `pd` type; package.json `x-l2.adapters.pd` points here. */
export default defineL2AdapterType({
  configClass: PdL2AdapterConfig,
  create: (config, context) => createPdAdapter(config, context),
});
