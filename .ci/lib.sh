# Shared helpers for the .ci/ scripts (sourced, not executed).

# Repository root, whatever directory the script was started from.
CI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$CI_ROOT/.venv/bin/python"

log() { printf '[ci %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS [PID]: poll until URL answers 2xx/3xx; give up early if PID died.
wait_http() {
    local url=$1 seconds=$2 pid=${3:-} i
    for ((i = 0; i < seconds * 4; i++)); do
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            log "process $pid exited before $url answered"
            return 1
        fi
        sleep 0.25
    done
    log "$url did not answer within ${seconds}s"
    return 1
}

# stop_pid PID [NAME]: TERM, wait up to 15 s, then KILL. Only ever the one process id given.
stop_pid() {
    local pid=$1 name=${2:-process} i
    kill -0 "$pid" 2>/dev/null || return 0
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    log "$name (pid $pid) ignored TERM; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
}

# as_root CMD...: run as root (directly, or through sudo when we are not root).
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    else
        sudo -n "$@"
    fi
}
