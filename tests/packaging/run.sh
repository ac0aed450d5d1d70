#!/usr/bin/env bash
# Packaging proof, run explicitly (CI: bash tests/packaging/run.sh). Packs every workspace package with
# pnpm (workspace: ranges become real ones), installs @x/l2-core, @x/l2-cli, @x/l2-fs, @x/l2-mock, @x/l2-resp,
# @x/l2-storage, the
# third-party example and the failure fixtures from tarballs with npm into a fresh application outside
# the workspace, then checks there: the listed types, a round trip through each type, every failure's
# exact code and message, the CLI, and that a project bundling core with esbuild gets no warning.
# SKIP_BUILD=1 skips the turbo build; KEEP_APP=1 keeps the temporary application for inspection;
# ALLOW_INCOMPLETE=1 reports tarball problems (missing README, bin, exported file) without failing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/x-l2-packaging-XXXXXX")"
if [ "${KEEP_APP:-0}" = "1" ]; then echo "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
start=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - start )) s)"; }

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  step "build"
  (cd "$repo" && pnpm turbo run build --output-logs=errors-only >/dev/null)
fi

step "pack every package"
mkdir -p "$work/tarballs" "$work/fixtures" "$work/app"
for dir in "$repo"/packages/*/ "$repo"/examples/*/; do
  (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
for dir in "$here"/fixtures/l2-fixture-*/; do
  (cd "$dir" && npm pack --silent --pack-destination "$work/fixtures" >/dev/null)
done
node "$here/check-tarballs.mjs" "$work/tarballs" ${ALLOW_INCOMPLETE:+--allow-incomplete}

step "install from tarballs into a fresh application"
tarball() { ls "$work/tarballs/$1"-[0-9]*.tgz; }
cd "$work/app"
cat >package.json <<'JSON'
{ "name": "x-l2-packaging-app", "version": "1.0.0", "private": true, "type": "module" }
JSON
# Fixtures only exercise the loader; --legacy-peer-deps keeps npm from resolving their core peer again.
npm install --no-audit --no-fund --loglevel=error \
  "$(tarball x-l2-core)" "$(tarball x-l2-mock)" "$(tarball x-l2-fs)" "$(tarball x-l2-cli)" \
  "$(tarball x-l2-storage)" \
  "$(tarball kvstash-l2-inmemory)" "$(tarball x-l2-resp)"
npm install --no-audit --no-fund --loglevel=error --legacy-peer-deps "$work"/fixtures/*.tgz
cp "$here/fixtures/local/local-adapter.js" "$here/check-app.mjs" "$here/check-cli.mjs" "$here/bundle-check.mjs" \
  "$here/bundle-entry.mjs" "$here/check-storage.mjs" .

step "types, round trips and failures (node script)"
node check-app.mjs

step "CLI"
node check-cli.mjs

step "storage manager (node script)"
node check-storage.mjs

step "bundling core with esbuild"
esbuild_dir="$(cd "$repo" && node -e '
  const { createRequire } = require("node:module");
  const fromTsup = createRequire(require.resolve("tsup/package.json"));
  console.log(require("node:path").dirname(fromTsup.resolve("esbuild/package.json")));
')"
node bundle-check.mjs "$esbuild_dir"

step "the adapter guide, followed literally"
node "$here/guide-check.mjs" "$repo" "$work" "$work/app"

step "the example's own install-and-test.sh"
SKIP_BUILD=1 bash "$repo/examples/external-inmemory/scripts/install-and-test.sh" | tail -n 4

step "packaging checks passed"
