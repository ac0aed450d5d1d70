import { REQUIRED_ADAPTER_METHODS } from "@x/l2-core";
import { expect } from "vitest";
import { randomBytes } from "../bytes.js";
import type { CaseDefinition } from "../conformance-case.js";

export const shapeCases: CaseDefinition[] = [
  {
    id: "shape.methods",
    rule: "the adapter has every L2Adapter method, a type name, capabilities and closed = false",
    async run(ctx) {
      const adapter = await ctx.adapter();
      for (const method of REQUIRED_ADAPTER_METHODS) {
        expect(typeof adapter[method], `adapter.${method}`).toBe("function");
      }
      expect(typeof adapter.type, "adapter.type").toBe("string");
      expect(adapter.type.length, "adapter.type length").toBeGreaterThan(0);
      expect(typeof adapter.capabilities?.listKeys, "adapter.capabilities.listKeys").toBe("boolean");
      expect(adapter.closed, "adapter.closed of a new adapter").toBe(false);
    },
  },
  {
    id: "status.healthy-and-type",
    rule: "status() reports healthy (true for a new adapter) and the adapter's type",
    async run(ctx) {
      const adapter = await ctx.adapter();
      const status = adapter.status();
      expect(status.healthy, "status().healthy of a new adapter").toBe(true);
      expect(status.type, "status().type").toBe(adapter.type);
      await adapter.store([ctx.key()], [randomBytes(10)]);
      expect(typeof adapter.status().healthy, "status().healthy after a store").toBe("boolean");
    },
  },
];
