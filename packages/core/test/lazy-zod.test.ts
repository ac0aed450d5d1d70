import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const execFileAsync = promisify(execFile);
const coreDir = join(dirname(fileURLToPath(import.meta.url)), "..");

// A fresh process on the built entry, so nothing vitest loaded counts: zod is evaluated only when a
// schema is first needed, not by importing core or listing types.
const probe = `
import { createRequire } from "node:module";
const core = await import(${JSON.stringify(join(coreDir, "dist/index.js"))});
const zodLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\\\/]zod[\\\\/]/.test(f));
const registry = core.createL2AdapterRegistry({ root: process.argv[1], logger: core.silentLogger });
const names = await registry.listTypeNames();
const afterList = zodLoaded();
const schema = core.z.object({ a: core.z.number() });
const parsed = schema.parse({ a: 1 });
console.log(JSON.stringify({ names, afterList, afterSchema: zodLoaded(), parsed, isZod: typeof core.z.string }));
`;

describe("core entry loads zod lazily", () => {
  it("importing core and listing types evaluate no zod; the exported z works on first use", async () => {
    const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", probe, coreDir]);
    const result = JSON.parse(stdout);
    expect(result.names).toContain("plugin");
    expect(result.afterList).toBe(false);
    expect(result.afterSchema).toBe(true);
    expect(result.parsed).toEqual({ a: 1 });
    expect(result.isZod).toBe("function");
  });
});
