#!/usr/bin/env bash
# Single-node Kafka 3.9.1 (KRaft, combined broker+controller) on loopback, without Docker.
#
#   scripts/kafka.sh fetch    download the broker jars with Maven into the cache (idempotent)
#   scripts/kafka.sh start    start in the background; returns once a client sees the broker
#   scripts/kafka.sh stop     graceful stop (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT s)
#   scripts/kafka.sh status   prints running/stopped; exit 0 when running, 1 when stopped
#   scripts/kafka.sh clean    delete the stopped node's state directory
#
# Environment:
#   KAFKA_PORT=19092, KAFKA_CONTROLLER_PORT=19093  (not 9092/9093: the shared dev broker's)
#   DW_CACHE=~/.cache/driftwatch    jars and default state live here, outside git
#   KAFKA_STATE_DIR=$DW_CACHE/run/kafka-$KAFKA_PORT   config, data, pid and logs of this node
#   KAFKA_START_TIMEOUT=90, KAFKA_STOP_TIMEOUT=30 (seconds), KAFKA_HEAP_OPTS=-Xmx512m
#   DW_OWNER_PID   when set, the node is stopped as soon as that process is gone
# `start` prints the bootstrap address (127.0.0.1:PORT) on stdout; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DW_LOG_TAG=kafka
source "$here/lib/common.sh"
source "$here/lib/kafka-node.sh"

port="${KAFKA_PORT:-19092}"
cport="${KAFKA_CONTROLLER_PORT:-19093}"
require_port KAFKA_PORT "$port"
require_port KAFKA_CONTROLLER_PORT "$cport"
state="${KAFKA_STATE_DIR:-$DW_CACHE/run/kafka-$port}"
brokers="127.0.0.1:$port"

start() {
  kafka_require_jars
  if kafka_node_running "$state"; then
    log "already running (pid $(<"$(kafka_pidfile "$state")"), $state)"
  else
    local p
    for p in "$port" "$cport"; do
      port_in_use "$p" && die "port $p is already in use by another process"
    done
    mkdir -p "$state"
    # The cluster id is kept with the data so that a restart reuses the formatted storage.
    [[ -s "$state/cluster.id" ]] || kafka_new_cluster_id >"$state/cluster.id"
    kafka_write_config "$state" 1 "$port" "$cport" "1@127.0.0.1:$cport" 1 1
    log "starting on $brokers (state in $state)"
    kafka_node_launch "$state" "$(<"$state/cluster.id")"
  fi
  local pid
  pid="$(<"$(kafka_pidfile "$state")")"
  if ! kafka_wait_ready "$brokers" 1 "${KAFKA_START_TIMEOUT:-90}" "$pid"; then
    kafka_dump_logs "$state"
    kafka_node_stop "$state"
    die "Kafka did not become ready on $brokers"
  fi
  watch_owner "${DW_OWNER_PID:-}" "$pid" env KAFKA_PORT="$port" KAFKA_CONTROLLER_PORT="$cport" \
    KAFKA_STATE_DIR="$state" DW_CACHE="$DW_CACHE" bash "$here/kafka.sh" stop
  echo "$brokers"
}

stop() {
  if kafka_node_running "$state"; then
    log "stopping pid $(<"$(kafka_pidfile "$state")")"
    kafka_node_stop "$state"
    log "stopped"
  else
    kafka_node_stop "$state" # only clears a stale pid file
    log "not running"
  fi
}

status() {
  if kafka_node_running "$state"; then
    echo "kafka running pid=$(<"$(kafka_pidfile "$state")") brokers=$brokers state=$state"
  else
    echo "kafka stopped brokers=$brokers state=$state"
    return 1
  fi
}

clean() {
  kafka_node_running "$state" && die "still running; stop it first"
  rm -rf "$state"
  log "removed $state"
}

case "${1:-}" in
  fetch) kafka_fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  clean) clean ;;
  *)
    echo "usage: $0 {fetch|start|stop|status|clean}" >&2
    exit 2
    ;;
esac
