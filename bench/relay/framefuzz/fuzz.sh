#!/usr/bin/env bash
# Starts a daemon from this checkout with four HTTP relays, runs the framing fuzzer against
# each for a bounded time, stops the daemon by pid and checks its log. See README.md.
# Usage: sudo bench/relay/framefuzz/fuzz.sh [SECONDS_PER_FAMILY] [SEED]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
budget=${1:-120}
seed=${2:-1}
work=$(mktemp -d /tmp/framefuzz.XXXXXX)
sock=$work/ctl.sock
# Relays on 127.0.0.171-174:8080, their backends (this fuzzer's sockets) on 127.0.0.180-183:9000.
cat > "$work/ff.conf" <<CONF
socket "$sock"
log updates
l3 backend none
protocol ffplain {
	protocol http
}
protocol ffrules {
	protocol http
	return error
	header append "\$REMOTE_ADDR" to "X-Forwarded-For"
	response header change "Server" to "ff"
}
relay reqplain {
	listen on 127.0.0.171 port 8080
	protocol ffplain
	forward to 127.0.0.180 port 9000
}
relay reqrules {
	listen on 127.0.0.172 port 8080
	protocol ffrules
	forward to 127.0.0.181 port 9000
}
relay respplain {
	listen on 127.0.0.173 port 8080
	protocol ffplain
	forward to 127.0.0.182 port 9000
}
relay resprules {
	listen on 127.0.0.174 port 8080
	protocol ffrules
	forward to 127.0.0.183 port 9000
}
CONF
"$top/bin/hoststated" -d -f "$work/ff.conf" > "$work/daemon.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 60); do
	grep -q "parent: ready" "$work/daemon.log" && break
	sleep 1
done
run() {
	python3 "$here/run.py" "$1" "$2:8080" "$3:9000" --cases 100000 --seed "$4" --budget "$budget" --out "$work/findings.jsonl"
}
for family in "req resp" "rnd-req rnd-resp"; do
	set -- $family
	pids=()
	run "$1" 127.0.0.171 127.0.0.180 "$seed" & pids+=($!)
	run "$1" 127.0.0.172 127.0.0.181 "$((seed + 1))" & pids+=($!)
	run "$2" 127.0.0.173 127.0.0.182 "$((seed + 2))" & pids+=($!)
	run "$2" 127.0.0.174 127.0.0.183 "$((seed + 3))" & pids+=($!)
	# Not a bare wait: the daemon is a child too.
	wait "${pids[@]}"
done
if grep -nE "Exception|ERROR|^\s+at " "$work/daemon.log"; then
	echo "framefuzz: the daemon logged an exception (log in $work)"
fi
violations=$(grep -c '"VIOLATION"' "$work/findings.jsonl" 2>/dev/null || true)
echo "framefuzz: ${violations:-0} violations; findings and daemon log in $work"
