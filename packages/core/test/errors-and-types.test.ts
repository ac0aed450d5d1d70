import { describe, expect, it } from "vitest";
import {
  createConsoleLogger,
  defineL2AdapterConfig,
  defineL2AdapterType,
  isL2AdapterTypeDefinition,
  isL2Error,
  L2_ADAPTER_CONTRACT,
  L2Error,
  missingAdapterMethods,
  REQUIRED_ADAPTER_METHODS,
  z,
} from "../src/index.js";

describe("L2Error", () => {
  it("carries a stable code, the adapter type, field, position, hint, help and cause", () => {
    const cause = new Error("root");
    const error = new L2Error("CONFIG_INVALID", "bad", {
      adapterType: "fs",
      field: "base_path",
      position: 2,
      hint: "fix it",
      help: "help text",
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("L2Error");
    expect(error).toMatchObject({
      code: "CONFIG_INVALID",
      adapterType: "fs",
      field: "base_path",
      position: 2,
    });
    expect(error.hint).toBe("fix it");
    expect(error.help).toBe("help text");
    expect(error.cause).toBe(cause);
    expect(new L2Error("TIMEOUT", "x").cause).toBeUndefined();
  });

  it("isL2Error checks the brand (so another copy's errors count) and optionally the code", () => {
    const error = new L2Error("ADAPTER_CLOSED", "closed");
    expect(isL2Error(error)).toBe(true);
    expect(isL2Error(error, "ADAPTER_CLOSED")).toBe(true);
    expect(isL2Error(error, "TIMEOUT")).toBe(false);
    const foreign = Object.assign(new Error("x"), { code: "TIMEOUT", [Symbol.for("x-l2.error")]: true });
    expect(isL2Error(foreign, "TIMEOUT")).toBe(true);
    expect(isL2Error(Object.assign(new Error("x"), { code: "TIMEOUT" }))).toBe(false);
    expect(isL2Error(null)).toBe(false);
    expect(isL2Error("TIMEOUT")).toBe(false);
  });
});

describe("defineL2AdapterType", () => {
  const Config = defineL2AdapterConfig("typed", z.object({}), { summary: "typed summary", example: {} });

  it("brands a frozen definition whose type and summary come from the config class", () => {
    const definition = defineL2AdapterType({ configClass: Config, create: () => ({}) as never });
    expect(isL2AdapterTypeDefinition(definition)).toBe(true);
    expect(definition).toMatchObject({
      type: "typed",
      summary: "typed summary",
      contract: L2_ADAPTER_CONTRACT,
    });
    expect(Object.isFrozen(definition)).toBe(true);
  });

  it("rejects a missing config class or create function with ADAPTER_INVALID", () => {
    expect(() => defineL2AdapterType({ configClass: {} as never, create: () => ({}) as never })).toThrow(
      expect.objectContaining({ code: "ADAPTER_INVALID" }),
    );
    expect(() => defineL2AdapterType({ configClass: Config, create: undefined as never })).toThrow(
      expect.objectContaining({ code: "ADAPTER_INVALID", adapterType: "typed" }),
    );
  });

  it("isL2AdapterTypeDefinition needs the brand and the shape", () => {
    const brand = Symbol.for("x-l2.adapter-type");
    expect(isL2AdapterTypeDefinition({ type: "x", create() {}, configClass: Config })).toBe(false);
    expect(isL2AdapterTypeDefinition({ [brand]: true, type: "x", create() {} })).toBe(false);
    expect(isL2AdapterTypeDefinition({ [brand]: true, type: "x", create() {}, configClass: Config })).toBe(
      true,
    );
    expect(isL2AdapterTypeDefinition(null)).toBe(false);
  });

  it("missingAdapterMethods lists what an object lacks", () => {
    expect(missingAdapterMethods(null)).toEqual([...REQUIRED_ADAPTER_METHODS]);
    const almost = Object.fromEntries(REQUIRED_ADAPTER_METHODS.map((m) => [m, () => undefined]));
    expect(missingAdapterMethods(almost)).toEqual([]);
    delete almost.close;
    expect(missingAdapterMethods(almost)).toEqual(["close"]);
  });
});

describe("createConsoleLogger", () => {
  it("writes at or above its level to stderr, with the scope and details", () => {
    const lines: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const logger = createConsoleLogger("scope", "info");
      logger.debug("hidden");
      logger.info("shown", { n: 1, big: 2n });
      logger.error("also shown");
      createConsoleLogger("quiet", "silent").error("never");
    } finally {
      process.stderr.write = original;
    }
    expect(lines).toEqual([
      '[x-l2] [scope] info: shown {"n":1,"big":"2"}\n',
      "[x-l2] [scope] error: also shown\n",
    ]);
  });
});
