#!/usr/bin/env bash
# A real Rekor v2 log for integration tests: sigstore/rekor-tiles' own POSIX server
# (cmd/rekor-server/posix: Tessera's POSIX driver, tiles + checkpoint in a local directory) on
# loopback, all state under $CHAINWATCH_RUN/rekor2 (fresh per start).
#
#   rekor2.sh start    build once (cached), fresh log key, start, print exports
#   rekor2.sh stop     stop everything (idempotent)
#   rekor2.sh status   exit 0 when the tile read path serves a checkpoint
#   rekor2.sh build    only build (cold-build measurement, CI cache warm-up)
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# rekor-server takes entries (POST /api/v2/log/entries, hashedrekord v0.0.2: the only kind v2.3.0
# accepts) and answers each with its inclusion proof once a checkpoint covers it; it does not serve
# the read path (its GetTile/GetCheckpoint answer Unimplemented: production serves the bucket). The
# read path is the storage directory Tessera writes, served as stored by static-tiles.py.
# The log key is a fresh ECDSA P-256 key per start (openssl); the checkpoint origin is the hostname
# flag. rekor-server also listens for metrics (its default :2112 would collide between checkouts).
# Env: CHAINWATCH_REKOR2_PORT (HTTP API; gRPC +1, metrics +2, tile read path +3; default: the
#      checkout port block offset 95, lib.bash), CHAINWATCH_RUN.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

# v2.3.0: the newest release that builds with this machine's Go (1.26); v2.4.x wants Go 1.27.
VERSION=v2.3.0
PORT=$CHAINWATCH_REKOR2_PORT
GRPC_PORT=$((PORT + 1))
METRICS_PORT=$((PORT + 2))
TILES_PORT=$((PORT + 3))
BIN="$CHAINWATCH_CACHE/rekor2/$VERSION/bin"
RUN="$CHAINWATCH_RUN/rekor2"
ORIGIN=rekor2.chainwatch.test

log() { echo "rekor2.sh: $*" >&2; }

# build_into TMP (run by cached_build under its lock): the released POSIX server command, through
# a throw-away module that requires the release (go get resolves its dependency graph).
build_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building rekor-tiles $VERSION (POSIX server) into $BIN (one-time, minutes)"
  local src="$CHAINWATCH_CACHE/rekor2/$VERSION/src" tmp=$1
  rm -rf "$src"; mkdir -p "$src"
  (
    cd "$src"
    go mod init chainwatch.local/rekor2build >&2
    GOTOOLCHAIN=local go get "github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix@$VERSION" >&2
    GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags="-s -w" \
      -o "$tmp/rekor-server-posix" github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix >&2
  ) || return 1
}
build() { cached_build "$BIN" build_into; }

# shellcheck source=procs.bash
source "$HERE/procs.bash"

start_all() {
  # PKCS#8 PEM: what rekor-server's file signer (sigstore cryptoutils) reads without a password.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$RUN/log.key" 2>/dev/null
  openssl pkey -in "$RUN/log.key" -pubout -out "$RUN/log.pub"
  mkdir -p "$RUN/storage"
  # checkpoint-interval 1s: an add returns only once a checkpoint covers the entry (10s by default).
  spawn rekor2 "$BIN/rekor-server-posix" serve \
    --hostname "$ORIGIN" --storage-dir "$RUN/storage" --signer-filepath "$RUN/log.key" \
    --http-address 127.0.0.1 --http-port "$PORT" --grpc-address 127.0.0.1 --grpc-port "$GRPC_PORT" \
    --http-metrics-port "$METRICS_PORT" --checkpoint-interval 1s --log-level warn
  # Tessera writes the first (empty) checkpoint when it initialises the storage directory.
  wait_for rekor2 60 test -s "$RUN/storage/checkpoint"
  spawn tiles python3 "$HERE/static-tiles.py" "$TILES_PORT" "$RUN/storage"
  wait_for tiles 30 curl -fs -o /dev/null "http://127.0.0.1:$TILES_PORT/checkpoint"
  wait_for rekor2 60 port_open "$PORT"
}

stop_all() {
  stop_pidfile "$(pidfile tiles)" TERM 5
  stop_pidfile "$(pidfile rekor2)" TERM 35
}

print_exports() {
  echo "export CHAINWATCH_TEST_REKOR2_URL=http://127.0.0.1:$PORT"
  echo "export CHAINWATCH_TEST_REKOR2_TILES_URL=http://127.0.0.1:$TILES_PORT/"
  echo "export CHAINWATCH_TEST_REKOR2_PUBKEY=$RUN/log.pub"
  echo "export CHAINWATCH_TEST_REKOR2_ORIGIN=$ORIGIN"
}

case "${1:-}" in
  build) build ;;
  start)
    started=$(date +%s)
    build
    stop_all
    rm -rf "$RUN"; mkdir -p "$RUN/logs"
    start_all
    log "rekor-tiles $VERSION up on 127.0.0.1:$PORT (gRPC :$GRPC_PORT, tiles :$TILES_PORT) after $(( $(date +%s) - started ))s"
    print_exports
    ;;
  stop) [[ -d "$RUN" ]] && stop_all; true ;;
  status) curl -fsS -o /dev/null "http://127.0.0.1:$TILES_PORT/checkpoint" ;;
  *) echo "usage: $0 start|stop|status|build" >&2; exit 2 ;;
esac
