import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "pd", include: ["test/**/*.test.ts"] },
});
