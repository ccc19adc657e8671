# Shared by bin/hoststated and bin/hoststatectl: build when a source is newer than the last
# build, then run the packaged launchers of dist/bin on the build's jars.
top=$(cd "$(dirname "$0")/.." && pwd)
lib="$top/hoststated-parent/target/lib"
stamp="$lib/.built"
export HOSTSTATED_LIB="$lib"

ensure_built() {
  if [ -f "$stamp" ] && [ -z "$(find "$top" -path "$top/.git" -prune -o \
        \( -path '*/src/main/*' -o -name pom.xml -o -name hoststatectl.classlist \) -newer "$stamp" -print \
        2>/dev/null | head -n 1)" ]; then
    return 0
  fi
  echo "hoststated: building (first run or sources changed)..." >&2
  (cd "$top" && ./mvnw -q -B package -DskipTests >&2) || { echo "hoststated: build failed" >&2; exit 1; }
  cp "$top/dist/hoststatectl.classlist" "$lib/"
  # hoststatectl's class data archive, as install.sh makes it; without it the CLI only starts slower.
  rm -f "$lib/hoststatectl.jsa"
  HOSTSTATECTL_MAKE_ARCHIVE=1 "$top/dist/bin/hoststatectl" >/dev/null 2>&1 || true
  touch "$stamp"
}
