# Sourced by service scripts that run several named processes under one run directory (trillian.bash
# for rekor.sh and ctlog.sh, sunlight.sh); not a service itself (not a *.sh). Needs lib.bash
# (pid_alive, stop_pidfile) and, from the caller, RUN (holds logs/ and NAME.pid) and a log()
# function that writes to stderr. Not in lib.bash because kafka.sh, opensearch.sh, alertmanager.sh
# and mailpit.sh define an alive() and port_open() of their own (one process, one PIDFILE).

pidfile() { echo "$RUN/$1.pid"; }
alive() { pid_alive "$(pidfile "$1")"; }

# spawn NAME CMD...: background process with its own log and pid file.
spawn() {
  local name=$1; shift
  nohup "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! > "$(pidfile "$name")"
}

# wait_for NAME SECONDS CHECK...: until CHECK succeeds; exits (with NAME's log tail) when NAME dies or
# the time is up.
wait_for() {
  local name=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do
    "$@" && return 0
    alive "$name" || { log "$name died"; tail -40 "$RUN/logs/$name.log" >&2; exit 1; }
    sleep 0.25
  done
  log "$name not ready in ${secs}s"; tail -40 "$RUN/logs/$name.log" >&2; exit 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_one() { stop_pidfile "$(pidfile "$1")" TERM 10; }
