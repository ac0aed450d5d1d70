import { fileURLToPath } from "node:url";
import { silentLogger } from "@x/l2-core";
import { describeL2AdapterConformance, describeL2AdapterPackageConformance } from "@x/l2-testkit";
import { MockL2Adapter, MockL2AdapterConfig } from "../src/index.js";

// The shared conformance suite (@x/l2-testkit) and the package checks that discovery relies on.
const config = MockL2AdapterConfig.fromDict({ type: "mock", max_size_gb: 1, mock_bandwidth_gb: 64 });
describeL2AdapterConformance({
  name: "mock",
  create: () => new MockL2Adapter(config, { logger: silentLogger }),
});
describeL2AdapterPackageConformance({ packageDir: fileURLToPath(new URL("..", import.meta.url)) });
