import { defineConfig } from "tsup";

export default defineConfig({
  // bin.ts is the `x-l2` command; tcp-peer.ts is the child process the loopback baseline forks.
  entry: { index: "src/index.ts", bin: "src/bin.ts", "tcp-peer": "src/bench/tcp-peer.ts" },
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  clean: true,
  sourcemap: true,
  target: "node20",
});
