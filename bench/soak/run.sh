#!/usr/bin/env bash
# Soak: the real daemon under mixed load (HTTP kept alive, Connection: close, TCP, TLS, a relay
# whose only host flaps), reloaded every minute, for --minutes (default 30); prints each
# process's RSS, descriptors and threads over time and their growth over the second half in
# MiB per hour. Run as root on an otherwise idle machine; installs nginx and wrk when missing.
#
# usage: bench/soak/run.sh [--minutes M] [--sample-every S] [--reload-every S] [--flap-every S] [--keep]
# Uses 127.26.0.1 (relays), 127.26.0.11-12 (nginx) and ports 26080-26106; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench/soak: run as root (the daemon binds and drops privileges)" >&2; exit 1; }
missing=()
for tool in nginx wrk openssl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/soak: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"
bin/hoststated -n -f etc/hoststated.conf >/dev/null 2>&1 || true   # builds if needed
exec python3 bench/soak/soak.py "$@"
