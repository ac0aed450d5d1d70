import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, runCli, type TestApp } from "./run-cli.js";

let app: TestApp;
let bare: TestApp;

beforeAll(async () => {
  app = await createTestApp({ withMock: true, withAdapters: true });
  bare = await createTestApp({ withMock: false, withAdapters: false });
});
afterAll(async () => {
  await app.remove();
  await bare.remove();
});

interface Row {
  type: string;
  source: string;
  package: string | null;
  version: string | null;
  note: string | null;
  problem: { code: string; message: string } | null;
}

describe("x-l2 types", () => {
  it("lists the types an application's package.json provides, with package, version and problems", async () => {
    const run = await runCli(["types", "--json"], { cwd: app.dir });
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Row[];
    const byType = new Map(rows.map((row) => [row.type, row]));
    expect([...byType.keys()].sort()).toEqual(["corrupt", "future", "mock", "pathmock", "plugin"]);
    expect(byType.get("corrupt")).toMatchObject({
      source: "package",
      package: "corrupt-adapter",
      version: "3.1.4",
      problem: null,
    });
    expect(byType.get("mock")).toMatchObject({ source: "package", package: "@x/l2-mock", problem: null });
    expect(byType.get("future")!.problem?.code).toBe("ADAPTER_INCOMPATIBLE");
    expect(byType.get("future")!.version).toBe("9.0.0");
    expect(byType.get("plugin")).toMatchObject({ source: "code", package: "@x/l2-core" });
  });

  it("--root points at another application", async () => {
    const run = await runCli(["types", "--json", "--root", app.dir]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as Row[]).map((row) => row.type)).toContain("corrupt");
  });

  it("the text form shows a problem's code", async () => {
    const run = await runCli(["types"], { cwd: app.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^TYPE\s+PACKAGE\s+VERSION\s+MEDIUM\s+SOURCE\s+PROBLEM$/m);
    expect(run.stdout).toMatch(/^future\s+future-adapter\s+9\.0\.0\s+.*ADAPTER_INCOMPATIBLE/m);
    expect(run.stdout).toMatch(
      /^corrupt\s+corrupt-adapter\s+3\.1\.4\s+-\s+package\.json \(\.\/adapter\)\s+-$/m,
    );
    expect(run.stdout).toMatch(/^pathmock\s+path-adapter\s+1\.0\.0\s+file\s+package\.json/m);
  });

  it("an application without adapters still gets the mock, discovered from the CLI's own package", async () => {
    const run = await runCli(["types", "--json"], { cwd: bare.dir });
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Row[];
    expect(rows.map((row) => row.type)).toEqual(["mock", "plugin"]);
    expect(rows[0]).toMatchObject({ source: "package", package: "@x/l2-mock", note: "bundled with x-l2" });
    expect(rows[1]).toMatchObject({ source: "code", package: "@x/l2-core", note: "built into @x/l2-core" });
  });

  it("the application's own mock wins over the CLI's", async () => {
    const rows = JSON.parse((await runCli(["types", "--json"], { cwd: app.dir })).stdout) as Row[];
    expect(rows.find((row) => row.type === "mock")).toMatchObject({ source: "package", note: null });
  });
});

describe("x-l2 describe", () => {
  it("prints every field with type, default and required/optional", async () => {
    const run = await runCli(["describe", "mock"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("- max_size_gb (number, required)");
    expect(run.stdout).toContain("- persist_enabled (boolean, optional, default true)");
    expect(run.stdout).toContain(`--l2-adapter '{"type":"mock","max_size_gb":1,"mock_bandwidth_gb":10}'`);
  });

  it("--json-schema prints a JSON Schema", async () => {
    const run = await runCli(["describe", "mock", "--json-schema"]);
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as {
      type: string;
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["type", "max_size_gb", "mock_bandwidth_gb"]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(["max_size_gb", "mock_bandwidth_gb"]));
  });

  it("describes a third-party type discovered from the application", async () => {
    const run = await runCli(["describe", "corrupt"], { cwd: app.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("test-only: the mock adapter with one flipped byte");
  });

  it("an unknown type: the typed error on stderr, exit 2", async () => {
    const run = await runCli(["describe", "nosuch"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error \[ADAPTER_UNKNOWN\]: unknown adapter type "nosuch"/);
  });

  it("a type whose package is installed but not a dependency says how to add it (from the package's own x-l2 field)", async () => {
    const undeclared = await createTestApp({ withMock: false, withAdapters: false, withFs: "undeclared" });
    try {
      const run = await runCli(["describe", "fs", "--root", undeclared.dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("error [ADAPTER_NOT_INSTALLED]");
      expect(run.stderr).toContain("hint: npm install @x/l2-fs");
    } finally {
      await undeclared.remove();
    }
  });

  it("a type nothing installed declares is unknown: the CLI knows no package names", async () => {
    const run = await runCli(["describe", "fs", "--root", bare.dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error \[ADAPTER_UNKNOWN\]: unknown adapter type "fs"; known types: mock, plugin/,
    );
  });

  it("a type whose package declares an unsupported contract fails with that code", async () => {
    const run = await runCli(["describe", "future"], { cwd: app.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error [ADAPTER_INCOMPATIBLE]");
  });
});
