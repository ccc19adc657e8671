#!/usr/bin/env bash
# Times loading (parse + validation) of a generated hoststated.conf with 10,000 hosts in
# 100 tables, 50 relays and 50 services, inside one JVM. JVM start-up is reported apart.
# Run from the project root after: ./mvnw -q -o install -DskipTests
set -euo pipefail
cd "$(dirname "$0")/../.."
CP=hoststated-core/target/classes:hoststated-core/target/test-classes
if [ ! -f hoststated-core/target/test-classes/org/hoststated/core/config/Bench.class ]; then
	echo "build first: ./mvnw -q -o install -DskipTests" >&2
	exit 1
fi
start=$(date +%s%N)
java -cp "$CP" org.hoststated.core.config.Bench "$@"
end=$(date +%s%N)
echo "whole java process (JVM start + generation + 6 loads): $(( (end - start) / 1000000 )) ms"
