import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createL2AdapterRegistry,
  isL2Error,
  type L1MemoryDesc,
  type L2Adapter,
  type L2AdapterRegistry,
  type L2Error,
  ObjectKey,
  silentLogger,
} from "../../src/index.js";
import { createTempApp, type TempApp } from "./temp-app.js";

let app: TempApp;
let registry: L2AdapterRegistry;

beforeAll(async () => {
  app = await createTempApp([
    "good-plugin",
    "dep-missing-plugin",
    "throwing-plugin",
    "unbuilt-plugin",
    "conditional-plugin",
  ]);
  registry = createL2AdapterRegistry({ root: app.root, logger: silentLogger });
});
afterAll(() => app.cleanup());

function plugin(moduleOrParams: string | Record<string, unknown>, className?: string, extra = {}) {
  const base =
    typeof moduleOrParams === "string"
      ? { module_path: moduleOrParams, class_name: className ?? "GoodAdapter" }
      : moduleOrParams;
  return { type: "plugin", ...base, ...extra };
}

async function createError(dict: Record<string, unknown>, r = registry): Promise<L2Error> {
  try {
    const adapter = await r.create(dict, { logger: silentLogger });
    await adapter.close();
  } catch (error) {
    if (isL2Error(error)) return error;
    throw error;
  }
  throw new Error("expected creation to fail");
}

/** store → lookupAndLock → load of two keys, the round trip every adapter must pass. */
async function roundTrip(adapter: L2Adapter): Promise<void> {
  const keys = [0, 1].map(
    (i) => new ObjectKey({ chunkHash: new Uint8Array([i + 1, 42]), modelName: "m", kvRank: 0 }),
  );
  const objects = keys.map((_, i) => new Uint8Array(4096).fill(i + 7));
  expect((await adapter.store(keys, objects)).ok).toBe(true);
  const found = await adapter.lookupAndLock(keys);
  expect([found.test(0), found.test(1)]).toEqual([true, true]);
  const targets = keys.map(() => new Uint8Array(4096));
  const loaded = await adapter.load(keys, targets);
  adapter.unlock(keys);
  expect([loaded.test(0), loaded.test(1)]).toEqual([true, true]);
  expect(targets).toEqual(objects);
}

