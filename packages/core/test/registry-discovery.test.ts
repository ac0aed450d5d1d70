import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createL2AdapterRegistry,
  defineL2AdapterConfig,
  defineL2AdapterType,
  FIRST_PARTY_ADAPTER_PACKAGES,
  isL2Error,
  type L2AdapterRegistry,
  type L2ErrorCode,
  type L2Logger,
  ObjectKey,
  registerL2AdapterType,
  silentLogger,
  z,
} from "../src/index.js";
import {
  adapterPackageJson,
  createFixtureApp,
  evaluated,
  type FixtureApp,
  plainDefinitionModule,
  probeModule,
  workingTypeModule,
} from "./fixture-app.js";

const execFileAsync = promisify(execFile);

const broken: Record<string, L2ErrorCode> = {
  "missing-entry": "ADAPTER_NOT_INSTALLED",
  "partial-build": "ADAPTER_NOT_INSTALLED",
  "dep-missing": "ADAPTER_DEPENDENCY_MISSING",
  future: "ADAPTER_INCOMPATIBLE",
  "contract-two": "ADAPTER_INCOMPATIBLE",
  "not-def": "ADAPTER_INVALID",
  "wrong-type": "ADAPTER_INVALID",
  "no-export": "ADAPTER_INVALID",
  throwing: "ADAPTER_LOAD_FAILED",
  syntax: "ADAPTER_LOAD_FAILED",
  "bad-manifest-pkg (invalid manifest)": "ADAPTER_INVALID",
};

let app: FixtureApp;
let registry: L2AdapterRegistry;
const warnings: string[] = [];
const logger: L2Logger = { ...silentLogger, warn: (m) => warnings.push(m) };

beforeAll(async () => {
  evaluated().length = 0;
  app = await createFixtureApp(
    [
      {
        name: "alpha-pkg",
        json: adapterPackageJson({ alpha: "alpha.js" }),
        files: { "alpha.js": workingTypeModule("alpha", "alpha") },
      },
      {
        name: "beta-pkg",
        json: adapterPackageJson({ beta: "beta.js", "beta-two": "beta-two.js" }),
        files: {
          "beta.js": workingTypeModule("beta", "beta"),
          "beta-two.js": workingTypeModule("beta-two", "beta-two"),
        },
      },
      {
        name: "plain-pkg",
        json: adapterPackageJson({ plain: "plain.js" }),
        files: { "plain.js": plainDefinitionModule("plain", "plain") },
      },
      {
        // ESM only: neither "./package.json" nor a require-able main is exported.
        name: "esm-only-pkg",
        json: {
          exports: { ".": { import: "./index.js" } },
          "x-l2": { contract: 1, adapters: { "esm-only": "." } },
        },
        files: { "index.js": workingTypeModule("esm-only", "esm-only") },
      },
      { name: "missing-entry-pkg", json: adapterPackageJson({ "missing-entry": "dist/adapter.js" }) },
      {
        name: "dep-missing-pkg",
        json: adapterPackageJson({ "dep-missing": "index.js" }),
        files: {
          "index.js": probeModule(
            "dep-missing",
            `import "x-l2-not-installed-dependency";\nexport default {};`,
          ),
        },
      },
      {
        // A partial build: the entry exists but a chunk it imports does not.
        name: "partial-build-pkg",
        json: adapterPackageJson({ "partial-build": "dist/adapter.js" }),
        files: {
          "dist/adapter.js": probeModule("partial-build", `export { default } from "./chunk-missing.js";`),
        },
      },
      {
        name: "future-pkg",
        json: adapterPackageJson({ future: "future.js" }, 2),
        files: { "future.js": workingTypeModule("future", "future") },
      },
      {
        name: "contract-two-pkg",
        json: adapterPackageJson({ "contract-two": "def.js" }),
        files: { "def.js": plainDefinitionModule("contract-two", "contract-two", 2) },
      },
      {
        name: "not-def-pkg",
        json: adapterPackageJson({ "not-def": "index.js" }),
        files: { "index.js": probeModule("not-def", `export default { type: "not-def", create() {} };`) },
      },
      {
        name: "wrong-type-pkg",
        json: adapterPackageJson({ "wrong-type": "index.js" }),
        files: { "index.js": plainDefinitionModule("wrong-type", "something-else") },
      },
      {
        name: "no-export-pkg",
        json: {
          exports: { "./package.json": "./package.json" },
          "x-l2": { contract: 1, adapters: { "no-export": "./nope" } },
        },
      },
      {
        name: "throwing-pkg",
        json: adapterPackageJson({ throwing: "index.js" }),
        files: { "index.js": probeModule("throwing", `throw new Error("boom while loading");`) },
      },
      {
        name: "syntax-pkg",
        json: adapterPackageJson({ syntax: "index.js" }),
        files: { "index.js": probeModule("syntax", "export default {") },
      },
      { name: "bad-manifest-pkg", json: { "x-l2": { contract: 1, adapters: ["alpha"] } } },
      { name: "malformed-json-pkg", json: "{ this is not json" },
      {
        name: "dup-pkg",
        json: adapterPackageJson({ alpha: "dup.js" }),
        files: { "dup.js": workingTypeModule("dup-alpha", "alpha") },
      },
      {
        name: "undeclared-pkg",
        json: adapterPackageJson({ undeclared: "index.js" }),
        files: { "index.js": workingTypeModule("undeclared", "undeclared") },
        dependency: false,
      },
    ],
    { withMock: true, extraDependencies: { "not-installed-at-all": "1.0.0" } },
  );
  registry = createL2AdapterRegistry({ root: app.root, logger });
});
afterAll(() => app.cleanup());

