#!/usr/bin/env bash
# Layer-3 redirection with nftables, as root, in three network namespaces of its own:
#   l3b-cli (client, wrk) -- l3b-lb (hoststated, forwarding) -- l3b-srv (nginx backend)
#
# 1. Throughput through the virtual address (DNAT by the daemon's rule) vs routed directly to
#    the backend (same path through the balancer, no DNAT): wrk -t1 -c50, runs alternated,
#    median of each, and the ratio (target >= 0.95).
# 2. Delay from a host's state change to the kernel rule: the host is disabled and enabled
#    with hoststatectl N times; pfe's "rules applied N ms after the change" lines (-v) give
#    the delay inside the daemon, and the script times the rule's change as `nft` sees it.
#
# usage: bench/l3/run.sh [runs] [seconds]     (defaults 5 and 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
secs=${2:-5}
[ "$(id -u)" = 0 ] || { echo "bench/l3: run as root" >&2; exit 1; }
for t in nft wrk nginx ip; do command -v $t >/dev/null || { echo "bench/l3: needs $t" >&2; exit 1; }; done
CLI=l3b-cli LB=l3b-lb SRV=l3b-srv
VIP=10.21.19.100 HOST=10.21.12.11
work=$(mktemp -d /tmp/l3-bench.XXXXXX)
mkdir -p "$work/empty" && chmod 755 "$work/empty"
daemon_pid="" nginx_pid=""
cleanup() {
  # ip netns exec execs its command, so these are the daemon's and nginx's own pids.
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  for ns in $CLI $LB $SRV; do ip netns del $ns 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

for ns in $CLI $LB $SRV; do ip netns del $ns 2>/dev/null || true; ip netns add $ns; nsx $ns ip link set lo up; done
ip link add l3b-c0 netns $CLI type veth peer name l3b-c1 netns $LB
ip link add l3b-s0 netns $LB type veth peer name l3b-s1 netns $SRV
nsx $CLI ip addr add 10.21.11.2/24 dev l3b-c0; nsx $CLI ip link set l3b-c0 up
nsx $LB ip addr add 10.21.11.1/24 dev l3b-c1; nsx $LB ip link set l3b-c1 up
nsx $LB ip addr add 10.21.12.1/24 dev l3b-s0; nsx $LB ip link set l3b-s0 up
nsx $SRV ip addr add $HOST/24 dev l3b-s1; nsx $SRV ip link set l3b-s1 up
nsx $CLI ip route add default via 10.21.11.1
nsx $SRV ip route add default via 10.21.12.1
nsx $LB sysctl -qw net.ipv4.ip_forward=1

mkdir -p "$work/www"
head -c 612 /dev/zero | tr '\0' x > "$work/www/index.html"
cat > "$work/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen $HOST:8080; root $work/www; }
}
CONF
ip netns exec $SRV nginx -c "$work/nginx.conf" &
nginx_pid=$!

cat > "$work/hs.conf" <<CONF
user "nobody"
chroot "$work/empty"
socket "$work/hs.sock"
l3 backend nftables
interval 1
timeout 300
table web {
	real port 8080
	check tcp
	host $HOST
}
service www {
	virtual host $VIP port 80
	table web
}
CONF
bin/hoststated -n -f "$work/hs.conf" >/dev/null   # builds if needed, outside the timing
ip netns exec $LB bin/hoststated -d -v -f "$work/hs.conf" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
# (not a pipe into grep -q: with pipefail, nft's SIGPIPE would fail the test)
rule_has_host() { local r; r=$(nsx $LB nft list table inet hoststated 2>/dev/null || true); [[ $r == *"$HOST"* ]]; }
for _ in $(seq 1 600); do rule_has_host && break; sleep 0.05; done
rule_has_host || { echo "no rule after 30 s:"; cat "$work/daemon.log"; exit 1; }

reqs() { nsx $CLI wrk -t1 -c50 -d"${secs}s" "$1" | awk '/Requests\/sec/ {print int($2)}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
direct=() vip=()
for i in $(seq 1 "$runs"); do
  direct+=("$(reqs "http://$HOST:8080/")")
  vip+=("$(reqs "http://$VIP/")")
  echo "run $i: direct ${direct[-1]} req/s, through $VIP ${vip[-1]} req/s"
done
md=$(printf '%s\n' "${direct[@]}" | median)
mv=$(printf '%s\n' "${vip[@]}" | median)
echo "throughput median: direct $md req/s, through the virtual address $mv req/s, ratio $(awk "BEGIN {printf \"%.3f\", $mv/$md}")"

ctl() { bin/hoststatectl -s "$work/hs.sock" "$@" >/dev/null; }
seen=()
for i in $(seq 1 10); do
  for cmd in disable enable; do
    start=$(date +%s%N)
    ctl host $cmd 0
    if [ $cmd = disable ]; then while rule_has_host; do :; done; else until rule_has_host; do :; done; fi
    seen+=("$(( ($(date +%s%N) - start) / 1000000 ))")
  done
done
inside=$(grep -o 'rules applied [0-9]* ms after the change' "$work/daemon.log" | awk '{print $3}' | tail -20)
echo "state change to kernel rule, inside the daemon (20 changes): median $(echo "$inside" | median) ms, max $(echo "$inside" | sort -n | tail -1) ms"
echo "hoststatectl command to rule seen by nft (includes hoststatectl's JVM start): median $(printf '%s\n' "${seen[@]}" | median) ms"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
