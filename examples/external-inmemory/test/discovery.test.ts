import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createL2AdapterRegistry, isL2Error, ObjectKey, silentLogger } from "@x/l2-core";
import { describe, expect, it } from "vitest";

// The package root: its package.json declares the `inmemory` type, as an installed dependency's would.
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const registry = createL2AdapterRegistry({ root, logger: silentLogger });

async function roundTrip(dict: Record<string, unknown>) {
  const adapter = await registry.create(dict, { logger: silentLogger });
  const key = new ObjectKey({ chunkHash: new Uint8Array([1, 2, 3]), modelName: "m", kvRank: 0 });
  const data = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
  expect((await adapter.store([key], [data])).ok).toBe(true);
  expect((await adapter.lookupAndLock([key])).test(0)).toBe(true);
  const target = new Uint8Array(data.length);
  expect((await adapter.load([key], [target])).test(0)).toBe(true);
  adapter.unlock([key]);
  expect(target).toEqual(data);
  const status = adapter.status();
  await adapter.close();
  return status;
}

describe("kvstash-l2-inmemory as an installed package", () => {
  it("is discovered from package.json as its own type", async () => {
    const types = await registry.list();
    expect(types).toContainEqual(
      expect.objectContaining({
        type: "inmemory",
        source: "package",
        packageName: "kvstash-l2-inmemory",
        version: "0.1.0",
        entry: "./adapter",
        error: undefined,
        medium: "memory",
      }),
    );
    expect(await registry.describe("inmemory")).toContain("max_size_gb");
  });

  it('works as {"type":"inmemory"} with defaults', async () => {
    const status = await roundTrip({ type: "inmemory" });
    expect(status).toMatchObject({ type: "inmemory", maxCapacityBytes: 2 ** 29 });
  });

  it("works through the plugin type, its config class found by the <class_name>Config convention", async () => {
    const status = await roundTrip({
      type: "plugin",
      module_path: "kvstash-l2-inmemory",
      class_name: "InMemoryL2Adapter",
      adapter_params: { max_size_gb: 0.25 },
    });
    expect(status).toMatchObject({ type: "plugin", maxCapacityBytes: 2 ** 28 });
  });

  it("runs configs/l2-adapter-example.json", async () => {
    const dict = JSON.parse(await readFile(join(root, "configs", "l2-adapter-example.json"), "utf8"));
    const [config] = await registry.parseArgs([JSON.stringify(dict)]);
    expect(config?.type).toBe("plugin");
    const status = await roundTrip(dict);
    expect(status).toMatchObject({ maxCapacityBytes: 2 ** 30 });
  });

  it("reports bad adapter_params with PLUGIN_PARAMS_INVALID naming the field", async () => {
    const error = await registry
      .create({
        type: "plugin",
        module_path: "kvstash-l2-inmemory",
        class_name: "InMemoryL2Adapter",
        adapter_params: { max_size_gb: "big" },
      })
      .catch((e: unknown) => e);
    expect(isL2Error(error, "PLUGIN_PARAMS_INVALID")).toBe(true);
    expect((error as { field: string }).field).toBe("adapter_params.max_size_gb");
  });
});
