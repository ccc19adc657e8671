#!/usr/bin/env bash
# HTTP relay against its peer, side by side in one run (method: BENCH.md):
#   nginx direct | HAProxy (nbthread 1, http-keep-alive, option forwardfor, http-reuse always)
#   | hoststated relay (prefork 1, protocol http with request header append "$REMOTE_ADDR" to
#   "X-Forwarded-For"), each with wrk keep-alive and with "Connection: close".
# Prints per round and the median of each: req/s, p50, p99, errors (non-2xx + socket),
# proxy CPU seconds and requests per proxy CPU-second, ratio to direct and to HAProxy; then
# the relay engine's RSS under load and idle.
#
# usage: bench/relay-http/run.sh [rounds]   (default 5; DUR=seconds per run, default 10;
#        WARM=seconds of warm-up load before measuring, default 20), as root.
# Needs nginx, haproxy and wrk (Debian packages). Uses 127.23.1.1-3 ports 18080-18082.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
dur=${DUR:-10}
warm=${WARM:-20}
[ "$(id -u)" = 0 ] || { echo "bench/relay-http: run as root" >&2; exit 1; }
for t in nginx haproxy wrk; do command -v $t >/dev/null || { echo "bench/relay-http: $t missing" >&2; exit 1; }; done
work=$(mktemp -d /tmp/rh-bench.XXXXXX)
mkdir -p "$work/empty" "$work/www" && chmod 755 "$work" "$work/empty" "$work/www"
nginx_pid="" haproxy_pid="" daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen 127.23.1.1:18080; root $work/www; }
}
CONF
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend fe
  bind 127.23.1.2:18081
  option forwardfor
  default_backend be
backend be
  http-reuse always
  server s1 127.23.1.1:18080
CONF
cat > "$work/hs.conf" <<CONF
user "nobody"
chroot "$work/empty"
socket "$work/hs.sock"
l3 backend none
prefork 1
protocol web {
	protocol http
	request header append "\$REMOTE_ADDR" to "X-Forwarded-For"
}
relay www {
	listen on 127.23.1.3 port 18082
	protocol web
	forward to 127.23.1.1 port 18080
}
CONF

nginx -c "$work/nginx.conf" & nginx_pid=$!
haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & haproxy_pid=$!
bin/hoststated -n -f "$work/hs.conf" >/dev/null
bin/hoststated -d -f "$work/hs.conf" >"$work/daemon.log" 2>&1 & daemon_pid=$!
for i in $(seq 1 200); do
  curl -s -o /dev/null http://127.23.1.3:18082/ && break
  sleep 0.1
done
# Our own daemon's engine (other daemons may run on a shared machine).
relay=$(pgrep -P "$daemon_pid" -f 'relay engine' | head -n 1)
[ -n "$relay" ] || { echo "bench/relay-http: no relay engine"; cat "$work/daemon.log"; exit 1; }
grep -i 'io_uring\|epoll' "$work/daemon.log" | head -n 2 || true

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
url() { case $1 in direct) echo http://127.23.1.1:18080/;; haproxy) echo http://127.23.1.2:18081/;; relay) echo http://127.23.1.3:18082/;; esac; }
pid() { case $1 in direct) echo "";; haproxy) echo "$haproxy_pid";; relay) echo "$relay";; esac; }

# run PATH MODE -> "reqs p50ms p99ms errors cpus"
run() {
  local p; p=$(pid "$1")
  local hdr=(); [ "$2" = close ] && hdr=(-H "Connection: close")
  local c0=0; [ -n "$p" ] && c0=$(cpu "$p")
  local out; out=$(wrk -t1 -c50 -d"${dur}s" --latency "${hdr[@]}" "$(url "$1")")
  local c1=0; [ -n "$p" ] && c1=$(cpu "$p")
  local rps p50 p99 err
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  err=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(/[^0-9 ]/," "); for(i=1;i<=NF;i++) n+=$i} END {print n+0}' <<<"$out")
  echo "$rps $p50 $p99 $err $(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz}')"
}

echo "warm-up ${warm}s per proxy"
wrk -t1 -c50 -d"${warm}s" "$(url relay)" >/dev/null
wrk -t1 -c50 -d"$((warm / 2))s" "$(url haproxy)" >/dev/null
load_rss=0
for mode in keepalive close; do
  for r in $(seq 1 "$rounds"); do
    for path in direct haproxy relay; do
      res=$(run "$path" "$mode")
      echo "$mode $path $res" >> "$work/results"
      printf '%-9s round %d %-8s req/s %9s  p50 %8s  p99 %8s  errors %s  cpu-s %s\n' "$mode" "$r" "$path" $res
      [ "$path" = relay ] && load_rss=$(rss "$relay")
    done
  done
done
sleep 5
echo
echo "median of $rounds rounds (proxy requests per CPU-second = req/s x ${dur} / cpu-s):"
for mode in keepalive close; do
  awk -v m="$mode" -v d="$dur" '
    $1 == m { rps[$2] = rps[$2] " " $3; cpu[$2] = cpu[$2] " " $7; err[$2] += $6; p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $5 }
    function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((n + 1) / 2)] }
    function medt(s,   a, n, i, v) { n = split(s, a, " "); s = ""; for (i = 1; i <= n; i++) { v = a[i]; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; s = s " " v }; return med(s) }
    END {
      for (k = 1; k <= 3; k++) {
        p = (k == 1 ? "direct" : k == 2 ? "haproxy" : "relay")
        r[p] = med(rps[p]); c[p] = med(cpu[p])
        line = sprintf("%-9s %-8s req/s %9.0f  p50 %6.2f ms  p99 %6.2f ms  errors %d", m, p, r[p], medt(p50[p]), medt(p99[p]), err[p])
        if (p != "direct") line = line sprintf("  cpu-s %5.2f  req/cpu-s %7.0f", c[p], c[p] > 0 ? r[p] * d / c[p] : 0)
        print line
      }
      printf "%-9s relay/haproxy req/s %.2f   relay/direct %.2f   haproxy/direct %.2f   relay/haproxy req per cpu-s %.2f\n", m,
        r["relay"] / r["haproxy"], r["relay"] / r["direct"], r["haproxy"] / r["direct"],
        (r["relay"] / c["relay"]) / (r["haproxy"] / c["haproxy"])
    }' "$work/results"
done
echo "relay engine RSS: loaded ${load_rss} MiB, idle $(rss "$relay") MiB"
echo "(the machine may be shared: compare ratios within this run only)"
