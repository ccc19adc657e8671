#!/bin/sh
# Health check engine bench (BENCH.md "Health checks"): round wall time and CPU seconds per
# round, N hosts 127.0.x.y answered by one listener on 0.0.0.0. icmp needs root.
# The CPU figure includes the in-process test server (Java accept loop; HTTP answers on 4 threads):
# for a figure of the checker alone, run nginx on a port and point the bench at it (TODO #4).
# Usage: bench/hce/run.sh [rounds]   (from the repository root)
set -eu
ROUNDS=${1:-5}
cd "$(dirname "$0")/../.."
./mvnw -q -o -pl hoststated-hce test-compile
CP=$(./mvnw -q -o -pl hoststated-hce dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)
CP="hoststated-hce/target/test-classes:hoststated-hce/target/classes:$CP"
ulimit -n 65536 2>/dev/null || true
for type in tcp http icmp; do
  if [ "$type" = icmp ] && [ "$(id -u)" != 0 ]; then echo "icmp: skipped (needs root)"; continue; fi
  for n in 1000 10000; do
    java -XX:+UseSerialGC -Xmx128m -cp "$CP" org.hoststated.hce.bench.HceBench "$type" "$n" "$ROUNDS"
  done
done