describe("plugin type: loading an adapter class from an installed package", () => {
  it("creates the named class with (config, context) and the adapter works", async () => {
    const adapter = await registry.create(
      plugin("good-plugin", "GoodAdapter", { adapter_params: { capacity_objects: 3 } }),
    );
    try {
      const { config, context, argumentCount } = (adapter as any).constructorArgs;
      expect(argumentCount).toBe(2);
      expect(config.constructor.name).toBe("GoodAdapterConfig");
      expect(config.capacityObjects).toBe(3);
      expect(context.typeName).toBe("plugin");
      expect(typeof context.logger.warn).toBe("function");
      expect("l1MemoryDesc" in context).toBe(false);
      expect(Object.isFrozen(context)).toBe(true);
      expect(adapter.status().type).toBe("plugin");
      await roundTrip(adapter);
    } finally {
      await adapter.close();
    }
  });

  it("passes the L1 memory descriptor and tp rank in the context when there are some", async () => {
    const l1: L1MemoryDesc = { buffer: new ArrayBuffer(64), size: 64, alignBytes: 8 };
    const logger = { ...silentLogger };
    const adapter = await registry.create(plugin("good-plugin"), { l1MemoryDesc: l1, tpRank: 3, logger });
    const { context } = (adapter as any).constructorArgs;
    expect(context.l1MemoryDesc).toBe(l1);
    expect(context.tpRank).toBe(3);
    expect(context.logger).toBe(logger);
    await adapter.close();
  });

  it("config: the export named by config_class_name wins over <class_name>Config", async () => {
    const adapter = await registry.create(
      plugin("good-plugin", "GoodAdapter", {
        config_class_name: "OtherConfig",
        adapter_params: { label: "hi" },
      }),
    );
    const { config } = (adapter as any).constructorArgs;
    expect(config.constructor.name).toBe("OtherConfig");
    expect(config.label).toBe("hi");
    await adapter.close();
  });

  it("config: the class's static configClass when no export matches", async () => {
    const adapter = await registry.create(
      plugin("good-plugin", "StaticConfigAdapter", { adapter_params: { level: 5 } }),
    );
    const { config } = (adapter as any).constructorArgs;
    expect(config.type).toBe("static");
    expect(config.level).toBe(5);
    await adapter.close();
  });

  it("config: otherwise a frozen copy of the raw params", async () => {
    const params = { size: 4, nested: { deep: [1, 2] } };
    const adapter = await registry.create(plugin("good-plugin", "RawAdapter", { adapter_params: params }));
    const { config } = (adapter as any).constructorArgs;
    expect(config).toEqual(params);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.nested.deep)).toBe(true);
    await adapter.close();
  });

  it("config: a <class_name>Config export without fromDict is skipped", async () => {
    const adapter = await registry.create(
      plugin("good-plugin", "LooseAdapter", { adapter_params: { a: 1 } }),
    );
    expect((adapter as any).constructorArgs.config).toEqual({ a: 1 });
    await adapter.close();
  });

  it("parsing a plugin config imports nothing: a module that throws on load still parses", async () => {
    const config = await registry.parseConfig(plugin("throwing-plugin", "X", { adapter_params: { any: 1 } }));
    expect(config.type).toBe("plugin");
    const [fromArgs] = await registry.parseArgs([JSON.stringify(plugin("kvstash-l2-missing", "Y"))]);
    expect(fromArgs?.type).toBe("plugin");
  });

  it("honours the package's exports map with the import and node conditions, and subpaths", async () => {
    const root = await registry.create(plugin("conditional-plugin", "ConditionalAdapter"));
    await roundTrip(root);
    await root.close();
    const extra = await registry.create(plugin("conditional-plugin/extra", "ExtraAdapter"));
    await roundTrip(extra);
    await extra.close();
  });
});

