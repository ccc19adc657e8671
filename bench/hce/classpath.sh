# Sourced by the hce benches (from the top of the tree): compiles hce and its tests, and sets
# CP to their class path, with our own modules taken from this tree, not from whatever
# snapshot the local repository holds.
./mvnw -q -o -pl hoststated-hce -am test-compile
CP=$(./mvnw -q -o -pl hoststated-hce dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)
CP=$(printf '%s' "$CP" | tr ':' '\n' | grep -v '/org/hoststated/' | paste -sd: -)
CP="hoststated-hce/target/test-classes:hoststated-hce/target/classes:hoststated-core/target/classes:$CP"
