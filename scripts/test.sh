#!/usr/bin/env bash
# THE test command (README, `npm test` and .ci/run all call this): set up (Node 24, npm ci, build),
# lint the dependency directions, typecheck, start every real service the integration tests use
# (scripts/services/*.sh: Kafka, OpenSearch, Rekor+Trillian+MariaDB, Alertmanager, mailpit), run
# the whole vitest suite (unit + integration), then stop the services.
#
#   bash scripts/test.sh                      everything
#   bash scripts/test.sh test/bus             extra args go to vitest (a path filter, --project unit, ...)
#   CHAINWATCH_SERVICES="kafka" bash scripts/test.sh test/bus   start only these services
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/setup.sh
echo "== lint (dependency directions, ESLint, Prettier) and typecheck" >&2
npm run --silent lint

export CHAINWATCH_RUN=${CHAINWATCH_RUN:-/tmp/chainwatch-run}
mkdir -p "$CHAINWATCH_RUN"
all_services=()
for f in scripts/services/*.sh; do all_services+=("$(basename "$f" .sh)"); done
read -r -a services <<< "${CHAINWATCH_SERVICES:-${all_services[*]}}"

stop_services() {
  for s in "${services[@]}"; do bash "scripts/services/$s.sh" stop >/dev/null 2>&1 || true; done
}
trap stop_services EXIT

# Start services in parallel (each waits for its own readiness); collect their export lines.
echo "== starting services: ${services[*]}" >&2
declare -A pids
for s in "${services[@]}"; do
  ( bash "scripts/services/$s.sh" start > "$CHAINWATCH_RUN/$s.env" 2> "$CHAINWATCH_RUN/$s.start.log" ) &
  pids[$s]=$!
done
failed=()
for s in "${services[@]}"; do
  if wait "${pids[$s]}"; then
    # shellcheck disable=SC1090
    source "$CHAINWATCH_RUN/$s.env"
    echo "   $s: up" >&2
  else
    failed+=("$s")
    echo "   $s: FAILED to start; last lines of its log:" >&2
    tail -n 30 "$CHAINWATCH_RUN/$s.start.log" >&2 || true
  fi
done
# A service that did not start makes its suites fail under CI=true (test/helpers/services.ts)
# and skip, with the reason printed, on a developer machine.

echo "== vitest" >&2
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$CHAINWATCH_RUN/vitest.json" "$@"
code=$?
set -e
# One plain closing line with the counts (CI reads it; vitest's own summary is not in that form).
node -e 'const r=require(process.argv[1]); console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$CHAINWATCH_RUN/vitest.json" 2>/dev/null || true
if [ ${#failed[@]} -gt 0 ]; then echo "services that failed to start: ${failed[*]}" >&2; fi
exit $code
