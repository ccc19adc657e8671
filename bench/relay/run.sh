#!/usr/bin/env bash
# The layer-7 relay benchmark of ../shared/reference/BENCH.md, unattended, as root:
# nginx direct vs HAProxy (nbthread 1) vs the real hoststated daemon's relay (prefork 1), on
# io_uring and on epoll (a second daemon whose io_uring_setup fails by seccomp), alternating in
# each round: HTTP keep-alive (X-Forwarded-For appended), HTTP Connection: close, TCP mode,
# bulk TCP (iperf3). Prints req/s, p50, p99, errors, proxy CPU seconds, requests per proxy
# CPU-second and ratios, and the relay JVM's RSS idle and loaded.
#
# usage: bench/relay/run.sh [--quick] [relaybench.py options: --rounds N --duration S ...]
#   --quick   1 round of 3 s runs, 9 s warm-up, 256 MiB bulk (a smoke run, not figures)
# Uses ports 24080-24203 on 127.0.0.1 (or --addr A) only; stops what it started by pid.
# --cases keep-alive,close,tcp / --transports io_uring,epoll / --bulk-rounds 0 pick a subset.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/relay: run as root (the daemon binds and drops privileges)" >&2; exit 1; }
missing=()
for tool in nginx:nginx haproxy:haproxy wrk:wrk iperf3:iperf3; do
  command -v "${tool%%:*}" >/dev/null || [ -x "/usr/sbin/${tool%%:*}" ] || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/relay: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"
# Debian starts the packaged services on install: they must not hold our ports or CPU.
for svc in nginx haproxy; do
  if command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null; then
    echo "bench/relay: note: the system $svc service is running (its ports differ from ours)" >&2
  fi
done
args=()
if [ "${1:-}" = "--quick" ]; then
  shift
  args=(--rounds 1 --duration 3 --warmup 9 --bulk 256M --bulk-rounds 1)
fi
bin/hoststated -n -f etc/hoststated.conf >/dev/null 2>&1 || bin/hoststated -n -f demo/hoststated.conf >/dev/null 2>&1 || true  # builds if needed
exec python3 bench/relay/relaybench.py "${args[@]}" "$@"
