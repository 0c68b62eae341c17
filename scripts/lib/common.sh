# shellcheck shell=bash
# Shared helpers for the service scripts (sourced, never run).
# Every long-lived process we start is tracked by a pid file inside its own state directory,
# and every signal we send is checked against that process's command line first, so a stale
# pid file can never make us kill somebody else's process (e.g. the shared dev broker).

DW_CACHE="${DW_CACHE:-$HOME/.cache/driftwatch}"

log() { printf '[%s] %s\n' "${DW_LOG_TAG:-dw}" "$*" >&2; }
die() { log "error: $*"; exit 2; }

require_port() { # name value
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (("$2" < 1 || "$2" > 65535)); then
    die "$1 must be a TCP port number, got '$2'"
  fi
}

port_in_use() { # port
  # /dev/tcp needs no extra tools; a refused connection means nothing listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

now_ms() { date +%s%3N; }

# A zombie (exited, not yet reaped by its parent) counts as gone: it holds no port or file.
pid_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# pid_matches PIDFILE PATTERN: the recorded process is alive and its command line contains
# PATTERN followed by an argument boundary (so port 1637 never matches a server on 16379).
pid_matches() {
  local pidfile="$1" pattern="$2" pid cmdline
  [[ -s "$pidfile" ]] || return 1
  pid="$(<"$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  [[ "$cmdline " == *"$pattern "* ]]
}

# stop_pid PIDFILE PATTERN TIMEOUT_S: SIGTERM, wait up to TIMEOUT_S, then SIGKILL.
stop_pid() {
  local pidfile="$1" pattern="$2" timeout_s="$3" pid deadline
  if ! pid_matches "$pidfile" "$pattern"; then
    rm -f "$pidfile"
    return 0
  fi
  pid="$(<"$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(($(now_ms) + timeout_s * 1000))
  while pid_alive "$pid" && (($(now_ms) < deadline)); do sleep 0.1; done
  if pid_alive "$pid"; then
    log "pid $pid ignored SIGTERM for ${timeout_s}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$(($(now_ms) + 10000))
    while pid_alive "$pid"; do
      (($(now_ms) < deadline)) || die "pid $pid survived SIGKILL"
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
}

# watch_owner OWNER_PID SERVICE_PID STOP_COMMAND...: when the owner (e.g. a test runner) dies
# without tearing down, stop the service anyway so that no orphan broker keeps ports and
# memory. The watcher ends by itself once the service is gone. Detached, with closed stdio,
# so that callers reading our output are not kept waiting for EOF.
watch_owner() {
  local owner="$1" service="$2"
  shift 2
  [[ -n "$owner" ]] || return 0
  [[ "$owner" =~ ^[0-9]+$ ]] || die "DW_OWNER_PID must be a pid, got '$owner'"
  # shellcheck disable=SC2016 # the inner script expands its own positional parameters
  setsid bash -c '
    alive() { local s; s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1; s="${s##*) }"; [[ "${s:0:1}" != Z ]]; }
    owner="$1" service="$2"; shift 2
    while alive "$owner" && alive "$service"; do sleep 2; done
    if alive "$service"; then "$@"; fi
  ' watch-owner "$owner" "$service" "$@" </dev/null >/dev/null 2>&1 &
  disown || true
}
