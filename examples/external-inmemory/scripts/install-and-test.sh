#!/usr/bin/env bash
# Proves kvstash-l2-inmemory works as a published package: packs @x/l2-core, @x/l2-testkit and this
# package into tarballs (pnpm pack rewrites workspace: ranges to real ones), installs them with npm into
# a fresh application outside the workspace, and checks discovery, config parsing and a
# store/lookup/load round trip there. Set SKIP_BUILD=1 when the packages are already built.
set -euo pipefail
example="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$example/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/kvstash-install-XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  (cd "$repo" && pnpm turbo run build --filter=kvstash-l2-inmemory... --output-logs=errors-only)
fi

mkdir -p "$work/tarballs" "$work/app"
for dir in packages/core packages/testkit examples/external-inmemory; do
  (cd "$repo/$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
ls "$work/tarballs"

cd "$work/app"
cat >package.json <<'JSON'
{ "name": "kvstash-smoke-app", "version": "1.0.0", "private": true, "type": "module" }
JSON
# --legacy-peer-deps: the test kit's peer (vitest) is not needed for this check and is not downloaded.
npm install --no-audit --no-fund --loglevel=error --legacy-peer-deps \
  "$work/tarballs/x-l2-core-"*.tgz "$work/tarballs/kvstash-l2-inmemory-"*.tgz
npm install --no-audit --no-fund --loglevel=error --legacy-peer-deps --save-dev \
  "$work/tarballs/x-l2-testkit-"*.tgz
test -f node_modules/@x/l2-testkit/dist/index.js

cp "$example/configs/l2-adapter-example.json" "$example/scripts/smoke-app.mjs" .
node smoke-app.mjs
