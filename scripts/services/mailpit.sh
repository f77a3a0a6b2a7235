#!/usr/bin/env bash
# Mailpit (SMTP capture server with an HTTP API) for the e-mail sink integration tests.
#
#   mailpit.sh start    fresh data, start, wait until /readyz answers, print export lines
#   mailpit.sh stop     stop it (idempotent)
#   mailpit.sh status   exit 0 when alive
#
# SMTP on 127.0.0.1:$CHAINWATCH_MAILPIT_SMTP_PORT offers and REQUIRES STARTTLS with a self-signed certificate made at start
# (CA = the certificate, exported as CHAINWATCH_TEST_SMTP_CA) and authenticates against a password
# file (user "chainwatch", password in CHAINWATCH_TEST_SMTP_PASSWORD, made up per start), so the
# tests exercise the sink's TLS and auth options. HTTP API on 127.0.0.1:$CHAINWATCH_MAILPIT_HTTP_PORT
# (both default to the checkout's port block, lib.bash).
# stdout carries ONLY `export ...` lines; everything else goes to stderr.
# Built once with `go install` into $CHAINWATCH_CACHE/mailpit/bin; a warm start never rebuilds.
# Env: CHAINWATCH_MAILPIT_VERSION (default v1.33.1), CHAINWATCH_RUN (default: per checkout, lib.bash).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

VERSION=${CHAINWATCH_MAILPIT_VERSION:-v1.33.1}
SMTP_PORT=$CHAINWATCH_MAILPIT_SMTP_PORT
HTTP_PORT=$CHAINWATCH_MAILPIT_HTTP_PORT
BIN_DIR="$CHAINWATCH_CACHE/mailpit/bin"
BIN="$BIN_DIR/mailpit-$VERSION"
RUN="$CHAINWATCH_RUN/mailpit"
PIDFILE="$RUN/mailpit.pid"

log() { echo "mailpit.sh: $*" >&2; }

build() {
  [[ -x "$BIN" ]] && return 0
  command -v go >/dev/null || { log "go toolchain not found (needed once to build Mailpit)"; exit 1; }
  log "building Mailpit $VERSION (once; cached in $BIN_DIR)"
  local gobin; gobin=$(mktemp -d "${TMPDIR:-/tmp}/mailpit-bin.XXXXXX")
  GOBIN="$gobin" go install "github.com/axllent/mailpit@$VERSION" >&2
  mkdir -p "$BIN_DIR"; mv "$gobin/mailpit" "$BIN"; rm -rf "$gobin"
}

alive() { pid_alive "$PIDFILE"; }

stop_it() { stop_pidfile "$PIDFILE" TERM 5; }

case "${1:-}" in
  start)
    stop_it
    build
    rm -rf "$RUN"; mkdir -p "$RUN/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$RUN/tls/key.pem" -out "$RUN/tls/cert.pem" >/dev/null 2>&1
    PASSWORD=$(openssl rand -hex 12)
    echo "chainwatch:$PASSWORD" > "$RUN/auth"
    started=$(date +%s%N)
    nohup "$BIN" --smtp "127.0.0.1:$SMTP_PORT" --listen "127.0.0.1:$HTTP_PORT" --database "$RUN/mailpit.db" \
      --smtp-tls-cert "$RUN/tls/cert.pem" --smtp-tls-key "$RUN/tls/key.pem" --smtp-require-starttls \
      --smtp-auth-file "$RUN/auth" --quiet >>"$RUN/mailpit.log" 2>&1 </dev/null &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 200); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/readyz" 2>/dev/null; then
        log "up (smtp 127.0.0.1:$SMTP_PORT, http 127.0.0.1:$HTTP_PORT) after $(( ($(date +%s%N) - started) / 1000000 ))ms"
        echo "export CHAINWATCH_TEST_SMTP=127.0.0.1:$SMTP_PORT"
        echo "export CHAINWATCH_TEST_MAILPIT_API=http://127.0.0.1:$HTTP_PORT"
        echo "export CHAINWATCH_TEST_SMTP_CA=$RUN/tls/cert.pem"
        echo "export CHAINWATCH_TEST_SMTP_USER=chainwatch"
        echo "export CHAINWATCH_TEST_SMTP_PASSWORD=$PASSWORD"
        # For tests that start their own variant (a server without STARTTLS: cleartext-AUTH refusal).
        echo "export CHAINWATCH_TEST_MAILPIT_BIN=$BIN"
        exit 0
      fi
      alive || { log "mailpit died"; tail -30 "$RUN/mailpit.log" >&2; exit 1; }
      sleep 0.1
    done
    log "not ready in 20s"; tail -30 "$RUN/mailpit.log" >&2; exit 1
    ;;
  stop) stop_it; log "stopped" ;;
  status) alive ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
