#!/usr/bin/env bash
# One command on a fresh machine: set up (Node 24 from the npm registry, dependencies, build) and
# run the daemon on embedded defaults (SQLite bus and stores under ./.data; no Kafka, no search
# engine, no network needed). Extra args go to `chainwatch run` (e.g. --port 9000, --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh >&2
exec node bin/chainwatch.js run "$@"
