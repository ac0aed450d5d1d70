export { InMemoryL2AdapterConfig } from "./config.js";
export { default as inMemoryAdapterType } from "./definition.js";
export { InMemoryL2Adapter } from "./inmemory-adapter.js";
