# Sourced by rekor.sh and ctlog.sh (not a service itself): the MariaDB + Trillian log server/signer
# stack both logs run on (process helpers: procs.bash). The caller sets, before calling:
#   RUN (state dir, holds logs/ and *.pid), BIN (holds trillian_log_server, trillian_log_signer,
#   trillian-storage.sql), DB_PORT, DB_SOCK, DSN, TL_RPC (log server gRPC; HTTP +1), TS_RPC (signer
#   gRPC; HTTP +1), and a log() function that writes to stderr.

mariadbd_bin() { command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -1; }

ensure_mariadb() {
  [[ -n "$(mariadbd_bin)" ]] && return 0
  log "installing mariadb-server (Debian)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >&2; }
}

# shellcheck source=procs.bash
source "$(dirname "${BASH_SOURCE[0]}")/procs.bash"

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
  sql <<SQL
CREATE DATABASE test;
CREATE USER 'test'@'%' IDENTIFIED BY 'zaphod';
CREATE USER 'test'@'localhost' IDENTIFIED BY 'zaphod';
GRANT ALL ON test.* TO 'test'@'%';
GRANT ALL ON test.* TO 'test'@'localhost';
FLUSH PRIVILEGES;
SQL
  sql test < "$BIN/trillian-storage.sql"
}

start_trillian() {
  local common=(--quota_system=noop --storage_system=mysql "--mysql_uri=$DSN" --alsologtostderr)
  spawn trillian_log_server "$BIN/trillian_log_server" "${common[@]}" \
    --rpc_endpoint="127.0.0.1:$TL_RPC" --http_endpoint="127.0.0.1:$((TL_RPC + 1))"
  # The signer integrates queued leaves into the tree; short intervals keep tests fast.
  spawn trillian_log_signer "$BIN/trillian_log_signer" "${common[@]}" --force_master \
    --sequencer_interval=100ms --batch_size=500 \
    --rpc_endpoint="127.0.0.1:$TS_RPC" --http_endpoint="127.0.0.1:$((TS_RPC + 1))"
  wait_for trillian_log_server 60 port_open "$TL_RPC"
  wait_for trillian_log_signer 60 port_open "$TS_RPC"
}

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
