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
TL_HTTP=$((TL_RPC + 1))
TS_RPC=$((TL_RPC + 100))
TS_HTTP=$((TS_RPC + 1))
BIN="$CHAINWATCH_CACHE/rekor/$VERSION/bin"
RUN="$CHAINWATCH_RUN/rekor"
DB_SOCK="$RUN/mysql/mysqld.sock"
DSN="test:zaphod@tcp(127.0.0.1:$DB_PORT)/test?parseTime=true&interpolateParams=true"

log() { echo "rekor.sh: $*" >&2; }

build() {
  [[ -f "$BIN/.complete" ]] && return 0
  command -v go >/dev/null || { log "go not on PATH"; exit 1; }
  log "building rekor $VERSION + trillian into $BIN (one-time, several minutes)"
  local src="$CHAINWATCH_CACHE/rekor/$VERSION/src" tmp="$BIN.tmp.$$" tv
  mkdir -p "$src"; rm -rf "$tmp"; mkdir -p "$tmp"
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
  )
  chmod 644 "$tmp/trillian-storage.sql"
  touch "$tmp/.complete"
  if [[ -f "$BIN/.complete" ]]; then rm -rf "$tmp"; else rm -rf "$BIN"; mv "$tmp" "$BIN"; fi
}

mariadbd_bin() { command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -1; }

ensure_mariadb() {
  [[ -n "$(mariadbd_bin)" ]] && return 0
  log "installing mariadb-server (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >&2; }
}

pidfile() { echo "$RUN/$1.pid"; }
alive() { pid_alive "$(pidfile "$1")"; }

# spawn NAME CMD...: background process with its own log and pid file.
spawn() {
  local name=$1; shift
  nohup "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! > "$(pidfile "$name")"
}

wait_for() { # wait_for NAME SECONDS CHECK...
  local name=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do
    "$@" && return 0
    alive "$name" || { log "$name died"; tail -40 "$RUN/logs/$name.log" >&2; exit 1; }
    sleep 0.25
  done
  log "$name not ready in ${secs}s"; tail -40 "$RUN/logs/$name.log" >&2; exit 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
sql() { mariadb --no-defaults -S "$DB_SOCK" -uroot "$@"; }

start_mariadb() {
  local mysqld; mysqld=$(mariadbd_bin)
  mkdir -p "$RUN/mysql"
  # Runs as root (CI is root); --user=root keeps mysqld from switching to a user that may lack access.
  mariadb-install-db --no-defaults --user=root --datadir="$RUN/mysql/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$RUN/logs/mariadb-install.log" 2>&1 || { tail -20 "$RUN/logs/mariadb-install.log" >&2; exit 1; }
  spawn mariadb "$mysqld" --no-defaults --user=root --datadir="$RUN/mysql/data" --socket="$DB_SOCK" \
    --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$RUN/mysql/mysqld.pid" --skip-name-resolve \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --max-connections=200 --log-error="$RUN/logs/mariadb.err"
  wait_for mariadb 60 sql -e 'SELECT 1' >/dev/null 2>&1
  sql <<EOF
CREATE DATABASE test;
CREATE USER 'test'@'%' IDENTIFIED BY 'zaphod';
CREATE USER 'test'@'localhost' IDENTIFIED BY 'zaphod';
GRANT ALL ON test.* TO 'test'@'%';
GRANT ALL ON test.* TO 'test'@'localhost';
FLUSH PRIVILEGES;
EOF
  sql test < "$BIN/trillian-storage.sql"
}

start_trillian() {
  local common=(--quota_system=noop --storage_system=mysql "--mysql_uri=$DSN" --alsologtostderr)
  spawn trillian_log_server "$BIN/trillian_log_server" "${common[@]}" \
    --rpc_endpoint="127.0.0.1:$TL_RPC" --http_endpoint="127.0.0.1:$TL_HTTP"
  # The signer integrates queued leaves into the tree; short intervals keep tests fast.
  spawn trillian_log_signer "$BIN/trillian_log_signer" "${common[@]}" --force_master \
    --sequencer_interval=100ms --batch_size=500 \
    --rpc_endpoint="127.0.0.1:$TS_RPC" --http_endpoint="127.0.0.1:$TS_HTTP"
  wait_for trillian_log_server 60 port_open "$TL_RPC"
  wait_for trillian_log_signer 60 port_open "$TS_RPC"
}

start_rekor() {
  # Checkpoint signing key for this run (unencrypted PKCS#8; rekor's file signer reads it).
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$RUN/signer.key" 2>/dev/null
  openssl pkey -in "$RUN/signer.key" -pubout -out "$RUN/signer.pub.pem" 2>/dev/null
  spawn rekor "$BIN/rekor-server" serve --trillian_log_server.address=127.0.0.1 \
    --trillian_log_server.port="$TL_RPC" --rekor_server.address=127.0.0.1 --port="$PORT" \
    --rekor_server.hostname=chainwatch-test-rekor --rekor_server.signer="$RUN/signer.key" \
    --search_index.storage_provider=mysql "--search_index.mysql.dsn=$DSN" --enable_attestation_storage=false
  wait_for rekor 90 curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/v1/log"
  # Sanity: the served key is the one we generated.
  curl -fsS "http://127.0.0.1:$PORT/api/v1/log/publicKey" > "$RUN/served.pub.pem"
  if ! diff <(openssl pkey -pubin -in "$RUN/served.pub.pem" -outform DER 2>/dev/null | od -An -tx1) \
            <(openssl pkey -pubin -in "$RUN/signer.pub.pem" -outform DER | od -An -tx1) >/dev/null; then
    log "served log key differs from the generated one"; exit 1
  fi
}

stop_one() { stop_pidfile "$(pidfile "$1")" TERM 10; }

# Trillian does handle SIGTERM (util.AwaitSignal), but its serverutil Main.Run then sleeps 5 s
# unconditionally after both servers have stopped ("Give things a few seconds to tidy up",
# cmd/internal/serverutil/main.go), and the server and signer were stopped one after the other:
# 10 s per teardown, ending in "ignored SIGTERM". It keeps no state of its own (the tree lives in
# MariaDB, stopped gracefully afterwards, and wiped on the next start), so: SIGTERM both at once,
# wait until their gRPC listeners are closed (the graceful stop is done), then skip the sleep.
stop_trillian() {
  local p pid deadline=$(( $(date +%s) + 10 ))
  for p in trillian_log_signer trillian_log_server; do
    alive "$p" && kill -TERM "$(cat "$(pidfile "$p")")" 2>/dev/null || true
  done
  while (( $(date +%s) < deadline )); do
    { alive trillian_log_server && port_open "$TL_RPC"; } || { alive trillian_log_signer && port_open "$TS_RPC"; } || break
    sleep 0.1
  done
  for p in trillian_log_signer trillian_log_server; do
    if alive "$p"; then pid=$(cat "$(pidfile "$p")"); kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$(pidfile "$p")"
  done
}

stop_all() { stop_one rekor; stop_trillian; stop_one mariadb; }

print_exports() {
  echo "export CHAINWATCH_TEST_REKOR_URL=http://127.0.0.1:$PORT"
  echo "export CHAINWATCH_TEST_REKOR_CLI=$BIN/rekor-cli"
  echo "export CHAINWATCH_TEST_REKOR_PUBKEY=$RUN/signer.pub.pem"
  echo "export CHAINWATCH_TEST_REKOR_SCRIPT=$HERE/rekor.sh"
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
