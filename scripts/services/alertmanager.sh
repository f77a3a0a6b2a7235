#!/usr/bin/env bash
# Prometheus Alertmanager for the alert-sink integration tests (sinks/alertmanager).
#
#   alertmanager.sh start     fresh data dir, start, wait until /-/ready answers, print export lines
#   alertmanager.sh stop      stop it (idempotent)
#   alertmanager.sh kill      SIGKILL it, keep data (outage tests)
#   alertmanager.sh resume    start again on the kept data and wait until ready
#   alertmanager.sh status    exit 0 when alive
#
# stdout carries ONLY `export ...` lines; everything else goes to stderr.
# Built from source with the Go toolchain (module proxy) once into $CHAINWATCH_CACHE/alertmanager/bin;
# a warm start never rebuilds. The module zip lacks the web UI bundle (ui/app/dist, built by npm in
# the release process), which ui/web.go embeds: we build from a writable copy with empty placeholders.
# Env: CHAINWATCH_ALERTMANAGER_VERSION (default v0.35.0), CHAINWATCH_ALERTMANAGER_PORT (default: the checkout port block, lib.bash),
#      CHAINWATCH_RUN (default: per checkout, lib.bash).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

VERSION=${CHAINWATCH_ALERTMANAGER_VERSION:-v0.35.0}
PORT=$CHAINWATCH_ALERTMANAGER_PORT
BIN_DIR="$CHAINWATCH_CACHE/alertmanager/bin"
BIN="$BIN_DIR/alertmanager-$VERSION"
RUN="$CHAINWATCH_RUN/alertmanager"
PIDFILE="$RUN/alertmanager.pid"

log() { echo "alertmanager.sh: $*" >&2; }

build() {
  [[ -x "$BIN" ]] && return 0
  command -v go >/dev/null || { log "go toolchain not found (needed once to build Alertmanager)"; exit 1; }
  log "building Alertmanager $VERSION (once; cached in $BIN_DIR)"
  local mod src tmp
  mod=$(go env GOMODCACHE)/github.com/prometheus/alertmanager@$VERSION
  if [[ ! -d "$mod" ]]; then
    (cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download "github.com/prometheus/alertmanager@$VERSION" >&2)
  fi
  src=$(mktemp -d "${TMPDIR:-/tmp}/am-src.XXXXXX")
  cp -r "$mod/." "$src/"; chmod -R u+w "$src"
  mkdir -p "$src/ui/app/dist/elm" "$src/ui/app/dist/mantine"
  echo '<!doctype html><title>Alertmanager (API only build)</title>' > "$src/ui/app/dist/elm/index.html"
  cp "$src/ui/app/dist/elm/index.html" "$src/ui/app/dist/mantine/index.html"
  mkdir -p "$BIN_DIR"; tmp="$BIN.tmp.$$"
  (cd "$src" && go build -trimpath -o "$tmp" ./cmd/alertmanager) >&2
  mv "$tmp" "$BIN"; rm -rf "$src"
}

write_config() {
  mkdir -p "$RUN/data"
  # One null receiver: the tests read alerts back through the API; nothing is sent onward.
  cat > "$RUN/alertmanager.yml" <<YML
route:
  receiver: 'null'
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: 'null'
YML
}

alive() { pid_alive "$PIDFILE"; }

ready() { curl -fsS -o /dev/null "http://127.0.0.1:$PORT/-/ready" 2>/dev/null; }

launch() {
  local started; started=$(date +%s%N)
  nohup "$BIN" --config.file="$RUN/alertmanager.yml" --storage.path="$RUN/data" \
    --web.listen-address="127.0.0.1:$PORT" --cluster.listen-address= --log.level=warn \
    >>"$RUN/alertmanager.log" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 200); do
    if ready; then log "up on 127.0.0.1:$PORT after $(( ($(date +%s%N) - started) / 1000000 ))ms (pid $(cat "$PIDFILE"))"; return 0; fi
    alive || { log "alertmanager died"; tail -30 "$RUN/alertmanager.log" >&2; exit 1; }
    sleep 0.1
  done
  log "not ready in 20s"; tail -30 "$RUN/alertmanager.log" >&2; exit 1
}

kill_it() { stop_pidfile "$PIDFILE" "$1" 5; }

print_exports() {
  echo "export CHAINWATCH_TEST_ALERTMANAGER_URL=http://127.0.0.1:$PORT"
}

case "${1:-}" in
  start)
    kill_it TERM
    build
    rm -rf "$RUN"; write_config
    launch
    print_exports
    ;;
  stop) kill_it TERM; log "stopped" ;;
  kill) kill_it KILL; log "killed (data kept in $RUN)" ;;
  resume)
    alive && { log "already running"; exit 0; }
    [[ -f "$RUN/alertmanager.yml" ]] || { log "nothing to resume; use start"; exit 1; }
    launch
    ;;
  status) alive ;;
  *) echo "usage: $0 start|stop|kill|resume|status" >&2; exit 2 ;;
esac
