#!/usr/bin/env bash
# Regenerates dist/hoststatectl.classlist, the classes hoststatectl loads, from which the
# installer (and bin/hoststatectl in a checkout) builds the static AppCDS archive that halves
# the CLI's start-up. Run it as root against a running daemon whenever the CLI's code changes
# much (a stale list only makes the archive less complete, never wrong):
#   dist/make-classlist.sh /var/run/hoststated.sock
set -eu
sock=${1:?usage: dist/make-classlist.sh control-socket}
top=$(cd "$(dirname "$0")/.." && pwd)
lib=${HOSTSTATED_LIB:-$top/hoststated-parent/target/lib}
out=${HOSTSTATECTL_CLASSLIST:-$top/dist/hoststatectl.classlist}
cp=
for j in hoststatectl hoststated-core netty-buffer netty-common; do
  for f in "$lib"/$j-[0-9]*.jar; do cp=${cp:+$cp:}$f; done
done
tmp=$(mktemp -d /tmp/hoststatectl-classlist.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
run() {
  n=$((n + 1))
  java -XX:DumpLoadedClassList="$tmp/$n" -cp "$cp" org.hoststated.ctl.Hoststatectl "$@" >/dev/null 2>&1 || true
}
run -s "$sock" show summary
run -s "$sock" show hosts
run -s "$sock" show relays
run -s "$sock" show sessions
run -s "$sock" poll
run -s /nonexistent show summary
run help
run frobnicate
timeout 2 java -XX:DumpLoadedClassList="$tmp/monitor" -cp "$cp" org.hoststated.ctl.Hoststatectl -s "$sock" monitor \
  >/dev/null 2>&1 || true
# Keep the first occurrence of each line, in order (the @lambda lines follow their classes).
cat "$tmp"/* | awk '!seen[$0]++' > "$out"
echo "$out: $(wc -l < "$out") lines"