describe("plugin type: failures have their own code and name the module or export", () => {
  it("PLUGIN_MODULE_NOT_FOUND: package not installed", async () => {
    const error = await createError(plugin("kvstash-l2-missing", "X"));
    expect(error.code).toBe("PLUGIN_MODULE_NOT_FOUND");
    expect(error.message).toBe(
      `plugin: module "kvstash-l2-missing" is not installed: package kvstash-l2-missing cannot be resolved from ${join(app.root, "package.json")}; run: npm install kvstash-l2-missing`,
    );
  });

  it("PLUGIN_MODULE_NOT_FOUND: package installed but its entry file missing (not built)", async () => {
    const error = await createError(plugin("unbuilt-plugin", "X"));
    expect(error.code).toBe("PLUGIN_MODULE_NOT_FOUND");
    expect(error.message).toBe(
      `plugin: module "unbuilt-plugin" resolves to ${join(app.root, "node_modules", "unbuilt-plugin", "dist", "index.js")}, which does not exist (is unbuilt-plugin built and completely installed?)`,
    );
  });

  it("PLUGIN_MODULE_NOT_FOUND: subpath not in the exports map", async () => {
    const error = await createError(plugin("conditional-plugin/wrong.cjs", "X"));
    expect(error.code).toBe("PLUGIN_MODULE_NOT_FOUND");
    expect(error.message).toBe(
      'plugin: module "conditional-plugin/wrong.cjs": package conditional-plugin@1.0.0 does not export "./wrong.cjs" in its "exports" map',
    );
  });

  it("PLUGIN_DEPENDENCY_MISSING: a package the module imports is not installed", async () => {
    const error = await createError(plugin("dep-missing-plugin", "NeedsDependency"));
    expect(error.code).toBe("PLUGIN_DEPENDENCY_MISSING");
    expect(error.message).toBe(
      'plugin: module "dep-missing-plugin" imports "not-installed-dependency-xyz", which is not installed; run: npm install not-installed-dependency-xyz',
    );
  });

  it("ADAPTER_LOAD_FAILED: the module throws while loading", async () => {
    const error = await createError(plugin("throwing-plugin", "X"));
    expect(error.code).toBe("ADAPTER_LOAD_FAILED");
    expect(error.message).toBe(
      'plugin: loading module "throwing-plugin" failed: Error: throwing-plugin refuses to load: missing STORAGE_URL',
    );
  });

  it("PLUGIN_EXPORT_NOT_FOUND lists the exports that exist", async () => {
    const error = await createError(plugin("good-plugin", "GodAdapter"));
    expect(error.code).toBe("PLUGIN_EXPORT_NOT_FOUND");
    expect(error.field).toBe("class_name");
    expect(error.message).toBe(
      'plugin: module "good-plugin" has no export "GodAdapter"; did you mean "GoodAdapter"? its exports: ExplodingAdapter, GoodAdapter, GoodAdapterConfig, HalfAdapter, ImpostorAdapter, LooseAdapter, LooseAdapterConfig, MapAdapter, NotAConfig, OtherConfig, RawAdapter, StaticConfigAdapter, ValidatingAdapter, adapterInstance, arrowFunction, default',
    );
  });

  it("PLUGIN_EXPORT_NOT_FOUND for a config_class_name that is missing or not a config class", async () => {
    const missing = await createError(
      plugin("good-plugin", "GoodAdapter", { config_class_name: "NopeConfig" }),
    );
    expect(missing.code).toBe("PLUGIN_EXPORT_NOT_FOUND");
    expect(missing.field).toBe("config_class_name");
    expect(missing.message).toMatch(
      /^plugin: module "good-plugin" has no export "NopeConfig" \(config_class_name\); did you mean "NotAConfig"\? its exports: ExplodingAdapter, /,
    );
    const notConfig = await createError(
      plugin("good-plugin", "GoodAdapter", { config_class_name: "NotAConfig" }),
    );
    expect(notConfig.code).toBe("PLUGIN_EXPORT_NOT_FOUND");
    expect(notConfig.message).toBe(
      'plugin: export "NotAConfig" of module "good-plugin" (config_class_name) is not a config class: it has no static fromDict',
    );
  });

  it("PLUGIN_NOT_AN_ADAPTER names the missing methods", async () => {
    const half = await createError(plugin("good-plugin", "HalfAdapter"));
    expect(half.code).toBe("PLUGIN_NOT_AN_ADAPTER");
    expect(half.message).toBe(
      'plugin: export "HalfAdapter" of module "good-plugin" is not an adapter class: its prototype lacks load, delete, listKeys, usage, status, addListener, close',
    );
    const config = await createError(plugin("good-plugin", "GoodAdapterConfig"));
    expect(config.code).toBe("PLUGIN_NOT_AN_ADAPTER");
    expect(config.message).toContain("its prototype lacks store, lookupAndLock");
  });

  it("PLUGIN_NOT_AN_ADAPTER for an instance, an arrow function, a type definition or a lying constructor", async () => {
    const cases: [string, string][] = [
      ["adapterInstance", "it is an adapter instance; export the class itself"],
      ["arrowFunction", "it is a function without a prototype (an arrow or async function), not a class"],
      ["default", "it is an object, not a class"],
    ];
    for (const [name, reason] of cases) {
      const error = await createError(plugin("good-plugin", name));
      expect(error.code).toBe("PLUGIN_NOT_AN_ADAPTER");
      expect(error.message).toBe(
        `plugin: export "${name}" of module "good-plugin" is not an adapter class: ${reason}`,
      );
    }
    const impostor = await createError(plugin("good-plugin", "ImpostorAdapter"));
    expect(impostor.code).toBe("PLUGIN_NOT_AN_ADAPTER");
    expect(impostor.message).toBe(
      'plugin: "ImpostorAdapter" from module "good-plugin" constructed an object without lookupAndLock, unlock, load, delete, listKeys, usage, status, addListener, close',
    );
  });

  it("PLUGIN_PARAMS_INVALID when the config class rejects adapter_params, with the field and help", async () => {
    const error = await createError(
      plugin("good-plugin", "GoodAdapter", { adapter_params: { capacity_objects: -2 } }),
    );
    expect(error.code).toBe("PLUGIN_PARAMS_INVALID");
    expect(error.field).toBe("adapter_params.capacity_objects");
    expect(error.message).toBe(
      'plugin: adapter_params rejected by export "GoodAdapterConfig" of module "good-plugin": field "adapter_params.capacity_objects": must be > 0 (got -2)',
    );
    expect(error.help).toContain("capacity_objects");
    const typo = await createError(
      plugin("good-plugin", "GoodAdapter", { adapter_params: { capacity_object: 2 } }),
    );
    expect(typo.code).toBe("PLUGIN_PARAMS_INVALID");
    expect(typo.message).toContain(
      'unknown key "adapter_params.capacity_object" for type "good"; did you mean "capacity_objects"?',
    );
  });

  it("PLUGIN_PARAMS_INVALID when a class without config class rejects raw params in its constructor", async () => {
    const error = await createError(
      plugin("good-plugin", "ValidatingAdapter", { adapter_params: { size: "big" } }),
    );
    expect(error.code).toBe("PLUGIN_PARAMS_INVALID");
    expect(error.field).toBe("adapter_params.size");
    expect(error.message).toBe(
      'plugin: adapter_params rejected by the constructor of "ValidatingAdapter" from module "good-plugin": field "adapter_params.size": must be a number (got "big")',
    );
  });

  it("ADAPTER_LOAD_FAILED when the constructor throws anything else", async () => {
    const error = await createError(plugin("good-plugin", "ExplodingAdapter"));
    expect(error.code).toBe("ADAPTER_LOAD_FAILED");
    expect(error.message).toBe(
      'plugin: constructing "ExplodingAdapter" from module "good-plugin" failed: cannot reach the storage service',
    );
  });

  it("a failure leaves every other plugin and the registry working", async () => {
    for (const bad of ["throwing-plugin", "dep-missing-plugin", "kvstash-l2-missing"]) {
      await createError(plugin(bad, "X"));
      const adapter = await registry.create(plugin("good-plugin"));
      await roundTrip(adapter);
      await adapter.close();
    }
    expect(await registry.listTypeNames()).toEqual(["plugin"]);
  });
});

