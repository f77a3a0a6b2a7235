#!/usr/bin/env bash
# A real RFC 6962 Certificate Transparency log for integration tests and benches: MariaDB -> Trillian
# log server + log signer -> certificate-transparency-go's ct_server (CTFE), all on loopback, all
# state under $CHAINWATCH_RUN/ctlog (fresh per start).
#
#   ctlog.sh start    build binaries once (cached), fresh database + tree + test CA, start, print exports
#   ctlog.sh stop     stop everything (idempotent)
#   ctlog.sh status   exit 0 when ct_server answers get-roots
#   ctlog.sh build    only build (cold-build measurement, CI cache warm-up)
#   ctlog.sh fill N   queue N more distinct certificates straight into the running log's Trillian tree
#                     (tools/ct-fill, built once per source version; the CT bench's large backlogs)
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# ct_server v1.4.0 pins Trillian v1.7.2, while rekor.sh runs the Trillian rekor pins (v1.7.3): the CT
# log therefore runs its own Trillian + MariaDB built in the same Go module as ct_server (so the
# versions and the schema are the ones ctgo was released against), and a CT test never depends on
# the Rekor stack being up. The process plumbing is shared with rekor.sh (trillian.bash).
# The test CA (root + intermediate, ECDSA P-256, made with openssl per start) is the log's only
# accepted root; its files are exported for the tests that issue and submit certificates. The log's
# signing key is a fresh ECDSA P-256 key per start (exported as PEM public key + DER SPKI base64).
# Env: CHAINWATCH_CTLOG_PORT (ct_server HTTP; MariaDB +2, Trillian log server +3/+4, signer +5/+6;
#      default: the checkout port block offset 60, lib.bash), CHAINWATCH_RUN.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

CTGO_VERSION=v1.4.0
TRILLIAN_VERSION=v1.7.2 # the version certificate-transparency-go v1.4.0 requires
PORT=$CHAINWATCH_CTLOG_PORT
DB_PORT=$((PORT + 2))
TL_RPC=$((PORT + 3))
TS_RPC=$((PORT + 5))
BIN="$CHAINWATCH_CACHE/ctlog/$CTGO_VERSION/bin"
RUN="$CHAINWATCH_RUN/ctlog"
DB_SOCK="$RUN/mysql/mysqld.sock"
DSN="test:zaphod@tcp(127.0.0.1:$DB_PORT)/test?parseTime=true&interpolateParams=true"
PREFIX=chainwatch

log() { echo "ctlog.sh: $*" >&2; }

# build_into TMP (run by cached_build under its lock): ct_server, Trillian server/signer/createtree, schema.
build_into() {
  command -v go >/dev/null || { log "go not on PATH"; return 1; }
  log "building ct_server $CTGO_VERSION + trillian $TRILLIAN_VERSION into $BIN (one-time, minutes)"
  local src="$CHAINWATCH_CACHE/ctlog/$CTGO_VERSION/src" tmp=$1
  rm -rf "$src"; mkdir -p "$src"
  (
    cd "$src"
    go mod init chainwatch.local/ctlogbuild >&2
    go get "github.com/google/certificate-transparency-go/trillian/ctfe/ct_server@$CTGO_VERSION" \
      "github.com/google/trillian/cmd/trillian_log_server@$TRILLIAN_VERSION" \
      "github.com/google/trillian/cmd/trillian_log_signer@$TRILLIAN_VERSION" \
      "github.com/google/trillian/cmd/createtree@$TRILLIAN_VERSION" >&2
    # mysql + etcd tags link only the storage and election providers used here (smaller, faster build).
    GOFLAGS=-buildvcs=false go build -tags "mysql etcd" -trimpath -ldflags="-s -w" -o "$tmp/" \
      github.com/google/certificate-transparency-go/trillian/ctfe/ct_server \
      github.com/google/trillian/cmd/trillian_log_server github.com/google/trillian/cmd/trillian_log_signer \
      github.com/google/trillian/cmd/createtree >&2
    cp "$(go env GOMODCACHE)/github.com/google/trillian@$TRILLIAN_VERSION/storage/mysql/schema/storage.sql" \
      "$tmp/trillian-storage.sql"
  ) || return 1
  chmod 644 "$tmp/trillian-storage.sql"
}
build() { cached_build "$BIN" build_into; }

