#!/usr/bin/env bash
# Reload under load: wrk sends HTTP requests through a relay (plain TCP, to nginx) while the
# daemon is reloaded N times with `hoststatectl reload`, alternating between two
# configurations (a second relay added, then removed), so every reload really reconfigures
# the relay engine. Reports wrk's requests and errors (target: 0 errors, 0 non-2xx) and the
# reloads that failed. Run as root; installs wrk and nginx with apt-get when missing.
#
# usage: bench/reload/run.sh [reloads]     (default 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
reloads=${1:-100}
[ "$(id -u)" = 0 ] || { echo "bench/reload: run as root" >&2; exit 1; }
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
command -v nginx >/dev/null || apt-get install -y -qq nginx >/dev/null
work=$(mktemp -d /tmp/bench-reload.XXXXXX)
mkdir -p "$work/empty" "$work/www" && chmod 755 "$work" "$work/empty" "$work/www"   # nginx workers read www
head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
cleanup() {
  [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null || true
  [ -n "${daemon_pid:-}" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

backend=127.25.8.11
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen $backend:25811; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"

conf() {   # conf 0|1: the base configuration, with a second relay when 1
  printf 'user "nobody"\nchroot "%s/empty"\nsocket "%s/hs.sock"\nl3 backend none\ninterval 2\ntimeout 500\n' \
    "$work" "$work"
  printf 'table web {\n\treal port 25811\n\tcheck tcp\n\thost %s\n}\n' "$backend"
  printf 'relay www {\n\tlisten on 127.25.8.1 port 25880\n\ttable web roundrobin\n}\n'
  if [ "$1" = 1 ]; then
    printf 'relay extra {\n\tlisten on 127.25.8.1 port 25881\n\ttable web roundrobin\n}\n'
  fi
}
conf 0 > "$work/hs.conf"
bin/hoststated -n -f "$work/hs.conf" >/dev/null 2>&1      # builds if needed
bin/hoststated -d -f "$work/hs.conf" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
ctl() { bin/hoststatectl -s "$work/hs.sock" "$@"; }
for _ in $(seq 300); do
  ctl show summary 2>/dev/null | grep -q $'^host.*\tup$' && break
  sleep 0.2
done
ctl show summary | grep -q $'^host.*\tup$' || { echo "backend never up"; cat "$work/daemon.log"; exit 1; }
for _ in $(seq 50); do curl -sf -o /dev/null http://127.25.8.1:25880/ && break; sleep 0.2; done
curl -sf -o /dev/null http://127.25.8.1:25880/ || { echo "relay does not forward"; tail "$work/daemon.log"; exit 1; }

wrk -t1 -c20 -d3600s --latency http://127.25.8.1:25880/ > "$work/wrk.txt" 2>&1 &
wrk_pid=$!
sleep 2
failed=0
start=$(date +%s%N)
for i in $(seq 1 "$reloads"); do
  conf $((i % 2)) > "$work/hs.conf"
  if ! ctl reload > "$work/reload.out" 2>&1; then
    failed=$((failed + 1))
    echo "reload $i failed: $(cat "$work/reload.out")"
  fi
done
secs=$(( ($(date +%s%N) - start) / 1000000000 ))
sleep 2
kill -INT "$wrk_pid"; wait "$wrk_pid" 2>/dev/null || true
wrk_pid=""
echo "$reloads reloads in ${secs}s, $failed failed"
grep -E 'requests in|Socket errors|Non-2xx|Requests/sec|Latency  |99%' "$work/wrk.txt" || true
errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt")
echo "wrk errors during the reloads: socket ${errors:-0}, non-2xx ${non2xx:-0} (target 0 and 0)"
echo "engine restarts (lost child): $(grep -c 'lost child' "$work/daemon.log" || true)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared)"
