import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createL2AdapterRegistry, type L2AdapterRegistry, silentLogger } from "../src/index.js";
import { adapterPackageJson, createFixtureApp, type FixtureApp, workingTypeModule } from "./fixture-app.js";

// Two real directories: an application, and a tool (like the x-l2 CLI) that ships adapters of its own.
let app: FixtureApp;
let tool: FixtureApp;
let registry: L2AdapterRegistry;

const typePackage = (name: string, types: Record<string, string>, media?: Record<string, string>) => {
  const json = adapterPackageJson(Object.fromEntries(Object.keys(types).map((t) => [t, `${t}.js`])));
  if (media) (json["x-l2"] as Record<string, unknown>).media = media;
  return {
    name,
    json,
    files: Object.fromEntries(
      Object.entries(types).map(([t, module]) => [`${t}.js`, workingTypeModule(module, t)]),
    ),
  };
};

beforeAll(async () => {
  app = await createFixtureApp([typePackage("app-shared-pkg", { shared: "app-shared" }, { shared: "file" })]);
  tool = await createFixtureApp([
    typePackage("tool-pkg", { tooltype: "tooltype", shared: "tool-shared" }, { tooltype: "memory" }),
    typePackage("tool-dev-pkg", { devonly: "devonly" }),
  ]);
  // The tool's dev dependencies are not installed beside it once published: discovery must not use them.
  const file = join(tool.root, "package.json");
  const json = JSON.parse(await readFile(file, "utf8"));
  json.devDependencies = { "tool-dev-pkg": json.dependencies["tool-dev-pkg"] };
  delete json.dependencies["tool-dev-pkg"];
  await writeFile(file, JSON.stringify(json));
  registry = createL2AdapterRegistry({ root: app.root, discoveryRoots: [tool.root], logger: silentLogger });
});
afterAll(async () => {
  await app.cleanup();
  await tool.cleanup();
});

describe("discovery roots: the application, then a tool's own package", () => {
  it("finds a further root's types, marked with that root, and the application's entries unmarked", async () => {
    const byType = new Map((await registry.list()).map((info) => [info.type, info]));
    expect(byType.get("tooltype")).toMatchObject({
      source: "package",
      packageName: "tool-pkg",
      medium: "memory",
      discoveryRoot: tool.root,
    });
    expect(byType.get("shared")?.discoveryRoot).toBeUndefined();
    expect((await registry.get("tooltype")).type).toBe("tooltype");
  });

  it("the application's declaration of a type wins over the tool's", async () => {
    const info = (await registry.list()).find((entry) => entry.type === "shared");
    expect(info).toMatchObject({ packageName: "app-shared-pkg", medium: "file" });
  });

  it("a further root's dev dependencies are not discovered; the application's are", async () => {
    expect(await registry.listTypeNames()).not.toContain("devonly");
    const toolAsApp = createL2AdapterRegistry({ root: tool.root, logger: silentLogger });
    expect(await toolAsApp.listTypeNames()).toContain("devonly");
  });

  it("without discoveryRoots only the application is read", async () => {
    const alone = createL2AdapterRegistry({ root: app.root, logger: silentLogger });
    expect(await alone.listTypeNames()).toEqual(["plugin", "shared"]);
    expect(alone.discoveryRoots).toEqual([app.root]);
  });

  it("a manifest whose media names an undeclared type or an unknown medium is an invalid manifest", async () => {
    const bad = await createFixtureApp([
      {
        name: "bad-media-pkg",
        json: { "x-l2": { contract: 1, adapters: { a: "./a" }, media: { a: "disk" } } },
      },
      {
        name: "stray-media-pkg",
        json: { "x-l2": { contract: 1, adapters: { b: "./b" }, media: { c: "file" } } },
      },
    ]);
    try {
      const infos = await createL2AdapterRegistry({ root: bad.root, logger: silentLogger }).list();
      const errors = infos.filter((info) => info.error).map((info) => info.error!.message);
      expect(errors).toEqual([
        'bad-media-pkg: "x-l2.media.a" must be one of memory, file, network, got "disk"',
        'stray-media-pkg: "x-l2.media.c" names a type that "x-l2.adapters" does not declare',
      ]);
    } finally {
      await bad.cleanup();
    }
  });
});
