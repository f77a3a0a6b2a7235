#!/usr/bin/env bash
# THE test command (README, `npm test` and .ci/run all call this): set up (Node 24, npm ci, build
# when sources changed), lint the dependency directions, typecheck, start the real services the
# selected tests need (scripts/services/*.sh: Kafka, OpenSearch, Rekor+Trillian+MariaDB,
# Alertmanager, mailpit, SoftHSM2), run vitest (unit + integration), then stop the services.
#
#   bash scripts/test.sh                      everything
#   bash scripts/test.sh test/bus             extra args go to vitest (a path filter, --project unit, ...)
#   CHAINWATCH_SERVICES="kafka" bash scripts/test.sh test/bus   start exactly these services ("" = none)
#
# Which services: the ones the selected test files declare (scripts/test-services.mjs reads their
# service('CHAINWATCH_TEST_...') calls); `--project unit` needs none. Run directory and ports are per
# checkout (scripts/services/lib.bash), so two checkouts on one machine can test at the same time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# shellcheck source=services/lib.bash
source scripts/services/lib.bash

bash scripts/setup.sh
echo "== lint (dependency directions, ESLint, Prettier) and typecheck" >&2
npm run --silent lint

mkdir -p "$CHAINWATCH_RUN"
if [[ -v CHAINWATCH_SERVICES ]]; then
  read -r -a services <<< "$CHAINWATCH_SERVICES"
else
  read -r -a services <<< "$(node scripts/test-services.mjs "$@")"
fi

stop_services() {
  for s in "${services[@]}"; do bash "scripts/services/$s.sh" stop >/dev/null 2>&1 || true; done
}
trap stop_services EXIT

# Start services in parallel (each waits for its own readiness); collect their export lines.
failed=()
if [ ${#services[@]} -gt 0 ]; then
  echo "== starting services: ${services[*]} (run dir $CHAINWATCH_RUN, ports from $CHAINWATCH_TEST_PORT_BASE)" >&2
  echo "   a first start builds them (Go, Maven; ~20 min, cached in $CHAINWATCH_CACHE); progress every 30 s" >&2
  declare -A pids
  for s in "${services[@]}"; do
    ( bash "scripts/services/$s.sh" start > "$CHAINWATCH_RUN/$s.env" 2> "$CHAINWATCH_RUN/$s.start.log" ) &
    pids[$s]=$!
  done
  # Progress while services build or start: which are still going and the last line each logged.
  started_at=$(date +%s)
  ( while sleep 30; do
      pending=()
      for s in "${services[@]}"; do kill -0 "${pids[$s]}" 2>/dev/null && pending+=("$s: $(tail -n 1 "$CHAINWATCH_RUN/$s.start.log" 2>/dev/null | cut -c1-100 | grep . || echo '(no output yet)')"); done
      [ ${#pending[@]} -eq 0 ] && break
      echo "   ... $(( $(date +%s) - started_at ))s, still starting:" >&2
      for p in "${pending[@]}"; do echo "       $p" >&2; done
    done ) &
  progress=$!
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
  kill "$progress" 2>/dev/null || true
  wait "$progress" 2>/dev/null || true
else
  echo "== no services needed by the selected tests" >&2
fi
# A service that did not start makes its suites fail under CI=true (test/helpers/services.ts)
# and skip, with the reason printed, on a developer machine.

echo "== vitest" >&2
rm -f "$CHAINWATCH_RUN/vitest.json"
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$CHAINWATCH_RUN/vitest.json" "$@"
code=$?
set -e
# One plain closing line with the counts (CI reads it; vitest's own summary is not in that form).
node -e 'const r=require(process.argv[1]); console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$CHAINWATCH_RUN/vitest.json" 2>/dev/null || true
if [ ${#failed[@]} -gt 0 ]; then echo "services that failed to start: ${failed[*]}" >&2; fi
exit $code