async function failure(promise: Promise<unknown>, code: L2ErrorCode): Promise<Error & Record<string, any>> {
  try {
    await promise;
  } catch (error) {
    expect(isL2Error(error), String(error)).toBe(true);
    expect((error as { code: string }).code, String(error)).toBe(code);
    return error as Error & Record<string, any>;
  }
  throw new Error(`expected ${code}`);
}

describe("discovery from the application's package.json (lazy)", () => {
  it("lists every declared type from package.json files alone, evaluating no adapter module", async () => {
    const list = await registry.list();
    const types = list.map((t) => t.type);
    expect(types).toEqual(
      [
        "alpha",
        "bad-manifest-pkg (invalid manifest)",
        "beta",
        "beta-two",
        "contract-two",
        "dep-missing",
        "esm-only",
        "future",
        "missing-entry",
        "mock",
        "no-export",
        "not-def",
        "partial-build",
        "plain",
        "plugin",
        "syntax",
        "throwing",
        "wrong-type",
      ].sort(),
    );
    expect(evaluated()).toEqual([]);
    expect(list.find((t) => t.type === "alpha")).toMatchObject({
      source: "package",
      packageName: "alpha-pkg",
      version: "1.0.0",
      entry: "./alpha",
    });
    expect(list.find((t) => t.type === "mock")).toMatchObject({
      packageName: "@x/l2-mock",
      entry: "./adapter",
    });
    expect(list.find((t) => t.type === "plugin")).toMatchObject({ source: "code" });
    // Problems visible without importing are reported in the listing.
    expect(list.find((t) => t.type === "future")?.error?.code).toBe("ADAPTER_INCOMPATIBLE");
    expect(list.find((t) => t.type.startsWith("bad-manifest"))?.error?.code).toBe("ADAPTER_INVALID");
    // Two packages declaring "alpha": the first dependency wins, with a warning.
    expect(warnings.join("\n")).toMatch(/"alpha" is declared by alpha-pkg and dup-pkg/);
  });

  it("a package in node_modules that the application does not depend on is not discovered; the error names it", async () => {
    expect(await registry.listTypeNames()).not.toContain("undeclared");
    const error = await failure(registry.get("undeclared"), "ADAPTER_NOT_INSTALLED");
    expect(error.message).toContain("provided by undeclared-pkg, which is installed but not a dependency");
    expect(error.hint).toBe("npm install undeclared-pkg");
  });

  it("requesting mock evaluates no other adapter package, and the mock works", async () => {
    const definition = await registry.get("mock");
    expect(definition.type).toBe("mock");
    expect(evaluated()).toEqual([]);
    const adapter = await registry.create(
      { type: "mock", max_size_gb: 0.001, mock_bandwidth_gb: 100 },
      { logger: silentLogger },
    );
    const key = new ObjectKey({ chunkHash: new Uint8Array([1]), modelName: "m", kvRank: 0x01000100 });
    expect((await adapter.store([key], [new Uint8Array([1, 2, 3])])).ok).toBe(true);
    const target = new Uint8Array(3);
    expect((await adapter.load([key], [target])).test(0)).toBe(true);
    expect([...target]).toEqual([1, 2, 3]);
    await adapter.close();
    expect(evaluated()).toEqual([]);
  });

  it("requesting one type evaluates only that type's module (not its package's other types)", async () => {
    const [a, b] = await Promise.all([registry.get("beta"), registry.get("beta")]);
    expect(a).toBe(b);
    expect(evaluated()).toEqual(["beta"]);
    await registry.get("alpha");
    expect(evaluated()).toEqual(["beta", "alpha"]);
  });

  it("finds an ESM-only package that exports neither package.json nor a require-able main", async () => {
    const definition = await registry.get("esm-only");
    expect(definition.type).toBe("esm-only");
    expect(evaluated()).toContain("esm-only");
  });

  it("describe and create work for a discovered type", async () => {
    expect(await registry.describe("alpha")).toContain("- slots (integer, required): how many objects fit");
    const adapter = await registry.create({ type: "alpha", slots: 2 }, { logger: silentLogger });
    expect(adapter.type).toBe("alpha");
    expect(adapter.status()).toMatchObject({ healthy: true, type: "alpha" });
    await adapter.close();
  });

  it("recognises a definition by its brand, not instanceof (a plain object from another copy)", async () => {
    const definition = await registry.get("plain");
    expect(definition.type).toBe("plain");
    expect((await registry.parseConfig({ type: "plain" })).type).toBe("plain");
  });
});

