#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker+controller in one JVM) for integration tests and benches.
#
#   kafka.sh start          fresh data dir, start, wait until the broker answers, print export lines
#   kafka.sh stop           stop the broker (idempotent), keep nothing running
#   kafka.sh stop-broker    SIGKILL the broker but keep its data (outage tests: a crash, not a drain)
#   kafka.sh start-broker   start again on the kept data and wait until it answers
#   kafka.sh status         exit 0 when the broker process is alive
#
# stdout carries ONLY `export ...` lines (scripts/test.sh evals them); everything else goes to stderr.
# Jars come from Maven Central via `mvn dependency:copy-dependencies` into
# $CHAINWATCH_CACHE/kafka/<version>/lib once; a warm start never runs Maven.
# Env: CHAINWATCH_KAFKA_VERSION (default 4.1.1), CHAINWATCH_KAFKA_LOG4J (log4j version matching it),
#      CHAINWATCH_RUN (default: per checkout, lib.bash), CHAINWATCH_KAFKA_PORT (default: the checkout port block, lib.bash; controller +1),
#      CHAINWATCH_KAFKA_HEAP (default 512m), JAVA (default: java on PATH, 17+).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../env.sh
source "$HERE/../env.sh"
# shellcheck source=lib.bash
source "$HERE/lib.bash"

VERSION=${CHAINWATCH_KAFKA_VERSION:-4.1.1}
LOG4J=${CHAINWATCH_KAFKA_LOG4J:-2.24.3}
PORT=$CHAINWATCH_KAFKA_PORT
CPORT=$((PORT + 1))
HEAP=${CHAINWATCH_KAFKA_HEAP:-512m}
JAVA=${JAVA:-java}
LIB="$CHAINWATCH_CACHE/kafka/$VERSION/lib"
RUN="$CHAINWATCH_RUN/kafka"
PIDFILE="$RUN/kafka.pid"
# Any fixed base64 UUID works for a throwaway cluster; fixed keeps restarts on kept data valid.
CLUSTER_ID=MkU3OEVBNTcwNTJENDM2Qk

log() { echo "kafka.sh: $*" >&2; }

fetch_jars() {
  [[ -f "$LIB/.complete" ]] && return 0
  log "fetching Kafka $VERSION jars from Maven Central into $LIB"
  # Copy into a private temp dir and rename: two concurrent cold starts must not see half a classpath.
  local tmp="$LIB.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$(dirname "$LIB")"
  mvn -B -q -Dstyle.color=never -f "$HERE/kafka/pom.xml" -Dkafka.version="$VERSION" -Dlog4j.version="$LOG4J" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
  ls "$tmp" | grep -q "^kafka_2.13-$VERSION.jar$" || { log "kafka_2.13-$VERSION.jar missing after mvn"; exit 1; }
  if ! ls "$tmp" | grep -q '^slf4j-api-1\.'; then
    log "WARN: slf4j-api is 2.x for Kafka $VERSION: the 1.x binding is ignored; use log4j-slf4j2-impl in kafka/pom.xml"
  fi
  touch "$tmp/.complete"
  if [[ -f "$LIB/.complete" ]]; then rm -rf "$tmp"; else rm -rf "$LIB"; mv "$tmp" "$LIB"; fi
}

write_config() {
  mkdir -p "$RUN/data" "$RUN/logs"
  cat > "$RUN/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$RUN/data
num.partitions=1
# Topics are created by KafkaBus through the admin API; auto-creation would hide missing ensureTopics.
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# One node, many short-lived test groups: do not wait 3s for more members before the first rebalance.
group.initial.rebalance.delay.ms=0
EOF
}

java_opts() {
  echo "-Xms128m -Xmx$HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true" \
       "-Dlog4j2.configurationFile=$HERE/kafka/log4j2.properties -Dkafka.logs.dir=$RUN/logs"
}

alive() { pid_alive "$PIDFILE"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

launch() {
  local out="$RUN/logs/kafka.out" started mark
  started=$(date +%s)
  # The listener opens before the broker has finished recovery: wait for this launch's
  # "Kafka Server started" line (more than were in the log before) and a TCP accept.
  mark=$(grep -c 'Kafka Server started' "$out" 2>/dev/null || true); mark=${mark:-0}
  # shellcheck disable=SC2046
  nohup "$JAVA" $(java_opts) -cp "$LIB/*" kafka.Kafka "$RUN/server.properties" >>"$out" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 240); do
    if [[ $(grep -c 'Kafka Server started' "$out" 2>/dev/null || true) -gt $mark ]] && port_open; then
      log "broker up on 127.0.0.1:$PORT after $(( $(date +%s) - started ))s (pid $(cat "$PIDFILE"))"
      return 0
    fi
    alive || { log "broker died"; tail -50 "$out" >&2; exit 1; }
    sleep 0.5
  done
  log "broker not ready in 120s"; tail -50 "$out" >&2; exit 1
}

kill_broker() { stop_pidfile "$PIDFILE" "$1" 30; }

print_exports() {
  echo "export CHAINWATCH_TEST_KAFKA_BROKERS=127.0.0.1:$PORT"
  echo "export CHAINWATCH_TEST_KAFKA_SCRIPT=$HERE/kafka.sh"
}

case "${1:-}" in
  start)
    kill_broker TERM
    fetch_jars
    rm -rf "$RUN"; write_config
    # shellcheck disable=SC2046
    "$JAVA" $(java_opts) -cp "$LIB/*" kafka.tools.StorageTool format \
      --config "$RUN/server.properties" --cluster-id "$CLUSTER_ID" --ignore-formatted >"$RUN/logs/format.out" 2>&1 \
      || { log "storage format failed"; cat "$RUN/logs/format.out" >&2; exit 1; }
    launch
    print_exports
    ;;
  stop) kill_broker TERM; log "stopped" ;;
  stop-broker) kill_broker KILL; log "broker killed (data kept in $RUN/data)" ;;
  start-broker)
    alive && { log "already running"; exit 0; }
    [[ -f "$RUN/server.properties" ]] || { log "no kept data; use start"; exit 1; }
    launch
    ;;
  status) alive ;;
  *) echo "usage: $0 start|stop|stop-broker|start-broker|status" >&2; exit 2 ;;
esac
