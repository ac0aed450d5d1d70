import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createTempDir } from "../src/index.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const vitestBin = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

// A real vitest child process runs an author-style test file, so the exit code and reporter output are
// what an adapter author sees.
describe("describeL2AdapterConformance inside vitest", () => {
  it("a broken adapter fails its rule's test, the run exits non-zero, and the skip is listed with its reason", async () => {
    const out = await createTempDir();
    try {
      const report = join(out.path, "report.json");
      const exitCode = await new Promise<number | null>((resolve) => {
        execFile(
          process.execPath,
          [
            vitestBin,
            "run",
            "--config",
            "test/fixtures/vitest-suite/vitest.config.ts",
            "--reporter=json",
            `--outputFile=${report}`,
          ],
          { cwd: packageDir, timeout: 60_000 },
          (error) => resolve(error ? ((error as { code?: number }).code ?? null) : 0),
        );
      });
      expect(exitCode).toBe(1);
      const json = JSON.parse(await readFile(report, "utf8")) as JsonReport;
      const results = json.testResults.flatMap((f) => f.assertionResults);
      const byPrefix = (prefix: string) => results.filter((r) => r.title.startsWith(prefix));
      expect(byPrefix("lookup.bitmap-length:").map((r) => r.status)).toEqual(["failed"]);
      expect(byPrefix("lookup.bitmap-length:")[0]!.failureMessages.join("\n")).toContain(
        "returned a Bitmap of size 32 for 1 keys",
      );
      expect(
        byPrefix("skipped: chunks.all-zero — fixture: shows how a skip is reported").map((r) => r.status),
      ).toEqual(["skipped"]);
      // Rules the fault does not touch still pass: the failure is specific, not a crash of the suite.
      for (const id of [
        "store.empty-batch",
        "load.partial-is-miss",
        "usage.per-salt",
        "close.rejects-after-close",
      ]) {
        expect(
          byPrefix(`${id}:`).map((r) => r.status),
          id,
        ).toEqual(["passed"]);
      }
    } finally {
      await out.remove();
    }
  }, 90_000);
});
