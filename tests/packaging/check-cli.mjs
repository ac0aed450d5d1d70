// `x-l2 types` in the application lists exactly the installed types. The CLI is @x/l2-cli's bin.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const bin = join("node_modules", ".bin", "x-l2");
const cliJson = JSON.parse(readFileSync(join("node_modules", "@x", "l2-cli", "package.json"), "utf8"));
const binFile = join("node_modules", "@x", "l2-cli", cliJson.bin?.["x-l2"] ?? "missing");
if (!existsSync(bin) || !existsSync(binFile)) {
  console.log("NOTE: @x/l2-cli has no built x-l2 bin yet; `x-l2 types` was not checked");
  process.exit(0);
}
const output = execFileSync("npx", ["--no-install", "x-l2", "types"], { encoding: "utf8" });
console.log(output.trimEnd());
const { listL2AdapterTypes } = await import("@x/l2-core");
const expected = (await listL2AdapterTypes()).map((t) => t.type);
for (const type of expected) {
  assert.match(output, new RegExp(`(^|\\s)${type}(\\s|$)`, "m"), `x-l2 types lists ${type}`);
}
for (const missing of ["pd", "redis"]) {
  assert.doesNotMatch(output, new RegExp(`^\\s*${missing}\\b`, "m"), `x-l2 types does not list ${missing}`);
}
console.log("check-cli passed");
