#!/usr/bin/env bash
# Single-node Kafka 3.9.1 (KRaft, combined broker+controller) on loopback, without Docker.
#
#   scripts/kafka.sh fetch    download the broker jars with Maven into the cache (idempotent)
#   scripts/kafka.sh start    start in the background; returns once a client sees the broker
#   scripts/kafka.sh stop     graceful stop (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT s)
#   scripts/kafka.sh status   prints running/stopped; exit 0 when running, 1 when stopped
#   scripts/kafka.sh clean    delete the stopped node's state directory
#   scripts/kafka.sh scram-user NAME   (KAFKA_SASL=scram nodes) create user NAME or change its
#                             password, read from stdin; as the admin, through the broker
#
# Environment:
#   KAFKA_PORT=19092, KAFKA_CONTROLLER_PORT=19093  (not 9092/9093: the shared dev broker's)
#   DW_CACHE=~/.cache/driftwatch    jars and default state live here, outside git
#   KAFKA_STATE_DIR=$DW_CACHE/run/kafka-$KAFKA_PORT   config, data, pid and logs of this node
#   KAFKA_START_TIMEOUT=90, KAFKA_STOP_TIMEOUT=30 (seconds), KAFKA_HEAP_OPTS=-Xmx512m
#   DW_OWNER_PID   when set, the node is stopped as soon as that process is gone
#   KAFKA_SASL=scram   the broker listener is SASL_PLAINTEXT: SCRAM-SHA-512 (clients and
#                  inter-broker) and PLAIN (user admin only). User admin is created when the
#                  storage is formatted, with KAFKA_SASL_ADMIN_PASSWORD (default: random); more
#                  SCRAM users with `scram-user`. The admin's client settings, password included,
#                  are kept in $KAFKA_STATE_DIR/admin-client.properties (mode 600), usable as
#                  the Java tools' --command-config. No authorizer: any user may do anything.
#   KAFKA_SASL_REAUTH_MS   connections.max.reauth.ms of the SASL listener (default 0: Kafka's,
#                  never): clients must log in again on open connections within that time, so a
#                  changed password takes effect on them. kafkajs logs in again once less than
#                  10 s of a session remain; with sessions of 10 s or less it tries before every
#                  request and the broker refuses ("Request is not valid given the current SASL
#                  state"), so keep it above 10000.
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
sasl="${KAFKA_SASL:-}"
[[ -z "$sasl" || "$sasl" == scram ]] || die "KAFKA_SASL must be scram or unset, got '$sasl'"

# The SCRAM admin's password: fixed when the storage was formatted, recorded beside it.
admin_password() {
  local recorded="" wanted="${KAFKA_SASL_ADMIN_PASSWORD:-}"
  [[ -s "$state/admin-client.properties" ]] && recorded="$(kafka_admin_password "$state")"
  if [[ -n "$recorded" ]]; then
    [[ -z "$wanted" || "$wanted" == "$recorded" ]] ||
      die "KAFKA_SASL_ADMIN_PASSWORD differs from the admin password $state was formatted with; clean it first"
    echo "$recorded"
    return 0
  fi
  [[ ! -e "$state/data/meta.properties" ]] || die "$state was formatted without KAFKA_SASL=scram; clean it first"
  [[ -n "$wanted" ]] || wanted="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
  kafka_check_scram_password KAFKA_SASL_ADMIN_PASSWORD "$wanted"
  echo "$wanted"
}

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
    if [[ "$sasl" == scram ]]; then
      local password reauth_ms="${KAFKA_SASL_REAUTH_MS:-0}"
      [[ "$reauth_ms" =~ ^[0-9]+$ ]] || die "KAFKA_SASL_REAUTH_MS must be a number of milliseconds, got '$reauth_ms'"
      password="$(admin_password)"
      kafka_write_admin_client_config "$state" "$password" "$brokers"
      kafka_write_config "$state" 1 "$port" "$cport" "1@127.0.0.1:$cport" 1 1 SASL_PLAINTEXT
      kafka_append_scram_config "$state" "$password" "$reauth_ms"
      log "starting on $brokers with SASL_PLAINTEXT/SCRAM-SHA-512 (state in $state)"
      # The storage tool takes the admin's credential only as an argument (on its command line
      # for the second it runs); it counts only when the storage is formatted, on a first start.
      kafka_node_launch "$state" "$(<"$state/cluster.id")" --add-scram "SCRAM-SHA-512=[name=admin,password=$password]"
    else
      [[ ! -s "$state/admin-client.properties" ]] || die "$state was formatted with KAFKA_SASL=scram; set it, or clean first"
      kafka_write_config "$state" 1 "$port" "$cport" "1@127.0.0.1:$cport" 1 1
      log "starting on $brokers (state in $state)"
      kafka_node_launch "$state" "$(<"$state/cluster.id")"
    fi
  fi
  local pid
  pid="$(<"$(kafka_pidfile "$state")")"
  # A SCRAM node only answers a client that logs in.
  if [[ -s "$state/admin-client.properties" ]]; then
    KAFKA_PROBE_SCRAM_PASSWORD="$(kafka_admin_password "$state")"
    export KAFKA_PROBE_SCRAM_PASSWORD
  fi
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
  scram-user)
    [[ -n "${2:-}" ]] || die "usage: $0 scram-user NAME (the password on stdin)"
    kafka_node_running "$state" || die "not running"
    kafka_scram_user "$state" "$2"
    log "SCRAM-SHA-512 credential of $2 set"
    ;;
  *)
    echo "usage: $0 {fetch|start|stop|status|clean|scram-user NAME}" >&2
    exit 2
    ;;
esac
