import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "resp", include: ["test/**/*.test.ts"] },
});
