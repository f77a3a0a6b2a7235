# Sourced by the service scripts and scripts/test.sh (not a service itself: it is not a *.sh).

# pid_alive FILE: the process named in FILE is running.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile FILE [SIGNAL] [GRACE_SECONDS]: signal the process, give it GRACE seconds to exit,
# then SIGKILL; remove FILE. Idempotent: no file or no process means nothing to do.
stop_pidfile() {
  local file=$1 sig=${2:-TERM} grace=${3:-5} pid deadline
  [[ -f "$file" ]] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + grace ))
    while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid ignored SIG$sig for ${grace}s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$file"
}

# Per-checkout run directory and port block, so two checkouts on one machine (parallel worktrees,
# CI jobs) can run their tests at the same time without stopping or answering for each other.
# The block is derived from a hash of the checkout path: 10000 + 200 * (hash mod 110), so it stays
# below the kernel's ephemeral range (32768+). Layout inside the block (offsets):
#   kafka 0 (controller +1) · opensearch 10 (HTTP +11, transport +110) · rekor 20, its MariaDB 21,
#   trillian log server 30/31, log signer 130/131 · alertmanager 40 · mailpit SMTP 50, HTTP 51 ·
#   ctlog (ct_server 60, metrics 61, its MariaDB 62, its Trillian log server 63/64, signer 65/66) ·
#   sunlight (submission 70, monitoring/static read path 71) · registry (distribution 80; the daemon port
#   its notifications go to, 81) · ocireg (referrers API 85, without it 86) · kube (etcd client 90,
#   etcd peer 91, kube-apiserver 92) · rekor2 (Rekor v2 HTTP API 95, its gRPC 96, metrics 97, tile read
#   path 98).
# Every variable can still be set from outside; scripts/test.sh and each service script read the
# same defaults because they all source this file.
chainwatch_checkout_defaults() {
  local hash
  hash=$(printf '%s' "$CHAINWATCH_ROOT" | cksum | cut -d' ' -f1)
  CHAINWATCH_RUN=${CHAINWATCH_RUN:-/tmp/chainwatch-run-$(printf '%08x' "$hash")}
  CHAINWATCH_TEST_PORT_BASE=${CHAINWATCH_TEST_PORT_BASE:-$((10000 + 200 * (hash % 110)))}
  local b=$CHAINWATCH_TEST_PORT_BASE
  CHAINWATCH_KAFKA_PORT=${CHAINWATCH_KAFKA_PORT:-$b}
  CHAINWATCH_OPENSEARCH_BASE_PORT=${CHAINWATCH_OPENSEARCH_BASE_PORT:-$((b + 10))}
  CHAINWATCH_REKOR_PORT=${CHAINWATCH_REKOR_PORT:-$((b + 20))}
  CHAINWATCH_REKOR_DB_PORT=${CHAINWATCH_REKOR_DB_PORT:-$((b + 21))}
  CHAINWATCH_TRILLIAN_PORT=${CHAINWATCH_TRILLIAN_PORT:-$((b + 30))}
  CHAINWATCH_ALERTMANAGER_PORT=${CHAINWATCH_ALERTMANAGER_PORT:-$((b + 40))}
  CHAINWATCH_MAILPIT_SMTP_PORT=${CHAINWATCH_MAILPIT_SMTP_PORT:-$((b + 50))}
  CHAINWATCH_MAILPIT_HTTP_PORT=${CHAINWATCH_MAILPIT_HTTP_PORT:-$((b + 51))}
  CHAINWATCH_CTLOG_PORT=${CHAINWATCH_CTLOG_PORT:-$((b + 60))}
  CHAINWATCH_SUNLIGHT_PORT=${CHAINWATCH_SUNLIGHT_PORT:-$((b + 70))}
  CHAINWATCH_REGISTRY_PORT=${CHAINWATCH_REGISTRY_PORT:-$((b + 80))}
  CHAINWATCH_REGISTRY_NOTIFY_PORT=${CHAINWATCH_REGISTRY_NOTIFY_PORT:-$((b + 81))}
  CHAINWATCH_OCIREG_PORT=${CHAINWATCH_OCIREG_PORT:-$((b + 85))}
  CHAINWATCH_KUBE_ETCD_PORT=${CHAINWATCH_KUBE_ETCD_PORT:-$((b + 90))}
  CHAINWATCH_KUBE_PORT=${CHAINWATCH_KUBE_PORT:-$((b + 92))}
  CHAINWATCH_REKOR2_PORT=${CHAINWATCH_REKOR2_PORT:-$((b + 95))}
  export CHAINWATCH_RUN CHAINWATCH_TEST_PORT_BASE CHAINWATCH_KAFKA_PORT CHAINWATCH_OPENSEARCH_BASE_PORT CHAINWATCH_REKOR_PORT \
    CHAINWATCH_REKOR_DB_PORT CHAINWATCH_TRILLIAN_PORT CHAINWATCH_ALERTMANAGER_PORT CHAINWATCH_MAILPIT_SMTP_PORT \
    CHAINWATCH_MAILPIT_HTTP_PORT CHAINWATCH_CTLOG_PORT CHAINWATCH_SUNLIGHT_PORT CHAINWATCH_REGISTRY_PORT CHAINWATCH_REGISTRY_NOTIFY_PORT \
    CHAINWATCH_OCIREG_PORT CHAINWATCH_KUBE_ETCD_PORT CHAINWATCH_KUBE_PORT CHAINWATCH_REKOR2_PORT
}
chainwatch_checkout_defaults

# cached_build DEST FN [ARGS...]: build once into DEST (a cache directory) by calling `FN ARGS... TMP`,
# where TMP is a fresh directory next to DEST. Safe against another checkout (a CI run) building the
# same DEST at the same moment: the build runs under an exclusive flock on DEST.lock, and the result
# appears only by a rename of the finished TMP (marked .complete), so nobody ever runs a half-built
# binary. A failed build leaves DEST untouched.
cached_build() {
  local dest=$1; shift
  [[ -f "$dest/.complete" ]] && return 0
  mkdir -p "$(dirname "$dest")"
  local fd tmp="$dest.tmp.$$" rc=0
  exec {fd}>"$dest.lock"
  flock "$fd"
  if [[ ! -f "$dest/.complete" ]]; then
    rm -rf "$tmp"; mkdir -p "$tmp"
    "$@" "$tmp" || rc=$?
    if (( rc == 0 )); then touch "$tmp/.complete"; rm -rf "$dest"; mv "$tmp" "$dest"; else rm -rf "$tmp"; fi
  fi
  flock -u "$fd"; exec {fd}>&-
  return "$rc"
}