# fill N: tools/ct-fill (Go, in the ct_server build module so it links the same ct-go + Trillian
# code ct_server uses to build its leaves), cached under the hash of its source.
FILL_SRC="$HERE/../../tools/ct-fill/main.go"
fill_into() {
  local src="$CHAINWATCH_CACHE/ctlog/$CTGO_VERSION/src" tmp=$1
  [[ -f "$src/go.mod" ]] || { log "ct_server build module missing: $src"; return 1; }
  mkdir -p "$src/ctfill" && cp "$FILL_SRC" "$src/ctfill/main.go"
  (cd "$src" && GOFLAGS=-buildvcs=false go build -trimpath -ldflags="-s -w" -o "$tmp/ct-fill" ./ctfill >&2)
}
fill() {
  local n=${1:?usage: ctlog.sh fill N} bin
  build
  bin="$CHAINWATCH_CACHE/ctlog/$CTGO_VERSION/ct-fill-$(sha256sum "$FILL_SRC" | cut -c1-12)"
  cached_build "$bin" fill_into
  local tree; tree=$(sed -n 's/^ *log_id: *\([0-9]*\).*/\1/p' "$RUN/ct_server.cfg")
  # Each QueueLeaf is its own MariaDB transaction: with a log flush per commit the fill runs at
  # ~400/s whatever the concurrency. A throwaway test database needs no per-commit flush while it
  # is filled (a crash loses the run's log anyway); the setting is restored afterwards.
  sql -e 'SET GLOBAL innodb_flush_log_at_trx_commit = 2'
  local rc=0
  "$bin/ct-fill" -rpc "127.0.0.1:$TL_RPC" -tree "$tree" -ca "$RUN/ca" -n "$n" -inflight "${CHAINWATCH_CTFILL_INFLIGHT:-64}" >&2 || rc=$?
  sql -e 'SET GLOBAL innodb_flush_log_at_trx_commit = 1'
  return "$rc"
}

# shellcheck source=trillian.bash
source "$HERE/trillian.bash"

start_ct_server() {
  bash "$HERE/test-ca.bash" "$RUN/ca"
  local tree
  tree=$("$BIN/createtree" --admin_server="127.0.0.1:$TL_RPC" --tree_type=LOG --display_name=chainwatch-ct \
    2>>"$RUN/logs/createtree.log") || { tail -20 "$RUN/logs/createtree.log" >&2; exit 1; }
  # ct_server's PEMKeyFile refuses an empty password: a legacy-encrypted PEM (Proc-Type/DEK-Info).
  openssl ecparam -name prime256v1 -genkey -noout -out "$RUN/log-plain.key" 2>/dev/null
  openssl ec -in "$RUN/log-plain.key" -aes256 -passout pass:ctlogtest -out "$RUN/log.key" 2>/dev/null
  openssl ec -in "$RUN/log-plain.key" -pubout -out "$RUN/log.pub.pem" 2>/dev/null
  rm -f "$RUN/log-plain.key"
  cat > "$RUN/ct_server.cfg" <<CFG
config {
  log_id: $tree
  prefix: "$PREFIX"
  roots_pem_file: "$RUN/ca/root.pem"
  private_key: {
    [type.googleapis.com/keyspb.PEMKeyFile] { path: "$RUN/log.key" password: "ctlogtest" }
  }
  max_merge_delay_sec: 86400
  expected_merge_delay_sec: 120
}
CFG
  spawn ct_server "$BIN/ct_server" --log_config="$RUN/ct_server.cfg" --log_rpc_server="127.0.0.1:$TL_RPC" \
    --http_endpoint="127.0.0.1:$PORT" --metrics_endpoint="127.0.0.1:$((PORT + 1))" \
    --quota_remote=false --quota_intermediate=false --alsologtostderr
  wait_for ct_server 60 curl -fs -o /dev/null "http://127.0.0.1:$PORT/$PREFIX/ct/v1/get-roots"
}

stop_all() { stop_one ct_server; stop_trillian; stop_one mariadb; }

print_exports() {
  echo "export CHAINWATCH_TEST_CTLOG_URL=http://127.0.0.1:$PORT/$PREFIX/"
  echo "export CHAINWATCH_TEST_CTLOG_PUBKEY=$RUN/log.pub.pem"
  echo "export CHAINWATCH_TEST_CTLOG_CA=$RUN/ca"
  echo "export CHAINWATCH_TEST_CTLOG_SCRIPT=$HERE/ctlog.sh"
}

case "${1:-}" in
  build) build ;;
  start)
    started=$(date +%s)
    build
    ensure_mariadb
    stop_all
    rm -rf "$RUN"; mkdir -p "$RUN/logs"
    start_mariadb
    start_trillian
    start_ct_server
    log "ct_server up on 127.0.0.1:$PORT/$PREFIX after $(( $(date +%s) - started ))s"
    print_exports
    ;;
  fill) fill "${2:-}" ;;
  stop) stop_all ;;
  status) curl -fsS -o /dev/null "http://127.0.0.1:$PORT/$PREFIX/ct/v1/get-roots" ;;
  *) echo "usage: $0 start|stop|status|build|fill N" >&2; exit 2 ;;
esac
