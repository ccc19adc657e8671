#!/usr/bin/env bash
# Start to ready, and idle memory, of the whole daemon (four JVMs), as root.
#
# Ready = every engine runs the configuration and the first check round has a verdict for
# every host (each host's "state unknown -> ..." line in the -d log). Then, after the daemon
# has idled for a few seconds, the RSS of each JVM from /proc/<pid>/status.
#
# usage: bench/daemon/run.sh [runs]      (default 5; prints each run and the median)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
[ "$(id -u)" = 0 ] || { echo "bench/daemon: run as root" >&2; exit 1; }
work=$(mktemp -d)
mkdir -p "$work/empty" && chmod 755 "$work/empty"
backends_pid=""
cleanup() {
  [ -n "${daemon_pid:-}" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$backends_pid" ] && kill "$backends_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

java demo/DemoBackends.java 127.0.0.21:9301 127.0.0.22:9301 >/dev/null &
backends_pid=$!
cat > "$work/hs.conf" <<CONF
user "nobody"
chroot "$work/empty"
socket "$work/hs.sock"
l3 backend none
interval 5
timeout 500
table web {
	real port 9301
	check tcp
	host 127.0.0.21
	host 127.0.0.22
	host 127.0.0.23
}
relay www {
	listen on 127.0.0.1 port 9380
	table web roundrobin
}
CONF
bin/hoststated -n -f "$work/hs.conf" >/dev/null 2>&1   # builds if needed, outside the timing
sleep 1

rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
ready_ms=()
for i in $(seq 1 "$runs"); do
  log="$work/run$i.log"
  start=$(date +%s%N)
  bin/hoststated -d -f "$work/hs.conf" >"$log" 2>&1 &
  daemon_pid=$!
  while [ "$(grep -c 'state unknown ->' "$log" || true)" -lt 3 ]; do
    sleep 0.02
    kill -0 "$daemon_pid" 2>/dev/null || { echo "daemon died:"; cat "$log"; exit 1; }
  done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  ready_ms+=("$ms")
  sleep 5
  parent=$(pgrep -f '^hoststated: parent' | head -n 1)
  pfe=$(pgrep -f '^hoststated: pf engine' | head -n 1)
  hce=$(pgrep -f '^hoststated: health check engine' | head -n 1)
  rel=$(pgrep -f '^hoststated: relay engine' | head -n 1)
  p=$(rss "$parent"); f=$(rss "$pfe"); h=$(rss "$hce"); r=$(rss "$rel")
  printf 'run %d: ready %5d ms   RSS MiB: parent %3d  pfe %3d  hce %3d  relay %3d  total %3d\n' \
    "$i" "$ms" "$p" "$f" "$h" "$r" $((p + f + h + r))
  echo "$((p + f + h + r))" >> "$work/totals"
  kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=""
  sleep 1
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median ready: $(printf '%s\n' "${ready_ms[@]}" | median) ms (target < 3000)"
echo "median total RSS: $(median < "$work/totals") MiB (target < 300)"
