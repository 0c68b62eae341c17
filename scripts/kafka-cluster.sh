#!/usr/bin/env bash
# Three Kafka 3.9.1 KRaft nodes (each broker+controller) on one machine, for failover tests:
# one cluster id, one static quorum of three voters, replication factor 3, min ISR 2.
#
#   scripts/kafka-cluster.sh start             start all nodes; returns once 3 brokers are registered
#   scripts/kafka-cluster.sh stop              stop all nodes
#   scripts/kafka-cluster.sh status            one line per node; exit 0 only when all 3 run
#   scripts/kafka-cluster.sh stop-node N       stop node N (1..3), e.g. to fail over a leader
#   scripts/kafka-cluster.sh start-node N      restart node N; returns once 3 brokers are back
#   scripts/kafka-cluster.sh clean             delete the stopped cluster's state
#
# Environment:
#   KAFKA_CLUSTER_BASE_PORT=19192  brokers on BASE..BASE+2, controllers on BASE+100..BASE+102
#   KAFKA_CLUSTER_STATE_DIR=$DW_CACHE/run/kafka-cluster-$BASE   (node-1, node-2, node-3 inside)
#   KAFKA_START_TIMEOUT=120, KAFKA_STOP_TIMEOUT=30, KAFKA_HEAP_OPTS=-Xmx512m, DW_OWNER_PID
# `start` prints the bootstrap list on stdout; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DW_LOG_TAG=kafka-cluster
source "$here/lib/common.sh"
source "$here/lib/kafka-node.sh"

nodes=(1 2 3)
base="${KAFKA_CLUSTER_BASE_PORT:-19192}"
require_port KAFKA_CLUSTER_BASE_PORT "$base"
require_port "controller port" "$((base + 102))"
state="${KAFKA_CLUSTER_STATE_DIR:-$DW_CACHE/run/kafka-cluster-$base}"

broker_port() { echo "$((base + $1 - 1))"; }
controller_port() { echo "$((base + 100 + $1 - 1))"; }
node_dir() { echo "$state/node-$1"; }

brokers="$(for n in "${nodes[@]}"; do printf '127.0.0.1:%s,' "$(broker_port "$n")"; done)"
brokers="${brokers%,}"
voters="$(for n in "${nodes[@]}"; do printf '%s@127.0.0.1:%s,' "$n" "$(controller_port "$n")"; done)"
voters="${voters%,}"

launch_node() { # N
  local n="$1" dir p
  dir="$(node_dir "$n")"
  if kafka_node_running "$dir"; then
    log "node $n already running"
    return 0
  fi
  for p in "$(broker_port "$n")" "$(controller_port "$n")"; do
    port_in_use "$p" && die "port $p (node $n) is already in use by another process"
  done
  kafka_write_config "$dir" "$n" "$(broker_port "$n")" "$(controller_port "$n")" "$voters" 3 2
  log "starting node $n on 127.0.0.1:$(broker_port "$n")"
  kafka_node_launch "$dir" "$(<"$state/cluster.id")"
}

node_pids() {
  local n
  for n in "${nodes[@]}"; do
    kafka_node_running "$(node_dir "$n")" && cat "$(kafka_pidfile "$(node_dir "$n")")"
  done
  return 0
}

wait_all_ready() {
  local pids
  mapfile -t pids < <(node_pids)
  if ! kafka_wait_ready "$brokers" 3 "${KAFKA_START_TIMEOUT:-120}" "${pids[@]}"; then
    local n
    for n in "${nodes[@]}"; do kafka_dump_logs "$(node_dir "$n")"; done
    stop_all
    die "the cluster did not become ready on $brokers"
  fi
}

start_all() {
  kafka_require_jars
  mkdir -p "$state"
  [[ -s "$state/cluster.id" ]] || kafka_new_cluster_id >"$state/cluster.id"
  local n
  # All nodes are launched before waiting: no single node can elect a controller alone.
  for n in "${nodes[@]}"; do launch_node "$n"; done
  wait_all_ready
  local pid
  for pid in $(node_pids); do
    watch_owner "${DW_OWNER_PID:-}" "$pid" env KAFKA_CLUSTER_BASE_PORT="$base" \
      KAFKA_CLUSTER_STATE_DIR="$state" DW_CACHE="$DW_CACHE" bash "$here/kafka-cluster.sh" stop
  done
  echo "$brokers"
}

stop_all() {
  local n
  # Stopped in parallel: each node's controlled shutdown waits on the others' quorum.
  for n in "${nodes[@]}"; do kafka_node_stop "$(node_dir "$n")" & done
  wait
  log "stopped"
}

status_all() {
  local n dir up=0
  for n in "${nodes[@]}"; do
    dir="$(node_dir "$n")"
    if kafka_node_running "$dir"; then
      echo "node $n running pid=$(<"$(kafka_pidfile "$dir")") broker=127.0.0.1:$(broker_port "$n")"
      up=$((up + 1))
    else
      echo "node $n stopped broker=127.0.0.1:$(broker_port "$n")"
    fi
  done
  if ((up == ${#nodes[@]})); then
    echo "kafka-cluster running brokers=$brokers"
  else
    echo "kafka-cluster stopped ($up of ${#nodes[@]} nodes running) brokers=$brokers"
    return 1
  fi
}

node_arg() {
  [[ "${1:-}" =~ ^[123]$ ]] || die "node number must be 1, 2 or 3"
  echo "$1"
}

case "${1:-}" in
  start) start_all ;;
  stop) stop_all ;;
  status) status_all ;;
  stop-node)
    n="$(node_arg "${2:-}")"
    kafka_node_stop "$(node_dir "$n")"
    log "node $n stopped"
    ;;
  start-node)
    n="$(node_arg "${2:-}")"
    kafka_require_jars
    launch_node "$n"
    wait_all_ready
    ;;
  clean)
    for n in "${nodes[@]}"; do
      kafka_node_running "$(node_dir "$n")" && die "node $n still running; stop first"
    done
    rm -rf "$state"
    log "removed $state"
    ;;
  *)
    echo "usage: $0 {start|stop|status|stop-node N|start-node N|clean}" >&2
    exit 2
    ;;
esac