describe("broken packages: each yields its code, nothing else breaks", () => {
  it.each(Object.entries(broken))("%s → %s", async (type, code) => {
    const before = evaluated().length;
    const error = await failure(registry.get(type), code);
    expect(error.adapterType).toBe(type);
    expect(error.message).toContain(type.replace(" (invalid manifest)", ""));
    // describe and parseConfig report the same code for that type.
    await failure(registry.describe(type), code);
    const parse = await failure(registry.parseArgs([JSON.stringify({ type })]), code);
    expect(parse.position).toBe(1);
    // A package whose contract is known to be incompatible is never even imported.
    if (type === "future" || type === "missing-entry" || type === "no-export" || type.endsWith("manifest)")) {
      expect(evaluated().length).toBe(before);
    }
    // Every other type still works after this failure.
    expect((await registry.get("alpha")).type).toBe("alpha");
    expect((await registry.list()).length).toBeGreaterThan(10);
    expect(await registry.describe("mock")).toContain("max_size_gb");
  });

  it("messages say what to do", async () => {
    expect((await failure(registry.get("missing-entry"), "ADAPTER_NOT_INSTALLED")).hint).toContain(
      "npm install missing-entry-pkg",
    );
    const dep = await failure(registry.get("dep-missing"), "ADAPTER_DEPENDENCY_MISSING");
    expect(dep.message).toContain("x-l2-not-installed-dependency");
    expect(dep.hint).toBe("npm install x-l2-not-installed-dependency");
    expect((await failure(registry.get("throwing"), "ADAPTER_LOAD_FAILED")).message).toContain(
      "boom while loading",
    );
    expect((await failure(registry.get("future"), "ADAPTER_INCOMPATIBLE")).message).toMatch(/contract 2/);
    expect((await failure(registry.get("wrong-type"), "ADAPTER_INVALID")).message).toContain(
      "something-else",
    );
    expect((await failure(registry.get("no-export"), "ADAPTER_INVALID")).hint).toContain('"./nope"');
  });

  it("a failed load is not retried: the cached failure stands even after the file appears", async () => {
    await failure(registry.get("missing-entry"), "ADAPTER_NOT_INSTALLED");
    const dir = app.packageDir("missing-entry-pkg");
    await mkdir(join(dir, "dist"), { recursive: true });
    await writeFile(join(dir, "dist", "adapter.js"), workingTypeModule("missing-entry", "missing-entry"));
    await failure(registry.get("missing-entry"), "ADAPTER_NOT_INSTALLED");
    expect(evaluated()).not.toContain("missing-entry");
  });

  it("in plain Node (no test-runner module cache): same registry keeps the failure, a new one loads", async () => {
    // The package's entry file exists from the previous test; write a second package that appears late.
    const script = `
      import { createL2AdapterRegistry, silentLogger } from "@x/l2-core";
      import { mkdirSync, writeFileSync } from "node:fs";
      const dir = ${JSON.stringify(join(app.packageDir("missing-entry-pkg"), "dist"))};
      const file = dir + "/adapter.js";
      const text = (await import("node:fs")).readFileSync(file, "utf8");
      (await import("node:fs")).rmSync(file);
      const registry = createL2AdapterRegistry({ logger: silentLogger });
      const first = await registry.get("missing-entry").then(() => "loaded", (e) => e.code);
      writeFileSync(file, text);
      const second = await registry.get("missing-entry").then(() => "loaded", (e) => e.code);
      const fresh = await createL2AdapterRegistry({ logger: silentLogger }).get("missing-entry").then((d) => d.type, (e) => e.code);
      console.log(JSON.stringify({ first, second, fresh, evaluated: globalThis.__x_l2_evaluated ?? [] }));
    `;
    const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: app.root,
    });
    expect(JSON.parse(stdout)).toEqual({
      first: "ADAPTER_NOT_INSTALLED",
      second: "ADAPTER_NOT_INSTALLED",
      fresh: "missing-entry",
      evaluated: ["missing-entry"],
    });
  });

  it("the throwing module was evaluated once although it was requested many times", () => {
    expect(evaluated().filter((name) => name === "throwing")).toEqual(["throwing"]);
  });

  it("core knows no package names: a type nothing installed declares is ADAPTER_UNKNOWN", async () => {
    for (const type of ["fs", "pd"]) await failure(registry.get(type), "ADAPTER_UNKNOWN");
    expect(Object.isFrozen(FIRST_PARTY_ADAPTER_PACKAGES)).toBe(true);
  });

  it("an unknown type is ADAPTER_UNKNOWN listing the known types, also for Object.prototype names", async () => {
    for (const type of ["nope", "constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const error = await failure(registry.get(type), "ADAPTER_UNKNOWN");
      expect(error.message).toContain("known types: alpha, bad-manifest-pkg (invalid manifest), beta");
      expect(error.message).toContain("mock");
    }
  });
});

