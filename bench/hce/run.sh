#!/bin/sh
# Health check engine bench (BENCH.md "Health checks"): round wall time and CPU seconds per
# round of the checker (HceBench: one CheckScheduler on one epoll loop, as in the engine),
# for N hosts 127.0.x.y answered by one listener on 0.0.0.0.
#
# The backend is nginx (Debian nginx-light) in its own process, so the CPU figure is the
# checker's alone; without nginx an in-process Netty server answers and its CPU is included
# (said on each line). icmp needs root. Round 1 is cold (JIT); later rounds are warm.
# Usage: bench/hce/run.sh [rounds] [timeout-ms]   (from anywhere; builds what it needs)
set -eu
ROUNDS=${1:-5}
TIMEOUT=${2:-1000}
PORT=20080
cd "$(dirname "$0")/../.."
. bench/hce/classpath.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

DIR=$(mktemp -d /tmp/hce-bench.XXXXXX)
NGINX=
cleanup() {
  [ -n "$NGINX" ] && kill "$NGINX" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
if [ -x /usr/sbin/nginx ]; then
  cat > "$DIR/nginx.conf" <<EOF
daemon off;
worker_processes 2;
worker_rlimit_nofile 65536;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $DIR/body;
  server { listen 0.0.0.0:$PORT backlog=8192; location / { return 200 "ok\n"; } }
}
EOF
  /usr/sbin/nginx -p "$DIR" -c "$DIR/nginx.conf" &
  NGINX=$!
  sleep 0.5
  SERVER="$PORT"
  echo "backend: nginx (2 workers) on 0.0.0.0:$PORT; timeout ${TIMEOUT} ms; machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
else
  SERVER=
  echo "backend: in-process Netty server (no nginx); timeout ${TIMEOUT} ms"
fi

for type in tcp http icmp; do
  if [ "$type" = icmp ] && [ "$(id -u)" != 0 ]; then echo "icmp: skipped (needs root)"; continue; fi
  for n in 1000 10000; do
    # shellcheck disable=SC2086
    java -XX:+UseSerialGC -Xmx128m -Dtimeout="$TIMEOUT" -cp "$CP" org.hoststated.hce.bench.HceBench \
      "$type" "$n" "$ROUNDS" $SERVER
  done
done
