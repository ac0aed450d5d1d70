import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "fs", include: ["test/**/*.test.ts"] },
});
