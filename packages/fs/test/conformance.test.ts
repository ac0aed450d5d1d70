import { fileURLToPath } from "node:url";
import { silentLogger } from "@x/l2-core";
import { describeL2AdapterConformance, describeL2AdapterPackageConformance } from "@x/l2-testkit";
import { FsL2Adapter, FsL2AdapterConfig } from "../src/index.js";

describeL2AdapterConformance({
  name: "fs",
  capabilities: { listKeys: true },
  create: async (env) =>
    FsL2Adapter.open(FsL2AdapterConfig.fromDict({ type: "fs", base_path: await env.tempDir() }), {
      logger: silentLogger,
    }),
});

describeL2AdapterPackageConformance({ packageDir: fileURLToPath(new URL("..", import.meta.url)) });
