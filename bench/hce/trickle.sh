#!/bin/sh
# CPU of hce's loop per check against hosts that trickle their answer one byte per send
# (TrickleBench, bench/hce/trickle.py): send/expect to its 64 KiB cap, http code behind an
# endless interim head, http digest of a Content-Length, chunked and close-delimited body; then
# the validators alone on the same answers, without sockets.
# Usage: bench/hce/trickle.sh [checks] [bytes] [pause-us]   (from anywhere; builds what it needs)
# pause-us: the backend sleeps that long between bytes (each byte then wakes the loop alone).
# RUNS="send:banner digest:close" picks check:backend pairs. ADDR=127.0.0.x picks the address
# (127.0.0.1). TLS=records (one TLS record per byte) or TLS=segments (full records, their bytes
# one per send) checks over TLS (TlsProbe: send ... ssl, https) instead of plain.
set -eu
CHECKS=${1:-5}
BYTES=${2:-204800}
PAUSE=${3:-0}
PORT=48210
ADDR=${ADDR:-127.0.0.1}
TLS=${TLS:-}
export ADDR TLS
cd "$(dirname "$0")/../.."
. bench/hce/classpath.sh
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true' EXIT INT TERM
echo "machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); $BYTES bytes, one per send, $PAUSE us apart${TLS:+; TLS $TLS}"
for run in ${RUNS:-send:banner code:interim digest:length digest:chunked digest:close}; do
  set -- $(echo "$run" | tr : " ")
  python3 bench/hce/trickle.py "$PORT" "$2" "$BYTES" "$PAUSE" &
  SERVER=$!
  # Wait until it listens (bash-free: python3 is there anyway).
  python3 -c 'import socket,sys,time
for _ in range(100):
    try: socket.create_connection((sys.argv[1], int(sys.argv[2]))).close(); break
    except OSError: time.sleep(0.1)' "$ADDR" "$PORT"
  echo "== $1 against $2"
  java -XX:+UseSerialGC -Xmx128m -Dtimeout=30000 -Daddr="$ADDR" -Dtls="${TLS:+true}" -cp "$CP" org.hoststated.hce.bench.TrickleBench "$1" "$PORT" "$CHECKS"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=
done
echo "== the validators alone, the same answers one byte per read (no sockets)"
for run in ${RUNS:-send:banner code:interim digest:length digest:chunked digest:close}; do
  set -- $(echo "$run" | tr : " ")
  java -XX:+UseSerialGC -Xmx128m -cp "$CP" org.hoststated.hce.bench.TrickleBench inline "$1" "$2" "$BYTES"
done
