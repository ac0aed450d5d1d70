#!/usr/bin/env node
// How long a fresh process takes to import @x/l2-core and list the installed adapter types (what
// `x-l2 types` and a server's start-up pay before any schema is needed), against importing zod alone
// (which the core entry evaluated eagerly before 0.2), interleaved A B A B in fresh processes.
//   node scripts/bench-core-import.mjs [--runs 15] [--root <app dir>]   (after pnpm build)
// Each figure is measured in-process with performance.now() around the import and the listing; the
// medians are printed, with whether zod was evaluated by the listing.
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "@x/l2-cli/bench-kit";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(arg("runs", "15"));
const root = resolve(arg("root", join(here, "..")));
const coreEntry = pathToFileURL(join(here, "..", "packages", "core", "dist", "index.js")).href;
const zodEntry = pathToFileURL(
  execFileSync(
    process.execPath,
    ["-p", `require.resolve("zod", { paths: [${JSON.stringify(join(here, "..", "packages", "core"))}] })`],
    {
      encoding: "utf8",
    },
  ).trim(),
).href;

const coreProbe = `
import { createRequire } from "node:module";
const t0 = performance.now();
const core = await import(${JSON.stringify(coreEntry)});
const t1 = performance.now();
const names = await core.createL2AdapterRegistry({ root: ${JSON.stringify(root)}, logger: core.silentLogger }).listTypeNames();
const t2 = performance.now();
const zod = Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\\\/]zod[\\\\/]/.test(f));
console.log(JSON.stringify({ importMs: t1 - t0, listMs: t2 - t1, totalMs: t2 - t0, names, zod }));
`;
const zodProbe = `
const t0 = performance.now();
await import(${JSON.stringify(zodEntry)});
console.log(JSON.stringify({ totalMs: performance.now() - t0 }));
`;
const run = (probe) =>
  JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" }));

const core = [];
const zod = [];
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first, so a slow moment on this shared machine hits both alike.
  if (i % 2 === 0) {
    core.push(run(coreProbe));
    zod.push(run(zodProbe));
  } else {
    zod.push(run(zodProbe));
    core.push(run(coreProbe));
  }
}
const m = (list, key) => median(list.map((r) => r[key])).toFixed(1);
console.log(`types listed: ${core[0].names.join(", ")} (root ${root})`);
console.log(`zod evaluated by import + listing: ${core.some((r) => r.zod) ? "yes" : "no"}`);
console.log(
  `import @x/l2-core + list types: median ${m(core, "totalMs")} ms (import ${m(core, "importMs")} ms, list ${m(core, "listMs")} ms) over ${RUNS} fresh processes`,
);
console.log(`baseline, import zod alone: median ${m(zod, "totalMs")} ms, interleaved with the above`);
