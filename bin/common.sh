# Shared by bin/hoststated and bin/hoststatectl: find the build, rebuild it when a source is
# newer, and print the class path of the named jars.
top=$(cd "$(dirname "$0")/.." && pwd)
lib="$top/hoststated-parent/target/lib"
stamp="$lib/.built"

java_cmd() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

ensure_built() {
  if [ -f "$stamp" ] && [ -z "$(find "$top" -path "$top/.git" -prune -o \
        \( -path '*/src/main/*' -o -name pom.xml \) -newer "$stamp" -print 2>/dev/null | head -n 1)" ]; then
    return 0
  fi
  echo "hoststated: building (first run or sources changed)..." >&2
  (cd "$top" && ./mvnw -q -B package -DskipTests >&2) || { echo "hoststated: build failed" >&2; exit 1; }
  cp "$top"/hoststated-parent/target/hoststated-parent-*.jar "$lib/" && touch "$stamp"
}

# classpath PREFIX...: the jars in lib/ whose names start with one of the prefixes (all if none).
classpath() {
  cp=""
  for j in "$lib"/*.jar; do
    name=$(basename "$j")
    if [ $# -eq 0 ]; then keep=1; else keep=0; for p in "$@"; do case "$name" in "$p"*) keep=1;; esac; done; fi
    [ $keep = 1 ] && cp="${cp:+$cp:}$j"
  done
  echo "$cp"
}
