// Every packed package must be installable outside the workspace: no workspace: ranges left, the files
// its exports and bin point at present, and a README.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const problems = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith(".tgz"))) {
  const tarball = join(dir, file);
  const listing = new Set(execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n"));
  const json = JSON.parse(
    execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }),
  );
  const where = `${json.name} (${file})`;
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"]) {
    for (const [name, range] of Object.entries(json[field] ?? {})) {
      if (String(range).startsWith("workspace:"))
        problems.push(`${where}: ${field}.${name} is still ${range}`);
    }
  }
  const targets = [];
  const walk = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") for (const v of Object.values(value)) walk(v);
  };
  walk(json.exports);
  walk(json.bin);
  for (const target of targets) {
    if (!target.startsWith("./") || target.includes("*")) continue;
    if (!listing.has(`package/${target.slice(2)}`))
      problems.push(`${where}: ${target} is not in the tarball`);
  }
  if (!listing.has("package/README.md")) problems.push(`${where}: no README.md`);
  console.log(`packed ${where}: ${listing.size - 1} files`);
}
// --allow-incomplete reports instead of failing, for use while packages are still being written.
if (process.argv.includes("--allow-incomplete")) for (const p of problems) console.log(`NOTE: ${p}`);
else assert.deepEqual(problems, [], `tarball problems:\n${problems.join("\n")}`);