describe("plugin type: file paths and URLs need allowModulePaths", () => {
  it("PLUGIN_MODULE_NOT_ALLOWED for a path or URL by default", async () => {
    const path = await createError(plugin("./local-plugin.js", "LocalAdapter"));
    expect(path.code).toBe("PLUGIN_MODULE_NOT_ALLOWED");
    expect(path.field).toBe("module_path");
    expect(path.message).toBe(
      'plugin: module_path "./local-plugin.js" is a file path; loading a file named in a config runs its code, so only installed package names are accepted unless module paths are allowed',
    );
    expect(path.hint).toContain("--allow-module-paths");
    const url = pathToFileURL(join(app.root, "local-plugin.js")).href;
    const byUrl = await createError(plugin(url, "LocalAdapter"));
    expect(byUrl.code).toBe("PLUGIN_MODULE_NOT_ALLOWED");
    expect(byUrl.message).toContain(`module_path "${url}" is a URL`);
  });

  it("loads relative paths (from the root), absolute paths and file URLs when allowed", async () => {
    const allowed = createL2AdapterRegistry({ root: app.root, allowModulePaths: true, logger: silentLogger });
    const absolute = join(app.root, "local-plugin.js");
    for (const modulePath of ["./local-plugin.js", absolute, pathToFileURL(absolute).href]) {
      const adapter = await allowed.create(plugin(modulePath, "LocalAdapter"));
      await roundTrip(adapter);
      await adapter.close();
    }
    const missing = await createError(plugin("./nope.js", "LocalAdapter"), allowed);
    expect(missing.code).toBe("PLUGIN_MODULE_NOT_FOUND");
    expect(missing.message).toBe(
      `plugin: module "./nope.js" resolves to ${join(app.root, "nope.js")}, which does not exist`,
    );
  });
});

