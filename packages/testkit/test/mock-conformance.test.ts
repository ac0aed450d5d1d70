import { fileURLToPath } from "node:url";
import { silentLogger } from "@x/l2-core";
import { MockL2Adapter, MockL2AdapterConfig } from "@x/l2-mock";
import { describeL2AdapterConformance, describeL2AdapterPackageConformance } from "../src/index.js";

// The reference adapter must pass every rule, through the same vitest registration adapter authors use.
describeL2AdapterConformance({
  name: "mock (reference adapter)",
  create: () =>
    new MockL2Adapter(MockL2AdapterConfig.fromDict({ type: "mock", max_size_gb: 1, mock_bandwidth_gb: 64 }), {
      logger: silentLogger,
    }),
});

describeL2AdapterPackageConformance({
  packageDir: fileURLToPath(new URL("../../mock", import.meta.url)),
});
