import { describe, expect, it } from "vitest";
import { createL2AdapterRegistry, isL2Error, type L2Error } from "../../src/index.js";
import { getPluginConfigClass } from "../../src/plugin/plugin-config.js";

const PluginL2AdapterConfig = getPluginConfigClass();

import { parseModuleSpecifier } from "../../src/plugin/module-specifier.js";

function parseError(dict: Record<string, unknown>): L2Error {
  try {
    PluginL2AdapterConfig.fromDict({ type: "plugin", ...dict });
  } catch (error) {
    if (isL2Error(error)) return error;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("plugin config (structure only)", () => {
  it("parses LMCache's keys into camelCase fields with adapter_params defaulting to {}", () => {
    const config = PluginL2AdapterConfig.fromDict({
      type: "plugin",
      module_path: "kvstash-l2-inmemory",
      class_name: "InMemoryL2Adapter",
    });
    expect(config.modulePath).toBe("kvstash-l2-inmemory");
    expect(config.className).toBe("InMemoryL2Adapter");
    expect(config.adapterParams).toEqual({});
    expect(config.configClassName).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.toDict()).toMatchObject({
      type: "plugin",
      module_path: "kvstash-l2-inmemory",
      class_name: "InMemoryL2Adapter",
      adapter_params: {},
    });
  });

  it("keeps adapter_params as given (snake_case) and does not validate them at parse time", () => {
    const config = PluginL2AdapterConfig.fromDict({
      type: "plugin",
      module_path: "@scope/pkg/sub",
      class_name: "A",
      adapter_params: { max_size_gb: "not a number", nested: { a: 1 } },
      config_class_name: "AConfig",
    });
    expect(config.adapterParams).toEqual({ max_size_gb: "not a number", nested: { a: 1 } });
    expect(config.configClassName).toBe("AConfig");
  });

  it("requires module_path and class_name", () => {
    const error = parseError({});
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe(
      'field "module_path": is required (a string); field "class_name": is required (a string)',
    );
    expect(error.field).toBe("module_path");
    expect(error.help).toContain("class_name");
  });

  it("rejects empty strings, non-object params and an empty config_class_name, naming each field", () => {
    expect(parseError({ module_path: "", class_name: "A" }).message).toBe(
      'field "module_path": must not be empty (got "")',
    );
    expect(parseError({ module_path: "p", class_name: "" }).message).toBe(
      'field "class_name": must not be empty (got "")',
    );
    expect(parseError({ module_path: "p", class_name: "A", adapter_params: [1] }).message).toBe(
      'field "adapter_params": must be a JSON object (got an array)',
    );
    expect(parseError({ module_path: "p", class_name: "A", adapter_params: 3 }).field).toBe("adapter_params");
    expect(parseError({ module_path: "p", class_name: "A", config_class_name: "" }).field).toBe(
      "config_class_name",
    );
  });

  it("rejects a module_path that is neither a package name nor a path or URL", () => {
    const error = parseError({ module_path: "Not A Package", class_name: "A" });
    expect(error.field).toBe("module_path");
    expect(error.message).toContain("must be an installed package name");
  });

  it("suggests the right key for a typo", () => {
    const error = parseError({ module_path: "p", class_name: "A", adapter_param: {} });
    expect(error.message).toBe(
      'unknown key "adapter_param" for type "plugin"; did you mean "adapter_params"?',
    );
  });

  it("accepts paths and URLs at parse time: permission is checked when the adapter is created", () => {
    for (const path of ["./plugin.js", "/abs/plugin.js", "file:///abs/plugin.js"]) {
      expect(
        PluginL2AdapterConfig.fromDict({ type: "plugin", module_path: path, class_name: "A" }).modulePath,
      ).toBe(path);
    }
  });

  it("documents every key in help", () => {
    const help = PluginL2AdapterConfig.help();
    for (const key of ["module_path", "class_name", "adapter_params", "config_class_name"]) {
      expect(help).toContain(key);
    }
  });

  it("is a built-in type of every registry, even without discovery", async () => {
    const registry = createL2AdapterRegistry({ discover: false });
    expect(await registry.listTypeNames()).toEqual(["plugin"]);
    const config = await registry.parseConfig({ type: "plugin", module_path: "x", class_name: "Y" });
    expect(config).toBeInstanceOf(PluginL2AdapterConfig);
    expect(registry.allowModulePaths).toBe(false);
    expect(createL2AdapterRegistry({ discover: false, allowModulePaths: true }).allowModulePaths).toBe(true);
  });
});

describe("module_path forms", () => {
  it("splits package names into name and subpath", () => {
    expect(parseModuleSpecifier("pkg")).toEqual({ kind: "package", packageName: "pkg", subpath: "." });
    expect(parseModuleSpecifier("@scope/pkg")).toEqual({
      kind: "package",
      packageName: "@scope/pkg",
      subpath: ".",
    });
    expect(parseModuleSpecifier("@scope/pkg/a/b")).toEqual({
      kind: "package",
      packageName: "@scope/pkg",
      subpath: "./a/b",
    });
    expect(parseModuleSpecifier("kvstash-l2-inmemory/adapter")).toEqual({
      kind: "package",
      packageName: "kvstash-l2-inmemory",
      subpath: "./adapter",
    });
  });

  it("recognises file paths and URLs (including Windows drives) as such", () => {
    for (const path of ["./a.js", "../a.js", "/a.js", ".", "..", "C:\\a.js", "D:/a.js", ".\\a.js"]) {
      expect(parseModuleSpecifier(path)?.kind).toBe("path");
    }
    for (const url of [
      "file:///a.js",
      "data:text/javascript,export{}",
      "node:fs",
      "https://x.invalid/a.js",
    ]) {
      expect(parseModuleSpecifier(url)?.kind).toBe("url");
    }
  });

  it("rejects what is none of these", () => {
    for (const bad of [
      "",
      " pkg",
      "Pkg Name",
      "@scope",
      "pkg/",
      "pkg/../x",
      "pkg//x",
      "@/x",
      ".hidden",
      "_x",
    ]) {
      expect(parseModuleSpecifier(bad), bad).toBeUndefined();
    }
  });
});
