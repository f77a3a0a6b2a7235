#!/usr/bin/env bash
# cosign (a tool, not a server) for tests that sign fresh OCI payloads offline: built once with the Go
# toolchain from the Go module proxy into $CHAINWATCH_CACHE/cosign/<version>/bin (a warm start never runs go).
#
#   cosign.sh start    build once (cached), print exports
#   cosign.sh stop     nothing to stop (idempotent)
#   cosign.sh status   exit 0 when the binary is built
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# Offline signing with v3 needs --use-signing-config=false --tlog-upload=false (../shared/recipes/PEERS.md §3).
# Env: CHAINWATCH_COSIGN_VERSION (default v3.1.3).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

VERSION=${CHAINWATCH_COSIGN_VERSION:-v3.1.3}
BIN="$CHAINWATCH_CACHE/cosign/$VERSION/bin"

log() { echo "cosign.sh: $*" >&2; }

# build_into TMP (run by cached_build, under its lock). No `go list -m all` here: two of cosign's
# indirect modules answer 403 on .info at the proxy (PEERS.md §3), while go get/build succeed.
build_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building cosign $VERSION into $BIN (one-time, several minutes)"
  local src="$CHAINWATCH_CACHE/cosign/$VERSION/src" tmp=$1
  mkdir -p "$src"
  (
    cd "$src"
    [[ -f go.mod ]] || go mod init chainwatch.local/cosignbuild >&2
    go get "github.com/sigstore/cosign/v3/cmd/cosign@$VERSION" >&2
    GOFLAGS=-buildvcs=false nice -n 5 go build -trimpath -ldflags="-s -w" -o "$tmp/" github.com/sigstore/cosign/v3/cmd/cosign >&2
  ) || return 1
}

case "${1:-}" in
  start)
    cached_build "$BIN" build_into
    echo "export CHAINWATCH_COSIGN=$BIN/cosign"
    echo "export CHAINWATCH_TEST_COSIGN=$BIN/cosign"
    ;;
  stop) ;;
  status) [[ -x "$BIN/cosign" ]] ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
