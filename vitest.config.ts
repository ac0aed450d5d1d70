import { defineConfig } from "vitest/config";

// One run from the root covers every package; each package is its own project.
export default defineConfig({
  test: {
    projects: ["packages/*", "examples/*"],
  },
});
