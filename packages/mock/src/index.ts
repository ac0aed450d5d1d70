export { MockL2AdapterConfig } from "./config.js";
export { default as mockAdapterType } from "./definition.js";
export { MockL2Adapter } from "./mock-adapter.js";
