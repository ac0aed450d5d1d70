import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/resp-definition.ts", "src/valkey-definition.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
