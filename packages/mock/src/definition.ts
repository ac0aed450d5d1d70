import { defineL2AdapterType } from "@x/l2-core";
import { MockL2AdapterConfig } from "./config.js";
import { MockL2Adapter } from "./mock-adapter.js";

/** The `mock` type; package.json `x-l2.adapters.mock` points here. */
export default defineL2AdapterType({
  configClass: MockL2AdapterConfig,
  create: (config, context) => new MockL2Adapter(config, context),
});
