import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createL2AdapterRegistry, L2AdapterBase, ObjectKey, silentLogger } from "../../src/index.js";
import { createTempApp, type TempApp } from "./temp-app.js";

let app: TempApp;

beforeAll(async () => {
  app = await createTempApp(["second-copy-plugin"]);
});
afterAll(() => app.cleanup());

describe("plugin type with a plugin built on its own copy of @x/l2-core", () => {
  it("accepts the class by its shape, parses params with its config class, and the adapter works", async () => {
    const nested = join(app.root, "node_modules", "second-copy-plugin", "node_modules", "@x", "l2-core");
    const pluginModule = await import(join(app.root, "node_modules", "second-copy-plugin", "index.js"));
    // Really a different copy: the plugin's base class is not ours, so `instanceof` would reject it.
    expect(pluginModule.SecondCoreBase).not.toBe(L2AdapterBase);
    expect(await realpath(nested)).toBe(nested);

    const registry = createL2AdapterRegistry({ root: app.root, logger: silentLogger });
    const adapter = await registry.create({
      type: "plugin",
      module_path: "second-copy-plugin",
      class_name: "SecondCopyAdapter",
      adapter_params: { tag: "nested" },
    });
    expect(adapter).not.toBeInstanceOf(L2AdapterBase);
    expect(adapter).toBeInstanceOf(pluginModule.SecondCoreBase);
    const config = (adapter as any).config;
    expect(config.constructor.name).toBe("SecondCopyAdapterConfig");
    expect(config.tag).toBe("nested");

    // Keys and bitmaps cross the copies by brand and shape.
    const key = new ObjectKey({ chunkHash: new Uint8Array([9, 9]), modelName: "m", kvRank: 1 });
    const bytes = new Uint8Array(1024).fill(5);
    expect(await adapter.store([key], [bytes])).toMatchObject({ ok: true, bytesWritten: 1024 });
    expect((await adapter.lookupAndLock([key])).test(0)).toBe(true);
    const target = new Uint8Array(1024);
    expect((await adapter.load([key], [target])).test(0)).toBe(true);
    expect(target).toEqual(bytes);

    // Errors from the other copy are recognised too.
    const error = await registry
      .create({
        type: "plugin",
        module_path: "second-copy-plugin",
        class_name: "SecondCopyAdapter",
        adapter_params: { tag: 7 },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PLUGIN_PARAMS_INVALID", field: "adapter_params.tag" });
    await adapter.close();
    await expect(adapter.store([key], [bytes])).rejects.toMatchObject({ code: "ADAPTER_CLOSED" });
  });
});
