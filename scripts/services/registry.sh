#!/usr/bin/env bash
# A container registry (Debian's docker-registry, CNCF distribution 2.8) for collectors/registry:
# its notifications go to the daemon's webhook route, so a test sees the registry's real envelope.
#
#   registry.sh start     fresh storage, start, wait until /v2/ answers, print export lines
#   registry.sh stop      stop it (idempotent)
#   registry.sh kill      SIGKILL it, keep storage (outage tests)
#   registry.sh resume    start again on the kept storage
#   registry.sh status    exit 0 when alive
#
# stdout carries ONLY `export ...` lines; everything else goes to stderr.
# Obtained without root the way softhsm.sh obtains SoftHSM2: `apt-get download docker-registry` +
# `dpkg -x` into $CHAINWATCH_CACHE/registry (a static Go binary; ../shared/recipes/PEERS.md §3).
# The notification endpoint must be known when the registry starts, so it is fixed per checkout:
# http://127.0.0.1:$CHAINWATCH_REGISTRY_NOTIFY_PORT/webhooks/distribution with a bearer token this
# script writes; a test starts the daemon on that port with that token (both exported).
# Env: CHAINWATCH_REGISTRY_PORT, CHAINWATCH_REGISTRY_NOTIFY_PORT (default: the checkout port block, lib.bash),
#      CHAINWATCH_RUN (default: per checkout, lib.bash).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

PORT=$CHAINWATCH_REGISTRY_PORT
NOTIFY_PORT=$CHAINWATCH_REGISTRY_NOTIFY_PORT
CACHE="$CHAINWATCH_CACHE/registry/debian-2.8"
BIN="$CACHE/root/usr/bin/docker-registry"
RUN="$CHAINWATCH_RUN/registry"
PIDFILE="$RUN/registry.pid"

log() { echo "registry.sh: $*" >&2; }

unpack() {
  local out=$1 tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/registry-deb.XXXXXX")
  log "downloading Debian's docker-registry package (once; unpacked into $CACHE)"
  (cd "$tmp" && apt-get download docker-registry >&2) || { rm -rf "$tmp"; return 1; }
  dpkg -x "$tmp"/docker-registry_*.deb "$out/root"
  rm -rf "$tmp"
  "$out/root/usr/bin/docker-registry" --version >&2
}

write_config() {
  mkdir -p "$RUN/storage"
  [[ -f "$RUN/notify.token" ]] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/notify.token"
  cat > "$RUN/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $RUN/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
notifications:
  events:
    includereferences: true
  endpoints:
    - name: chainwatch
      url: http://127.0.0.1:$NOTIFY_PORT/webhooks/distribution
      headers:
        Authorization: [Bearer $(cat "$RUN/notify.token")]
      timeout: 2s
      threshold: 3
      backoff: 1s
      ignoredmediatypes: [application/octet-stream]
YML
}

alive() { pid_alive "$PIDFILE"; }
ready() { curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v2/" 2>/dev/null; }

launch() {
  nohup "$BIN" serve "$RUN/config.yml" >>"$RUN/registry.log" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 100); do
    if ready; then log "up on 127.0.0.1:$PORT (pid $(cat "$PIDFILE")), notifying 127.0.0.1:$NOTIFY_PORT"; return 0; fi
    alive || { log "docker-registry died"; tail -30 "$RUN/registry.log" >&2; exit 1; }
    sleep 0.1
  done
  log "not ready in 10s"; tail -30 "$RUN/registry.log" >&2; exit 1
}

kill_it() { stop_pidfile "$PIDFILE" "$1" 5; }

print_exports() {
  echo "export CHAINWATCH_TEST_REGISTRY_URL=http://127.0.0.1:$PORT"
  echo "export CHAINWATCH_TEST_REGISTRY_NOTIFY_PORT=$NOTIFY_PORT"
  echo "export CHAINWATCH_TEST_REGISTRY_NOTIFY_TOKEN=$(cat "$RUN/notify.token")"
}

case "${1:-}" in
  start)
    kill_it TERM
    cached_build "$CACHE" unpack
    rm -rf "$RUN"; mkdir -p "$RUN"; write_config
    launch
    print_exports
    ;;
  stop) kill_it TERM; log "stopped" ;;
  kill) kill_it KILL; log "killed (storage kept in $RUN)" ;;
  resume)
    alive && { log "already running"; exit 0; }
    [[ -f "$RUN/config.yml" ]] || { log "nothing to resume; use start"; exit 1; }
    launch
    ;;
  status) alive ;;
  *) echo "usage: $0 start|stop|kill|resume|status" >&2; exit 2 ;;
esac
