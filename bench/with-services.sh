#!/usr/bin/env bash
# Runs a command with the named services started the way scripts/test.sh starts them (each
# scripts/services/<name>.sh start, its export lines sourced), and stops them afterwards, also on
# failure. Run directory and ports are per checkout (scripts/services/lib.bash), but the machine's
# cores are shared, so callers hold the services lock around it (bench/run.ts does):
#   flock /tmp/chainwatch-services.lock bash bench/with-services.sh "kafka opensearch" -- <command...>
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

read -r -a services <<< "${1:?usage: with-services.sh \"<service...>\" -- <command...>}"
shift
[ "${1:-}" = "--" ] && shift
# shellcheck source=../scripts/services/lib.bash
source scripts/services/lib.bash
mkdir -p "$CHAINWATCH_RUN"

started=()
stop_services() {
  for s in "${started[@]}"; do bash "scripts/services/$s.sh" stop >/dev/null 2>&1 || true; done
}
trap stop_services EXIT

for s in "${services[@]}"; do
  started+=("$s")
  echo "== starting $s" >&2
  if ! bash "scripts/services/$s.sh" start > "$CHAINWATCH_RUN/$s.env" 2> "$CHAINWATCH_RUN/$s.start.log"; then
    echo "   $s: FAILED to start; last lines of its log:" >&2
    tail -n 30 "$CHAINWATCH_RUN/$s.start.log" >&2 || true
    exit 1
  fi
  # shellcheck disable=SC1090
  source "$CHAINWATCH_RUN/$s.env"
done
"$@"
