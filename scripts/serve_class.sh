#!/usr/bin/env bash
# Serve GenLab to a class from one machine: K app processes behind HAProxy on one port, each browser
# session kept on one process by a cookie (see deploy/haproxy.cfg for why).
#
# Usage: scripts/serve_class.sh [K] [extra streamlit flags...]       K defaults to 2
#   students open      http://<this machine>:8600 (the script prints the addresses to give them)
#   per-process stats  http://127.0.0.1:8609/ (on this machine only)
#   Ctrl-C stops the proxy and the app processes.
#
# Settings (environment; GENLAB_* variables also reach the apps):
#   GENLAB_PROXY_BIND   where students connect            (default 0.0.0.0:8600)
#   GENLAB_APP_PORT     first app port; apps use it..+K-1  (default 8601; apps listen on 127.0.0.1 only)
#   GENLAB_CLASS_DIR    app logs and the generated proxy config (default /tmp/genlab-class)
#   GENLAB_WORKERS      compute workers per process        (default: cores / K, at least 1)
#   GENLAB_THREADS      torch threads per worker           (default 1, so K x workers x threads = cores)
set -euo pipefail

cd "$(dirname "$0")/.."
K=${1:-2}
shift || true
[[ "$K" =~ ^[1-9][0-9]*$ ]] || { echo "K must be a positive number, not '$K'" >&2; exit 2; }

BIND=${GENLAB_PROXY_BIND:-0.0.0.0:8600}
BASE=${GENLAB_APP_PORT:-8601}
DIR=${GENLAB_CLASS_DIR:-/tmp/genlab-class}
CORES=$(nproc)
WORKERS=${GENLAB_WORKERS:-$(( CORES / K > 0 ? CORES / K : 1 ))}
# The scheduler asks torch for cpu_count // workers threads per worker; with K processes that would
# put K times too many threads on the cores, so one thread per worker unless told otherwise.
THREADS=${GENLAB_THREADS:-1}
# Python: an active virtual environment first (the teacher's own), then the project's .venv, then python3.
PYTHON=${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}
[[ -n $PYTHON && -x $PYTHON ]] || PYTHON=.venv/bin/python
[[ -x $PYTHON ]] || PYTHON=python3
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
mkdir -p "$DIR"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The addresses students can open: 0.0.0.0 (or ::, or *) means every interface, which no browser can
# open, so list this machine's own addresses (loopback last: it only works on this machine).
class_urls() {
    local host=${BIND%:*} port=${BIND##*:} ip
    host=${host#[} && host=${host%]}
    if [[ $host != 0.0.0.0 && $host != "::" && $host != "*" && -n $host ]]; then
        echo "http://$host:$port"
        return
    fi
    for ip in $(hostname -I 2>/dev/null || true); do
        [[ $ip == *:* ]] && echo "http://[$ip]:$port" || echo "http://$ip:$port"
    done
    local name
    name=$(hostname -f 2>/dev/null || hostname 2>/dev/null || true)
    [[ -n $name && $name != localhost* ]] && echo "http://$name:$port"
    echo "http://127.0.0.1:$port   (this machine only)"
}

PIDS=()
stop_all() {
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 30); do  # up to 15 s for a clean shutdown, then force
        alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.5
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    echo "stopped ${#PIDS[@]} processes (the app processes and the proxy)" >&2
}
trap stop_all EXIT
trap 'exit 130' INT TERM  # exit runs the EXIT trap once

# 1. The app processes, each on its own port and with its share of the cores (the proxy's port is
#    checked first: finding it taken after the apps have loaded would waste a minute).
if port_busy "${BIND##*:}"; then echo "port ${BIND##*:} (GENLAB_PROXY_BIND) is already in use" >&2; exit 1; fi
for (( i = 0; i < K; i++ )); do
    port=$(( BASE + i ))
    if port_busy "$port"; then echo "port $port is already in use" >&2; exit 1; fi
    GENLAB_WORKERS=$WORKERS GENLAB_THREADS=$THREADS "$PYTHON" -m streamlit run app.py \
        --server.port "$port" --server.address 127.0.0.1 --server.headless true "$@" \
        >"$DIR/app-$port.log" 2>&1 &
    PIDS+=($!)
    echo "app $((i + 1)): pid $! on 127.0.0.1:$port, GENLAB_WORKERS=$WORKERS GENLAB_THREADS=$THREADS, log $DIR/app-$port.log" >&2
done

# 2. Wait until each answers its health check (two minutes at most).
for (( i = 0; i < K; i++ )); do
    port=$(( BASE + i ))
    for try in $(seq 1 240); do
        kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "app on port $port exited; see $DIR/app-$port.log" >&2; exit 1; }
        [[ "$(curl -s -m 2 "http://127.0.0.1:$port/_stcore/health" || true)" == ok ]] && break
        (( try < 240 )) || { echo "app on port $port did not become healthy; see $DIR/app-$port.log" >&2; exit 1; }
        sleep 0.5
    done
done

# 3. The proxy config for K processes: deploy/haproxy.cfg with its `server` lines rewritten.
CFG="$DIR/haproxy.cfg"
awk -v k="$K" -v base="$BASE" '
    /^[[:space:]]*server app[0-9]+ / {
        if (!done) for (i = 1; i <= k; i++) printf "    server app%d 127.0.0.1:%d cookie a%d\n", i, base + i - 1, i
        done = 1; next
    }
    { print }' deploy/haproxy.cfg >"$CFG"
export GENLAB_PROXY_BIND=$BIND
"$HAPROXY" -c -q -f "$CFG"

# 4. The proxy, in the foreground of this script: when it exits (or Ctrl-C), the trap stops the apps.
{
    echo "GenLab for the class: students open one of"
    class_urls | sed 's/^/    /'
    echo "(stats: http://127.0.0.1:8609/)  Ctrl-C stops everything"
} >&2
"$HAPROXY" -db -f "$CFG" &
PIDS+=($!)
wait "${PIDS[-1]}"
