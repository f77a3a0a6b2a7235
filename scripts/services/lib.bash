# Sourced by the service scripts (not a service itself: scripts/test.sh starts every *.sh here).

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
