import { fileURLToPath } from "node:url";
import { createL2AdapterRegistry, isL2AdapterTypeDefinition, ObjectKey, silentLogger } from "@x/l2-core";
import { describe, expect, it } from "vitest";
import { MockL2Adapter, MockL2AdapterConfig, mockAdapterType } from "../src/index.js";

// The mock package itself is the application here: discovery reads its package.json "x-l2" field and
// imports the "./adapter" export from dist, exactly as for an installed package.
const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("mock through discovery", () => {
  it("is declared as type mock through package.json and loads from the ./adapter export", async () => {
    const registry = createL2AdapterRegistry({ root: packageDir, logger: silentLogger });
    expect(await registry.list()).toContainEqual(
      expect.objectContaining({
        type: "mock",
        source: "package",
        packageName: "@x/l2-mock",
        version: expect.any(String),
        entry: "./adapter",
        error: undefined,
        medium: "memory",
      }),
    );
    const definition = await registry.get("mock");
    expect(isL2AdapterTypeDefinition(definition)).toBe(true);
    expect(definition.type).toBe("mock");
    expect(definition.summary).toBe(MockL2AdapterConfig.summary);
  });

  it("parses --l2-adapter options and creates working adapters", async () => {
    const registry = createL2AdapterRegistry({ root: packageDir, logger: silentLogger });
    const configs = await registry.parseArgs([
      '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}',
      '{"type":"mock","max_size_gb":2,"mock_bandwidth_gb":20,"eviction":{"eviction_policy":"LRU"}}',
    ]);
    expect(configs.map((c) => c.toDict())).toEqual([
      { type: "mock", max_size_gb: 1, mock_bandwidth_gb: 10, persist_enabled: true, shared: false },
      {
        type: "mock",
        max_size_gb: 2,
        mock_bandwidth_gb: 20,
        persist_enabled: true,
        shared: false,
        eviction: { eviction_policy: "LRU", trigger_watermark: 0.8, eviction_ratio: 0.2 },
      },
    ]);
    const adapter = await registry.create(configs[1]!, { logger: silentLogger });
    expect(adapter.usage().totalCapacityBytes).toBe(2 * 2 ** 30);
    const key = new ObjectKey({ chunkHash: new Uint8Array([1]), modelName: "m", kvRank: 0x01000100 });
    expect(await adapter.store([key], [new Uint8Array([4, 5])])).toMatchObject({ ok: true, bytesWritten: 2 });
    await adapter.close();
  });

  it("a field error names the position and carries the mock help", async () => {
    const registry = createL2AdapterRegistry({ root: packageDir, logger: silentLogger });
    await expect(
      registry.parseArgs([
        '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}',
        '{"type":"mock","max_size_gb":1}',
      ]),
    ).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      position: 2,
      field: "mock_bandwidth_gb",
      help: MockL2AdapterConfig.help(),
    });
  });

  it("the index exports the same definition the package entry does", () => {
    expect(mockAdapterType.type).toBe("mock");
    const adapter = mockAdapterType.create(
      MockL2AdapterConfig.fromDict({ type: "mock", max_size_gb: 1, mock_bandwidth_gb: 1 }),
      { logger: silentLogger, typeName: "mock" },
    );
    expect(adapter).toBeInstanceOf(MockL2Adapter);
  });
});
