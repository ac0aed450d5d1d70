import { fileURLToPath } from "node:url";
import { silentLogger } from "@x/l2-core";
import { describeL2AdapterConformance, describeL2AdapterPackageConformance } from "@x/l2-testkit";
import { InMemoryL2Adapter, InMemoryL2AdapterConfig } from "../src/index.js";

// Room for the kit's largest chunks, and fast enough that the simulated bandwidth never dominates.
describeL2AdapterConformance({
  name: "kvstash-l2-inmemory",
  create: () =>
    new InMemoryL2Adapter(InMemoryL2AdapterConfig.fromDict({ max_size_gb: 1, mock_bandwidth_gb: 100 }), {
      typeName: "inmemory",
      logger: silentLogger,
    }),
});

// The same rules through the default bandwidth (10 GiB/s), as users get it with {"type":"inmemory"}.
describeL2AdapterConformance({
  name: "kvstash-l2-inmemory (defaults)",
  create: () => new InMemoryL2Adapter({}, { typeName: "inmemory", logger: silentLogger }),
});

// package.json "x-l2", exports and the built ./adapter entry agree.
describeL2AdapterPackageConformance({ packageDir: fileURLToPath(new URL("..", import.meta.url)) });
