#!/usr/bin/env bash
# Runs the tests that exercise what Lambda runs (the bundles, the built server, the typed client) on Node 22, the
# Lambda runtime, while the machines here run Node 20. Node 22 comes from the npm registry (node-linux-<arch>).
# `--prepare` only fetches Node 22 (.ci/run does that in the background while it lints).
set -euo pipefail
cd "$(dirname "$0")/.."
arch="$(uname -m)"; case "$arch" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
dir="${NODE22_DIR:-${TMPDIR:-/tmp}/daycare-node22}"
if [ ! -x "$dir/node_modules/node-linux-$arch/bin/node" ]; then
  npm install --no-save --no-audit --no-fund --prefix "$dir" "node-linux-$arch@22" >/dev/null
fi
[ "${1:-}" = "--prepare" ] && exit 0
export PATH="$dir/node_modules/node-linux-$arch/bin:$PATH"
echo "node $(node --version)"
npx vitest run tests/lambda tests/e2e tests/client "$@"
