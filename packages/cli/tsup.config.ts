import { defineConfig } from "tsup";

export default defineConfig({
  // bin.ts is the `x-l2` command; tcp-peer.ts is the child process the loopback baseline forks;
  // bench-kit.ts is the helpers the repository's benches share (exported as @x/l2-cli/bench-kit).
  entry: {
    index: "src/index.ts",
    bin: "src/bin.ts",
    "bench-kit": "src/bench-kit.ts",
    "tcp-peer": "src/bench/tcp-peer.ts",
  },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts", "bench-kit": "src/bench-kit.ts" } },
  clean: true,
  sourcemap: true,
  target: "node20",
});
