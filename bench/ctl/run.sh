#!/usr/bin/env bash
# hoststatectl start-up: wall time of `hoststatectl show summary` against a running daemon,
# the JVM's start included, median of 20, next to a JVM that only prints a line
# (the floor any Java CLI pays) and to the CLI without its class data archive. Run as root.
#
# usage: bench/ctl/run.sh [runs]       (default 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
[ "$(id -u)" = 0 ] || { echo "bench/ctl: run as root" >&2; exit 1; }
work=$(mktemp -d /tmp/bench-ctl.XXXXXX)
mkdir -p "$work/empty" && chmod 755 "$work/empty"
cleanup() {
  [ -n "${daemon_pid:-}" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A daemon with a table of 20 hosts and a relay: a summary of realistic size.
{
  printf 'user "nobody"\nchroot "%s/empty"\nsocket "%s/hs.sock"\nl3 backend none\ninterval 5\n' "$work" "$work"
  printf 'table web {\n\treal port 25901\n\tcheck tcp\n'
  for i in $(seq 11 30); do printf '\thost 127.25.9.%d\n' "$i"; done
  printf '}\nrelay www {\n\tlisten on 127.25.9.1 port 25902\n\ttable web roundrobin\n}\n'
} > "$work/hs.conf"
bin/hoststated -n -f "$work/hs.conf" >/dev/null 2>&1      # builds (and makes the archive) if needed
bin/hoststated -d -f "$work/hs.conf" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 300); do [ -S "$work/hs.sock" ] && break; sleep 0.1; done
[ -S "$work/hs.sock" ] || { cat "$work/daemon.log"; exit 1; }
sleep 2

lib=$PWD/hoststated-parent/target/lib
export HOSTSTATED_LIB=$lib    # dist/bin/hoststatectl on the build's jars, as bin/ runs it
cp=
for j in hoststatectl hoststated-core netty-buffer netty-common; do
  for f in "$lib"/$j-[0-9]*.jar; do cp=${cp:+$cp:}$f; done
done
flags="-XX:TieredStopAtLevel=1 -XX:+UseG1GC -Xms8m -Xmx64m -XX:-UsePerfData"   # the CLI's JVM flags, for the floor too
mkdir -p "$work/hello"
printf 'public class Hello { public static void main(String[] a) { System.out.println("hi"); } }\n' \
  > "$work/hello/Hello.java"
javac -d "$work/hello" "$work/hello/Hello.java"
bin/hoststatectl -s "$work/hs.sock" show summary > /dev/null    # fails loudly if the daemon does

# The three commands alternate, run after run, so that a change in the machine's load hits all
# three alike (BENCH.md); each run's wall time is taken around the process, JVM start included.
ctl_cds=(dist/bin/hoststatectl -s "$work/hs.sock" show summary)
ctl_nocds=(java $flags -XX:CompileThresholdScaling=20 -Xshare:auto -cp "$cp" org.hoststated.ctl.Hoststatectl -s "$work/hs.sock" show summary)
hello=(java $flags -cp "$work/hello" Hello)
ms() { local t0 t1; t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
for _ in 1 2 3; do ms "${hello[@]}" >/dev/null; ms "${ctl_cds[@]}" >/dev/null; done    # warm the page cache
: > "$work/hello.ms"; : > "$work/cds.ms"; : > "$work/nocds.ms"
for _ in $(seq "$runs"); do
  ms "${hello[@]}" >> "$work/hello.ms"
  ms "${ctl_cds[@]}" >> "$work/cds.ms"
  ms "${ctl_nocds[@]}" >> "$work/nocds.ms"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
h=$(median "$work/hello.ms"); c=$(median "$work/cds.ms"); n=$(median "$work/nocds.ms")
printf '%-30s median %5d ms  1.00x floor\n' "java Hello (floor)" "$h"
printf '%-30s median %5d ms  %s x floor\n' "hoststatectl show summary" "$c" "$(echo "scale=2; $c / $h" | bc)"
printf '%-30s median %5d ms  %s x floor\n' "same, no CDS archive" "$n" "$(echo "scale=2; $n / $h" | bc)"
echo "target: hoststatectl show summary median < 150 ms (median of $runs); got $c ms"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: compare with the floor)"
