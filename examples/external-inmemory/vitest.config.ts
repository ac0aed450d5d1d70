import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "external-inmemory", include: ["test/**/*.test.ts"] },
});
