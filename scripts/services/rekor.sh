#!/usr/bin/env bash
# A real Rekor v1 for integration tests and benches: MariaDB -> Trillian log server + log signer ->
# rekor-server (v1 REST API), all on loopback, all state under $CHAINWATCH_RUN/rekor (fresh per start).
#
#   rekor.sh start    build binaries once (cached), fresh database, start everything, wait, print exports
#   rekor.sh stop     stop everything (idempotent)
#   rekor.sh status   exit 0 when rekor-server answers
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# Binaries are built with the Go toolchain from the Go module proxy into
# $CHAINWATCH_CACHE/rekor/<rekor version>/bin once (plus Trillian's MySQL schema); a warm start never runs go.
# The checkpoint signer is an ECDSA P-256 key generated with openssl per start (file signer), so the
# tests know the log key; its public half is exported as CHAINWATCH_TEST_REKOR_PUBKEY (PEM file).
# Env: CHAINWATCH_REKOR_VERSION (default v1.5.4; newer need a newer Go), CHAINWATCH_RUN (default: per checkout, lib.bash),
#      CHAINWATCH_REKOR_PORT, CHAINWATCH_REKOR_DB_PORT, CHAINWATCH_TRILLIAN_PORT (signer +100; defaults: the checkout port block, lib.bash).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

VERSION=${CHAINWATCH_REKOR_VERSION:-v1.5.4}
PORT=$CHAINWATCH_REKOR_PORT
DB_PORT=$CHAINWATCH_REKOR_DB_PORT
TL_RPC=$CHAINWATCH_TRILLIAN_PORT
TS_RPC=$((TL_RPC + 100))
BIN="$CHAINWATCH_CACHE/rekor/$VERSION/bin"
RUN="$CHAINWATCH_RUN/rekor"
DB_SOCK="$RUN/mysql/mysqld.sock"
DSN="test:zaphod@tcp(127.0.0.1:$DB_PORT)/test?parseTime=true&interpolateParams=true"

log() { echo "rekor.sh: $*" >&2; }

# build_into TMP: the rekor + Trillian binaries and Trillian's schema (run by cached_build, under its lock).
build_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building rekor $VERSION + trillian into $BIN (one-time, several minutes)"
  local src="$CHAINWATCH_CACHE/rekor/$VERSION/src" tmp=$1 tv
  mkdir -p "$src"
  (
    cd "$src"
    [[ -f go.mod ]] || go mod init chainwatch.local/rekorbuild >&2
    go get "github.com/sigstore/rekor@$VERSION" >&2
    # Trillian at exactly the version rekor requires: its schema must match what rekor talks to.
    tv=$(go list -m -f '{{.Version}}' github.com/google/trillian)
    go get "github.com/sigstore/rekor/cmd/rekor-server@$VERSION" "github.com/sigstore/rekor/cmd/rekor-cli@$VERSION" \
      "github.com/google/trillian/cmd/trillian_log_server@$tv" "github.com/google/trillian/cmd/trillian_log_signer@$tv" >&2
    GOFLAGS=-buildvcs=false go build -trimpath -o "$tmp/" github.com/sigstore/rekor/cmd/rekor-server \
      github.com/sigstore/rekor/cmd/rekor-cli github.com/google/trillian/cmd/trillian_log_server \
      github.com/google/trillian/cmd/trillian_log_signer >&2
    cp "$(go env GOMODCACHE)/github.com/google/trillian@$tv/storage/mysql/schema/storage.sql" "$tmp/trillian-storage.sql"
  ) || return 1
  chmod 644 "$tmp/trillian-storage.sql"
}
build() { cached_build "$BIN" build_into; }

# shellcheck source=trillian.bash
source "$HERE/trillian.bash"

start_rekor() {
  # Checkpoint signing key for this run (unencrypted PKCS#8; rekor's file signer reads it).
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$RUN/signer.key" 2>/dev/null
  openssl pkey -in "$RUN/signer.key" -pubout -out "$RUN/signer.pub.pem" 2>/dev/null
  # hostname = the host:port clients use, as a production Rekor names itself (rekor.sigstore.dev):
  # checkpoints are signed under that name, and verifiers (@sigstore/verify) match it against the log's URL.
  spawn rekor "$BIN/rekor-server" serve --trillian_log_server.address=127.0.0.1 \
    --trillian_log_server.port="$TL_RPC" --rekor_server.address=127.0.0.1 --port="$PORT" \
    --rekor_server.hostname="127.0.0.1:$PORT" --rekor_server.signer="$RUN/signer.key" \
    --search_index.storage_provider=mysql "--search_index.mysql.dsn=$DSN" --enable_attestation_storage=false
  wait_for rekor 90 curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/log"
  # Sanity: the served key is the one we generated.
  curl -fsS "http://127.0.0.1:$PORT/api/v1/log/publicKey" > "$RUN/served.pub.pem"
  if ! diff <(openssl pkey -pubin -in "$RUN/served.pub.pem" -outform DER 2>/dev/null | od -An -tx1) \
            <(openssl pkey -pubin -in "$RUN/signer.pub.pem" -outform DER | od -An -tx1) >/dev/null; then
    log "served log key differs from the generated one"; exit 1
  fi
}

stop_all() { stop_one rekor; stop_trillian; stop_one mariadb; }

print_exports() {
  echo "export CHAINWATCH_TEST_REKOR_URL=http://127.0.0.1:$PORT"
  echo "export CHAINWATCH_TEST_REKOR_CLI=$BIN/rekor-cli"
  echo "export CHAINWATCH_TEST_REKOR_PUBKEY=$RUN/signer.pub.pem"
  echo "export CHAINWATCH_TEST_REKOR_SCRIPT=$HERE/rekor.sh"
  # Where the pid files are: the rekor-live bench reads the servers' CPU from /proc.
  echo "export CHAINWATCH_TEST_REKOR_RUN=$RUN"
}

case "${1:-}" in
  start)
    started=$(date +%s)
    build
    ensure_mariadb
    stop_all
    rm -rf "$RUN"; mkdir -p "$RUN/logs"
    start_mariadb
    start_trillian
    start_rekor
    log "rekor up on 127.0.0.1:$PORT after $(( $(date +%s) - started ))s"
    print_exports
    ;;
  stop) stop_all ;;
  status) curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/log" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
