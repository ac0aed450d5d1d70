import { defineL2AdapterType } from "@x/l2-core";
import { InMemoryL2AdapterConfig } from "./config.js";
import { InMemoryL2Adapter } from "./inmemory-adapter.js";

/** The `inmemory` type; package.json `"x-l2": { "adapters": { "inmemory": "./adapter" } }` points here. */
export default defineL2AdapterType({
  configClass: InMemoryL2AdapterConfig,
  create: (config, context) => new InMemoryL2Adapter(config, context),
});
