#!/usr/bin/env bash
# Two real OCI registries for integration tests and benches: go-containerregistry's registry
# (pkg/registry, ggcr v0.22.1, in memory) once WITH the OCI 1.1 referrers API (port offset 85) and once
# WITHOUT it (offset 86: GET /v2/<repo>/referrers/<digest> answers 404, the tag-schema fallback path),
# on loopback, plus the client tools the tests push and attach with: crane (ggcr v0.22.1) and oras
# (v1.3.6). Everything is built once into $CHAINWATCH_CACHE/ocireg/<versions>/bin.
#
#   ocireg.sh start    build once (cached), start both registries, print exports
#   ocireg.sh stop     stop them (idempotent)
#   ocireg.sh status   exit 0 when both answer /v2/
#   ocireg.sh build    only build
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# Quirks of the ggcr registry (a test double, not a production registry; see PEERS.md §3): it keeps
# everything in memory (a restart empties it), sends no notifications, and its referrers index reports
# a referrer's artifactType as the manifest's config mediaType when the manifest sets none.
# Env: CHAINWATCH_OCIREG_PORT (default: the checkout port block offset 85, lib.bash), CHAINWATCH_RUN.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

GGCR=v0.22.1
ORAS=v1.3.6
PORT=$CHAINWATCH_OCIREG_PORT
NOREF_PORT=$((PORT + 1))
BIN="$CHAINWATCH_CACHE/ocireg/ggcr-$GGCR-oras-$ORAS/bin"
RUN="$CHAINWATCH_RUN/ocireg"

log() { echo "ocireg.sh: $*" >&2; }

# build_into TMP (run by cached_build under its lock): one wrapper module holds the registry main and
# both tools, so ggcr is resolved once.
build_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building ocireg + crane $GGCR + oras $ORAS into $BIN (one-time, a few minutes)"
  local src="$CHAINWATCH_CACHE/ocireg/src" tmp=$1
  rm -rf "$src"; mkdir -p "$src/ocireg"
  cp "$HERE/ocireg/main.go" "$src/ocireg/"
  (
    cd "$src"
    go mod init chainwatch.local/ocireg >&2
    go get "github.com/google/go-containerregistry@$GGCR" "github.com/google/go-containerregistry/cmd/crane@$GGCR" \
      "oras.land/oras/cmd/oras@$ORAS" >&2
    GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$tmp/" ./ocireg \
      github.com/google/go-containerregistry/cmd/crane oras.land/oras/cmd/oras >&2
  ) || return 1
}
build() { cached_build "$BIN" build_into; }

# shellcheck source=procs.bash
source "$HERE/procs.bash"

start_all() {
  spawn ocireg "$BIN/ocireg" "127.0.0.1:$PORT"
  spawn ocireg-noref "$BIN/ocireg" "127.0.0.1:$NOREF_PORT" -no-referrers
  wait_for ocireg 30 curl -fs -o /dev/null "http://127.0.0.1:$PORT/v2/"
  wait_for ocireg-noref 30 curl -fs -o /dev/null "http://127.0.0.1:$NOREF_PORT/v2/"
}

stop_all() { stop_one ocireg; stop_one ocireg-noref; }

print_exports() {
  echo "export CHAINWATCH_TEST_OCIREG_HOST=127.0.0.1:$PORT"
  echo "export CHAINWATCH_TEST_OCIREG_NOREF_HOST=127.0.0.1:$NOREF_PORT"
  echo "export CHAINWATCH_CRANE=$BIN/crane"
  echo "export CHAINWATCH_ORAS=$BIN/oras"
  echo "export CHAINWATCH_TEST_OCIREG_SCRIPT=$HERE/ocireg.sh"
}

case "${1:-}" in
  build) build ;;
  start)
    started=$(date +%s)
    build
    stop_all 2>/dev/null || true
    rm -rf "$RUN"; mkdir -p "$RUN/logs"
    start_all
    log "ocireg up on 127.0.0.1:$PORT (referrers) and :$NOREF_PORT (no referrers) after $(( $(date +%s) - started ))s"
    print_exports
    ;;
  stop) [[ -d "$RUN" ]] && stop_all; true ;;
  status) curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v2/" && curl -fsS -o /dev/null "http://127.0.0.1:$NOREF_PORT/v2/" ;;
  *) echo "usage: $0 start|stop|status|build" >&2; exit 2 ;;
esac
