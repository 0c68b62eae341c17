#!/usr/bin/env bash
# Redis (Debian's redis-server) on loopback, without Docker, durable by default: AOF with
# `appendfsync always`, so a write the monitors were told succeeded survives kill -9 or an
# OS crash (Redis is the source of truth for their progress; see docs/design/monitoring.md).
#
#   scripts/redis.sh start    start as a daemon; returns once it answers PING
#   scripts/redis.sh stop     graceful stop (SIGTERM, then SIGKILL after REDIS_STOP_TIMEOUT s)
#   scripts/redis.sh status   prints running/stopped; exit 0 when running, 1 when stopped
#
# Environment:
#   REDIS_PORT=16379                 (not 6379: the shared dev Redis's)
#   DW_CACHE=~/.cache/driftwatch
#   REDIS_STATE_DIR=$DW_CACHE/run/redis-$REDIS_PORT   pid and log of this instance
#   REDIS_START_TIMEOUT=20, REDIS_STOP_TIMEOUT=10 (seconds)
#   DW_OWNER_PID   when set, the server is stopped as soon as that process is gone
#   REDIS_PERSISTENCE=always         AOF fsynced before every reply (default);
#                    everysec        AOF fsynced once a second (a crash loses up to a second);
#                    none            no persistence (a restart loses everything; the monitors
#                                    then refuse to go on until their keys are cleared)
#   The AOF lives in REDIS_STATE_DIR, so a restart of the same port reloads it.
# `start` prints the URL (redis://127.0.0.1:PORT) on stdout; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DW_LOG_TAG=redis
source "$here/lib/common.sh"

port="${REDIS_PORT:-16379}"
require_port REDIS_PORT "$port"
state="${REDIS_STATE_DIR:-$DW_CACHE/run/redis-$port}"
pidfile="$state/redis.pid"
url="redis://127.0.0.1:$port"
# redis-server rewrites its process title to "redis-server 127.0.0.1:PORT", so the bound
# address is what tells our instance apart from any other Redis on the machine.
pattern="redis-server 127.0.0.1:$port"

ensure_installed() {
  command -v redis-server >/dev/null && return 0
  ((EUID == 0)) || die "redis-server is not installed (sudo apt-get install -y redis-server)"
  log "installing redis-server from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2; }
}

ping_ok() { [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; }

start() {
  ensure_installed
  if pid_matches "$pidfile" "$pattern"; then
    log "already running (pid $(<"$pidfile"))"
  else
    port_in_use "$port" && die "port $port is already in use by another process"
    mkdir -p "$state"
    rm -f "$pidfile"
    local persistence
    case "${REDIS_PERSISTENCE:-always}" in
      always | everysec) persistence=(--appendonly yes --appendfsync "${REDIS_PERSISTENCE:-always}") ;;
      none) persistence=(--appendonly no) ;;
      *) die "REDIS_PERSISTENCE must be always, everysec or none, got '${REDIS_PERSISTENCE}'" ;;
    esac
    redis-server --bind 127.0.0.1 --port "$port" --save '' "${persistence[@]}" \
      --daemonize yes --pidfile "$pidfile" --logfile "$state/redis.log" --dir "$state" \
      >/dev/null
  fi
  local deadline=$(($(now_ms) + ${REDIS_START_TIMEOUT:-20} * 1000))
  until ping_ok; do
    if (($(now_ms) > deadline)); then
      [[ -s "$state/redis.log" ]] && tail -n 20 "$state/redis.log" >&2
      stop_pid "$pidfile" "$pattern" 5
      die "Redis did not answer PING on port $port"
    fi
    sleep 0.05
  done
  # The daemon writes its pid file after it starts serving; wait for it so stop/status work.
  until pid_matches "$pidfile" "$pattern"; do
    (($(now_ms) > deadline)) && die "Redis answers on $port but wrote no pid file (not ours?)"
    sleep 0.05
  done
  log "ready on $url"
  watch_owner "${DW_OWNER_PID:-}" "$(<"$pidfile")" env REDIS_PORT="$port" \
    REDIS_STATE_DIR="$state" DW_CACHE="$DW_CACHE" bash "$here/redis.sh" stop
  echo "$url"
}

stop() {
  if pid_matches "$pidfile" "$pattern"; then
    log "stopping pid $(<"$pidfile")"
    stop_pid "$pidfile" "$pattern" "${REDIS_STOP_TIMEOUT:-10}"
    log "stopped"
  else
    rm -f "$pidfile"
    log "not running"
  fi
}

status() {
  if pid_matches "$pidfile" "$pattern"; then
    echo "redis running pid=$(<"$pidfile") url=$url state=$state"
  else
    echo "redis stopped url=$url state=$state"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 {start|stop|status}" >&2
    exit 2
    ;;
esac
