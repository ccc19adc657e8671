#!/usr/bin/env bash
# Starts a daemon from this checkout with the fuzzer's HTTP relays, runs the framing fuzzer
# against them for a bounded time, stops the daemon by pid and checks its log. See README.md.
# Usage: sudo bench/relay/framefuzz/fuzz.sh [SECONDS_PER_ROUND] [SEED] [ROUND...]
# ROUNDs: plain rnd tls tls-split tls-rnd dechunk upgrade pool (default: all). The relays listen on
# $FRAMEFUZZ_NET.171-.193 (default 127.0.0), the control socket is $FRAMEFUZZ_SOCK, the tls-* clients
# speak TLS $FRAMEFUZZ_TLS (1.3, the default, or 1.2).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
budget=${1:-120}
seed=${2:-1}
shift $(( $# < 2 ? $# : 2 ))
rounds=${*:-plain rnd tls tls-split tls-rnd dechunk upgrade pool}
net=${FRAMEFUZZ_NET:-127.0.0}
tls=${FRAMEFUZZ_TLS:-1.3}
work=$(mktemp -d /tmp/framefuzz.XXXXXX)
sock=${FRAMEFUZZ_SOCK:-$work/ctl.sock}
# name, listen host, ssl?, protocol, backend host (this fuzzer's socket, port 9000).
relays="
reqplain 171 - ffplain 180
reqrules 172 - ffrules 181
respplain 173 - ffplain 182
resprules 174 - ffrules 183
tlsreq 175 ssl ffplain 184
tlsresp 176 ssl ffrules 185
dechunk 177 - ffplain 186
tlsdechunk 178 ssl ffrules 187
upgrade 179 - ffplain 188
tlsupgrade 190 ssl ffrules 189
pool 191 - ffplain 192
poolrules 193 - ffrules 194
"
# The daemon reads <address>.crt and private/<address>.key from hoststated.ssl.dir.
mkdir -p "$work/ssl/private"
{
	cat <<CONF
socket "$sock"
log updates
l3 backend none
prefork 2
protocol ffplain {
	protocol http
}
protocol ffrules {
	protocol http
	return error
	header append "\$REMOTE_ADDR" to "X-Forwarded-For"
	response header change "Server" to "ff"
}
CONF
	echo "$relays" | while read -r name host ssl proto backend; do
		[ -n "$name" ] || continue
		if [ "$ssl" = ssl ]; then
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$net.$host" \
				-keyout "$work/ssl/private/$net.$host.key" -out "$work/ssl/$net.$host.crt" 2>/dev/null
			ssl=" ssl"
		else
			ssl=""
		fi
		printf 'relay %s {\n\tlisten on %s port 8080%s\n\tprotocol %s\n\tforward to %s port 9000\n}\n' \
			"$name" "$net.$host" "$ssl" "$proto" "$net.$backend"
	done
} > "$work/ff.conf"
JAVA_TOOL_OPTIONS="-Dhoststated.ssl.dir=$work/ssl" "$top/bin/hoststated" -d -f "$work/ff.conf" > "$work/daemon.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 60); do
	grep -q "parent: ready" "$work/daemon.log" && break
	sleep 1
done
run() {  # MODE RELAY-HOST BACKEND-HOST SEED [--split]
	tlsv=""
	case $1 in tls-*) tlsv="--tls $tls" ;; esac
	python3 "$here/run.py" "$1" "$net.$2:8080" "$net.$3:9000" --cases 100000 --seed "$4" --budget "$budget" \
		--out "$work/findings.jsonl" ${5:-} $tlsv | tee -a "$work/counts.jsonl"
}
for round in $rounds; do
	pids=()
	case $round in
	plain)
		run req 171 180 "$seed" & pids+=($!)
		run req 172 181 "$((seed + 1))" & pids+=($!)
		run resp 173 182 "$((seed + 2))" & pids+=($!)
		run resp 174 183 "$((seed + 3))" & pids+=($!) ;;
	rnd)
		run rnd-req 171 180 "$seed" & pids+=($!)
		run rnd-req 172 181 "$((seed + 1))" & pids+=($!)
		run rnd-resp 173 182 "$((seed + 2))" & pids+=($!)
		run rnd-resp 174 183 "$((seed + 3))" & pids+=($!) ;;
	tls|tls-split)
		split=""
		[ "$round" = tls-split ] && split=--split
		run tls-req 175 184 "$seed" "$split" & pids+=($!)
		run tls-resp 176 185 "$((seed + 1))" "$split" & pids+=($!) ;;
	tls-rnd)
		run tls-rnd-req 175 184 "$seed" --split & pids+=($!)
		run tls-rnd-resp 176 185 "$((seed + 1))" --split & pids+=($!) ;;
	dechunk)
		run dechunk 177 186 "$seed" & pids+=($!)
		run tls-dechunk 178 187 "$((seed + 1))" --split & pids+=($!) ;;
	upgrade)
		run upgrade 179 188 "$seed" & pids+=($!)
		run tls-upgrade 190 189 "$((seed + 1))" --split & pids+=($!) ;;
	pool)
		run pool 191 192 "$seed" & pids+=($!)
		run pool 193 194 "$((seed + 1))" & pids+=($!) ;;
	*) echo "framefuzz: unknown round $round" >&2 ;;
	esac
	# Not a bare wait: the daemon is a child too.
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
done
if grep -nE "Exception|ERROR|^\s+at " "$work/daemon.log"; then
	echo "framefuzz: the daemon logged an exception (log in $work)"
fi
violations=$(grep -c '"VIOLATION"' "$work/findings.jsonl" 2>/dev/null || true)
echo "framefuzz: ${violations:-0} violations; findings, counts and daemon log in $work"
