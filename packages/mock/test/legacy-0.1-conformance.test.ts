import { createL2AdapterRegistry, defineL2AdapterType, ObjectKey, silentLogger } from "@x/l2-core";
import { describeL2AdapterConformance } from "@x/l2-testkit";
import { describe, expect, it } from "vitest";
import { MockL2AdapterConfig } from "../src/index.js";
import { Legacy01MockAdapter } from "./fixtures/legacy-0.1-adapter.js";

// An adapter written the 0.1 way (own locks, own counting, notify* calls) passes the whole kit on the 0.2 base.
const config = MockL2AdapterConfig.fromDict({ type: "mock", max_size_gb: 1, mock_bandwidth_gb: 64 });
describeL2AdapterConformance({
  name: "mock written against 0.1",
  create: () => new Legacy01MockAdapter(config, { logger: silentLogger }),
});

const key = (n: number) => new ObjectKey({ chunkHash: new Uint8Array([n]), modelName: "m", kvRank: 0 });

describe("a 0.1 adapter on the 0.2 base", () => {
  it("is counted once per key even when it reports a key stored twice", async () => {
    const adapter = new Legacy01MockAdapter(config, { logger: silentLogger });
    await adapter.store([key(1)], [new Uint8Array(10)]);
    await adapter.store([key(1)], [new Uint8Array(10)]);
    expect(adapter.usage().totalBytesUsed).toBe(10);
    await adapter.close();
  });

  it("gets eviction from a config string through createL2Adapter like any other", async () => {
    const registry = createL2AdapterRegistry({ discover: false, logger: silentLogger });
    registry.register(
      defineL2AdapterType({
        configClass: MockL2AdapterConfig,
        create: (c, context) => new Legacy01MockAdapter(c, context),
      }),
    );
    const chunk = 64 * 1024;
    const adapter = await registry.create({
      type: "mock",
      max_size_gb: (4 * chunk) / 2 ** 30,
      mock_bandwidth_gb: 64,
      eviction: { eviction_policy: "LRU" },
    });
    for (let i = 0; i < 10; i++) {
      expect((await adapter.store([key(i)], [new Uint8Array(chunk).fill(i)])).ok).toBe(true);
    }
    const present = await adapter.lookupAndLock([...Array(10).keys()].map(key));
    adapter.unlock([...Array(10).keys()].map(key));
    expect(present.toString()).toBe("0000001111");
    await adapter.close();
  });
});