describe("plugin type: shared keys next to adapter_params reach the plugin", () => {
  // createL2Adapter may wrap the plugin's adapter (eviction, persist_enabled); the plugin's own object is inside.
  const own = (adapter: L2Adapter) =>
    ((adapter as { inner?: L2Adapter }).inner ?? adapter) as L2Adapter & {
      constructorArgs: { config: Record<string, unknown> };
    };
  const eviction = { eviction_policy: "LRU", trigger_watermark: 0.5, eviction_ratio: 0.25 };

  it("a config class made with defineL2AdapterConfig parses them, so its config says what the registry acts on", async () => {
    const dict = plugin("good-plugin", "GoodAdapter", {
      adapter_params: { capacity_objects: 3 },
      eviction,
      persist_enabled: false,
    });
    const parsed = await registry.parseConfig(dict);
    expect(parsed.eviction).toEqual({ policy: "LRU", triggerWatermark: 0.5, evictionRatio: 0.25 });
    expect(parsed.persistEnabled).toBe(false);
    const adapter = await registry.create(dict, { logger: silentLogger });
    try {
      const config = own(adapter).constructorArgs.config;
      expect(config.capacityObjects).toBe(3);
      expect(config.eviction).toEqual({ policy: "LRU", triggerWatermark: 0.5, evictionRatio: 0.25 });
      expect(config.persistEnabled).toBe(false);
    } finally {
      await adapter.close();
    }
  });

  it("without shared keys the plugin's config has the defaults", async () => {
    const adapter = await registry.create(plugin("good-plugin", "GoodAdapter"), { logger: silentLogger });
    try {
      const config = own(adapter).constructorArgs.config;
      expect(config.eviction).toBeNull();
      expect(config.persistEnabled).toBe(true);
    } finally {
      await adapter.close();
    }
  });

  it("a shared key inside adapter_params is refused with the fix, since the registry would never see it", async () => {
    const error = await createError(plugin("good-plugin", "GoodAdapter", { adapter_params: { eviction } }));
    expect(error.code).toBe("PLUGIN_PARAMS_INVALID");
    expect(error.field).toBe("adapter_params.eviction");
    expect(error.message).toContain('field "adapter_params.eviction": shared keys');
    expect(error.hint).toBe('move "eviction" out of adapter_params to the top level');
  });

  it("raw params (no config class) are passed untouched", async () => {
    const adapter = await registry.create(
      plugin("good-plugin", "RawAdapter", { adapter_params: { size: 1 }, persist_enabled: false }),
      { logger: silentLogger },
    );
    try {
      expect(own(adapter).constructorArgs.config).toEqual({ size: 1 });
    } finally {
      await adapter.close();
    }
  });
});

describe("registry.resolve: what x-l2 check meets before creating", () => {
  it("imports the plugin's module, finds the export and parses adapter_params, constructing nothing", async () => {
    const ok = await registry.parseConfig(plugin("good-plugin", "GoodAdapter"));
    await expect(registry.resolve(ok)).resolves.toBeUndefined();
    const missing = await registry.parseConfig(plugin("good-plugin", "NoSuchAdapter"));
    await expect(registry.resolve(missing)).rejects.toMatchObject({
      code: "PLUGIN_EXPORT_NOT_FOUND",
      field: "class_name",
    });
    const exploding = await registry.parseConfig(plugin("good-plugin", "ExplodingAdapter"));
    await expect(registry.resolve(exploding)).resolves.toBeUndefined();
    const badParams = await registry.parseConfig(
      plugin("good-plugin", "GoodAdapter", { adapter_params: { capacity_objects: -1 } }),
    );
    await expect(registry.resolve(badParams)).rejects.toMatchObject({ code: "PLUGIN_PARAMS_INVALID" });
  });
});
