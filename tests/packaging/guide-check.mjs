// Follows docs/writing-an-adapter.md literally: writes every file the guide marks with
// `<!-- file: path -->`, typechecks and builds the adapter package with its own scripts, runs its tests
// (the conformance kit), packs it, installs the tarball into the application and runs the guide's
// application script there. Usage: node guide-check.mjs <repo> <workdir> <app>
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const [repo, work, app] = process.argv.slice(2);
const guide = readFileSync(join(repo, "docs", "writing-an-adapter.md"), "utf8");
const dir = join(work, "guide");
const files = [...guide.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)];
assert.ok(files.length >= 8, `the guide marks its files (found ${files.length})`);
for (const [, path, text] of files) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), `${text}\n`);
}
console.log(`guide files: ${files.map(([, p]) => p).join(", ")}`);

// The dev dependencies the guide's package.json lists, linked from the workspace instead of downloaded.
const pkg = join(dir, "my-l2-adapter");
const devDependencies = Object.keys(
  JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).devDependencies,
);
const workspace = {
  "@x/l2-core": join(repo, "packages", "core"),
  "@x/l2-testkit": join(repo, "packages", "testkit"),
  "@types/node": join(repo, "node_modules", "@types", "node"),
  tsup: join(repo, "node_modules", "tsup"),
  typescript: join(repo, "node_modules", "typescript"),
  vitest: join(repo, "node_modules", "vitest"),
};
assert.deepEqual(devDependencies.sort(), Object.keys(workspace).sort());
for (const [name, target] of Object.entries(workspace)) {
  mkdirSync(dirname(join(pkg, "node_modules", name)), { recursive: true });
  symlinkSync(target, join(pkg, "node_modules", name), "dir");
}
const bin = (name, file) => join(workspace[name], file);
const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
const run = (cwd, args) =>
  execFileSync(process.execPath, args, { cwd, env, encoding: "utf8", stdio: "pipe" });

run(pkg, [bin("typescript", "bin/tsc"), "-p", "tsconfig.json"]);
run(pkg, [bin("tsup", "dist/cli-default.js")]);
assert.ok(existsSync(join(pkg, "dist", "definition.js")), "npm run build produced dist/definition.js");
console.log("guide package: typecheck and build ok");

const out = run(pkg, [bin("vitest", "vitest.mjs"), "run", "--root", pkg]);
const summary = out.split("\n").find((l) => /^\s*Tests\s/.test(l)) ?? "";
assert.match(summary, /\d+ passed/, out);
assert.doesNotMatch(summary, /failed|skipped/, out);
console.log(`guide package tests (conformance kit): ${summary.trim()}`);

execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: pkg, stdio: "pipe" });
const tarball = readdirSync(work).find((f) => f.startsWith("my-l2-adapter-") && f.endsWith(".tgz"));
execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", join(work, tarball)], {
  cwd: app,
  stdio: "pipe",
});
writeFileSync(join(app, "try-memo.mjs"), readFileSync(join(dir, "my-app", "try-memo.mjs")));
const output = execFileSync(process.execPath, ["try-memo.mjs"], { cwd: app, encoding: "utf8" });
assert.equal(output, "memo comes from my-l2-adapter\nloaded: true, first byte 7\n");
console.log(`guide application script:\n${output.trimEnd()}`);

// The guide's CLI commands (section 8) in the same application.
const x2 = (...args) =>
  execFileSync("npx", ["--no-install", "x-l2", ...args], { cwd: app, encoding: "utf8" });
const rows = JSON.parse(x2("types", "--json"));
assert.deepEqual(
  rows.filter((r) => r.type === "memo").map((r) => [r.package, r.problem]),
  [["my-l2-adapter", null]],
);
assert.match(x2("describe", "memo"), /max_size_mb \(number, optional, default 64\)/);
x2("check", "--l2-adapter", '{"type":"memo","max_size_mb":16}');
x2(
  "check",
  "--l2-adapter",
  '{"type":"plugin","module_path":"my-l2-adapter","class_name":"MemoL2Adapter","adapter_params":{"max_size_mb":16}}',
);
x2(
  "bench",
  "--l2-adapter",
  '{"type":"plugin","module_path":"my-l2-adapter","class_name":"MemoL2Adapter","adapter_params":{"max_size_mb":16}}',
  "--num-keys",
  "16",
  "--chunk-size",
  "64KiB",
  "--rounds",
  "1",
);
console.log("guide CLI commands: types lists memo, describe memo, check memo, bench through plugin: ok");
