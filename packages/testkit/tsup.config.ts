import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  // Peers and the one dependency stay imports: the adapter author's vitest and core must be the ones used.
  external: ["vitest", "@x/l2-core", "resolve.exports"],
});
