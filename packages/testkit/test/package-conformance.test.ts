import { isL2Error } from "@x/l2-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTempDir, PACKAGE_CASE_IDS, packageConformanceCases, type TempDir } from "../src/index.js";
import {
  type FixtureChanges,
  GOOD_DEFINITION_JS,
  prepareFixtureRoot,
  writeFixturePackage,
} from "./support/fixture-package.js";

/** One broken package per package rule; each must fail exactly the rule it is named after. */
const BROKEN_PACKAGES: { rule: string; bug: string; changes: FixtureChanges }[] = [
  {
    rule: "package.manifest",
    bug: 'no "x-l2" field',
    changes: { packageJson: (j) => delete j["x-l2"] },
  },
  {
    rule: "package.manifest",
    bug: "unsupported contract 2",
    changes: { packageJson: (j) => (j["x-l2"].contract = 2) },
  },
  {
    rule: "package.exports-subpath",
    bug: "declared subpath missing from exports",
    changes: { packageJson: (j) => (j["x-l2"].adapters.fixture = "./missing") },
  },
  {
    rule: "package.exports-package-json",
    bug: 'exports without "./package.json"',
    changes: { packageJson: (j) => delete j.exports["./package.json"] },
  },
  {
    rule: "package.entry-built",
    bug: "not built (dist/definition.js missing)",
    changes: { definitionJs: null },
  },
  {
    rule: "package.definition-branded",
    bug: "default export is a plain object",
    changes: { definitionJs: 'export default { type: "fixture", create() {} };\n' },
  },
  {
    rule: "package.definition-type",
    bug: "package.json declares a type the definition does not have",
    changes: { packageJson: (j) => (j["x-l2"].adapters = { other: "./adapter" }) },
  },
  {
    rule: "package.help-and-schema",
    bug: "help() that does not name the type",
    changes: {
      definitionJs: `${GOOD_DEFINITION_JS}\nFixtureConfig.help = () => "no help";\n`,
    },
  },
  {
    rule: "package.example-parses",
    bug: "config example that fails its own schema",
    changes: {
      definitionJs: GOOD_DEFINITION_JS.replace("example: { size_gb: 1 }", "example: { size_gb: -1 }"),
    },
  },
  {
    rule: "package.discovery",
    bug: "package.json without a name (discovery cannot list it)",
    changes: { packageJson: (j) => delete j.name },
  },
  {
    rule: "package.peer-core",
    bug: "@x/l2-core as a plain dependency",
    changes: {
      packageJson: (j) => {
        delete j.peerDependencies;
        j.dependencies = { "@x/l2-core": "^0.1.0" };
      },
    },
  },
];

let root: TempDir;

beforeAll(async () => {
  root = await createTempDir("x-l2-package-fixtures-");
  await prepareFixtureRoot(root.path);
});

afterAll(async () => {
  await root.remove();
});

async function outcomes(packageDir: string): Promise<Map<string, unknown>> {
  const failures = new Map<string, unknown>();
  for (const c of packageConformanceCases({ packageDir })) {
    await c.run().then(
      () => undefined,
      (error: unknown) => failures.set(c.id, error),
    );
  }
  return failures;
}

describe("package checks", () => {
  it("a correct fixture package passes every package rule", async () => {
    const dir = await writeFixturePackage(root.path, "good");
    expect([...(await outcomes(dir)).entries()].map(([id, e]) => `${id}: ${String(e)}`)).toEqual([]);
  });

  it("every package rule has a broken package", () => {
    expect(PACKAGE_CASE_IDS.filter((id) => !BROKEN_PACKAGES.some((b) => b.rule === id))).toEqual([]);
  });

  BROKEN_PACKAGES.forEach((broken, i) => {
    it(`${broken.rule} fails for: ${broken.bug}`, async () => {
      const dir = await writeFixturePackage(root.path, `broken-${i}`, broken.changes);
      const failures = await outcomes(dir);
      expect(failures.has(broken.rule), `failed rules: ${[...failures.keys()].join(", ")}`).toBe(true);
    });
  });

  it("needs an absolute packageDir", () => {
    let thrown: unknown;
    try {
      packageConformanceCases({ packageDir: "relative/dir" });
    } catch (error) {
      thrown = error;
    }
    expect(isL2Error(thrown, "ARGUMENT_INVALID")).toBe(true);
    expect(String(thrown)).toContain("packageDir");
  });
});