describe("registration in code", () => {
  const makeType = (type: string, contract?: number) =>
    defineL2AdapterType({
      configClass: defineL2AdapterConfig(type, z.object({}), { summary: `code type ${type}`, example: {} }),
      create: () => ({}) as never,
      ...(contract === undefined ? {} : { contract }),
    });

  it("a duplicate type is ADAPTER_DUPLICATE (plugin is built in)", () => {
    const local = createL2AdapterRegistry({ discover: false, logger: silentLogger });
    local.register(makeType("one"));
    expect(() => local.register(makeType("one"))).toThrow(
      expect.objectContaining({ code: "ADAPTER_DUPLICATE" }),
    );
    expect(() => local.register(makeType("plugin"))).toThrow(
      expect.objectContaining({ code: "ADAPTER_DUPLICATE" }),
    );
  });

  it("registerL2AdapterType on the default registry rejects a duplicate", () => {
    const type = `default-dup-${process.pid}`;
    registerL2AdapterType(makeType(type));
    try {
      registerL2AdapterType(makeType(type));
      expect.unreachable();
    } catch (error) {
      expect(isL2Error(error, "ADAPTER_DUPLICATE")).toBe(true);
      expect((error as Error).message).toContain(type);
    }
  });

  it("rejects a non-definition and an incompatible contract", () => {
    const local = createL2AdapterRegistry({ discover: false, logger: silentLogger });
    expect(() => local.register({ type: "x" } as never)).toThrow(
      expect.objectContaining({ code: "ADAPTER_INVALID" }),
    );
    expect(() => local.register(makeType("two", 2))).toThrow(
      expect.objectContaining({ code: "ADAPTER_INCOMPATIBLE" }),
    );
  });

  it("a code type is listed as such and needs no discovery", async () => {
    const local = createL2AdapterRegistry({
      discover: false,
      logger: silentLogger,
      types: [makeType("code-only")],
    });
    expect(await local.list()).toEqual([
      { type: "code-only", source: "code" },
      { type: "plugin", source: "code", builtIn: true },
    ]);
  });

  it("create rejects an adapter object without the contract's methods", async () => {
    const local = createL2AdapterRegistry({
      discover: false,
      logger: silentLogger,
      types: [makeType("hollow")],
    });
    const error = await failure(local.create({ type: "hollow" }), "ADAPTER_INVALID");
    expect(error.message).toContain("store");
  });

  it("an application without package.json only has code types", async () => {
    const local = createL2AdapterRegistry({
      root: join(app.root, "node_modules", "nowhere"),
      logger: silentLogger,
    });
    expect(await local.listTypeNames()).toEqual(["plugin"]);
  });
});
