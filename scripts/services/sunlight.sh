#!/usr/bin/env bash
# A real Static CT API log for integration tests and benches: Sunlight (filippo.io/sunlight) with its
# local backends (SQLite checkpoint lock + cache, tiles in a local directory), on loopback, all state
# under $CHAINWATCH_RUN/sunlight (fresh per start).
#
#   sunlight.sh start    build once (cached), fresh keys + test CA + log, start, print exports
#   sunlight.sh stop     stop everything (idempotent)
#   sunlight.sh status   exit 0 when Sunlight answers /health
#   sunlight.sh build    only build (cold-build measurement, CI cache warm-up)
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# Sunlight serves only the submission prefix (add-chain, add-pre-chain, get-roots, log.v3.json); the
# monitoring prefix (checkpoint, tiles, issuers) is the local directory it writes, served here by a
# static file server (static-tiles.py: python3, adds the Content-Encoding: gzip that skylight, the
# production read path, sends for the gzip-stored data tiles; skylight itself wants HTTPS).
# Sunlight registers host+path patterns and Go's ServeMux drops the port from Host before matching, so
# the submission prefix is https://127.0.0.1/<name> (no port) and requests go to http://127.0.0.1:PORT.
# Sunlight also opens a pprof listener on localhost:<random>; that port cannot be configured.
# Env: CHAINWATCH_SUNLIGHT_PORT (submission; monitoring +1; default: the checkout port block offset 70,
#      lib.bash), CHAINWATCH_RUN.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

VERSION=v0.8.1
PORT=$CHAINWATCH_SUNLIGHT_PORT
MON_PORT=$((PORT + 1))
BIN="$CHAINWATCH_CACHE/sunlight/$VERSION/bin"
RUN="$CHAINWATCH_RUN/sunlight"
NAME=chainwatch-test

log() { echo "sunlight.sh: $*" >&2; }

# build_into TMP (run by cached_build under its lock). Sunlight needs cgo (crawshaw.io/sqlite).
build_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building sunlight $VERSION into $BIN (one-time, minutes)"
  local src="$CHAINWATCH_CACHE/sunlight/$VERSION/src" tmp=$1
  rm -rf "$src"; mkdir -p "$src"
  (
    cd "$src"
    go mod init chainwatch.local/sunlightbuild >&2
    go get "filippo.io/sunlight/cmd/sunlight@$VERSION" "filippo.io/sunlight/cmd/sunlight-keygen@$VERSION" >&2
    CGO_ENABLED=1 GOFLAGS=-buildvcs=false go build -trimpath -ldflags="-s -w" -o "$tmp/" \
      filippo.io/sunlight/cmd/sunlight filippo.io/sunlight/cmd/sunlight-keygen >&2
  ) || return 1
}
build() { cached_build "$BIN" build_into; }

# shellcheck source=procs.bash
source "$HERE/procs.bash"

start_all() {
  bash "$HERE/test-ca.bash" "$RUN/ca"
  "$BIN/sunlight-keygen" -f "$RUN/seed.bin" >"$RUN/logs/keygen.log" 2>&1
  # The checkpoint lock table Sunlight expects to exist (its local "global lock" backend).
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE checkpoints (logID BLOB PRIMARY KEY, body BLOB NOT NULL) STRICT"); c.commit()' \
    "$RUN/checkpoints.db"
  mkdir -p "$RUN/data"
  cat > "$RUN/sunlight.yaml" <<YAML
listen: ["127.0.0.1:$PORT"]
checkpoints: $RUN/checkpoints.db
logs:
  - shortname: $NAME
    inception: $(date -u +%F)
    submissionprefix: https://127.0.0.1/$NAME
    monitoringprefix: http://127.0.0.1:$MON_PORT/
    roots: $RUN/ca/root.pem
    secret: $RUN/seed.bin
    cache: $RUN/cache.db
    localdirectory: $RUN/data
    period: 100
    poolsize: 750
    notafterstart: 2000-01-01T00:00:00Z
    notafterlimit: 2100-01-01T00:00:00Z
YAML
  (cd "$RUN" && spawn sunlight "$BIN/sunlight" -c "$RUN/sunlight.yaml")
  wait_for sunlight 60 curl -fs -o /dev/null "http://127.0.0.1:$PORT/health"
  spawn static python3 "$HERE/static-tiles.py" "$MON_PORT" "$RUN/data"
  wait_for static 30 curl -fs -o /dev/null "http://127.0.0.1:$MON_PORT/checkpoint"
  curl -fsS "http://127.0.0.1:$PORT/$NAME/log.v3.json" > "$RUN/log.v3.json"
}

# Sunlight marks what it must never rewrite (its seed, every published tile and issuer) immutable
# (chattr +i): lift that after it stops, so the run directory can be removed by the next start (and
# by anything that cleans $CHAINWATCH_RUN).
stop_all() {
  stop_pidfile "$(pidfile static)" TERM 5
  stop_pidfile "$(pidfile sunlight)" TERM 10
  [[ -d "$RUN" ]] && chattr -R -i "$RUN" 2>/dev/null
  true
}

print_exports() {
  echo "export CHAINWATCH_TEST_SUNLIGHT_URL=http://127.0.0.1:$PORT/$NAME/"
  echo "export CHAINWATCH_TEST_SUNLIGHT_MONITORING_URL=http://127.0.0.1:$MON_PORT/"
  echo "export CHAINWATCH_TEST_SUNLIGHT_LOG_JSON=$RUN/log.v3.json"
  echo "export CHAINWATCH_TEST_SUNLIGHT_CA=$RUN/ca"
  echo "export CHAINWATCH_TEST_SUNLIGHT_SCRIPT=$HERE/sunlight.sh"
}

case "${1:-}" in
  build) build ;;
  start)
    started=$(date +%s)
    build
    stop_all
    rm -rf "$RUN"; mkdir -p "$RUN/logs"
    start_all
    log "sunlight up on 127.0.0.1:$PORT/$NAME (monitoring :$MON_PORT) after $(( $(date +%s) - started ))s"
    print_exports
    ;;
  stop) [[ -d "$RUN" ]] && stop_all; true ;;
  status) curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" ;;
  *) echo "usage: $0 start|stop|status|build" >&2; exit 2 ;;
esac
