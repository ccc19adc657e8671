# Shared by bin/hoststated and bin/hoststatectl: build when a source is newer than the last
# build, then run the packaged launchers of dist/bin on the build's jars.
top=$(cd "$(dirname "$0")/.." && pwd)
lib="$top/hoststated-parent/target/lib"
stamp="$lib/.built"
export HOSTSTATED_LIB="$lib"

# Whether the last build is newer than every source.
built() {
  [ -f "$stamp" ] && [ -z "$(find "$top" -path "$top/.git" -prune -o \
        \( -path '*/src/main/*' -o -name pom.xml -o -name hoststatectl.classlist \) -newer "$stamp" -print \
        2>/dev/null | head -n 1)" ]
}

ensure_built() {
  built && return 0
  # One build at a time per checkout: hoststatectl run from a second terminal while the
  # demo's first build runs would start a second Maven in the same tree, and both fail.
  if command -v flock >/dev/null 2>&1; then
    mkdir -p "$top/target"
    exec 9>"$top/target/.build.lock"
    if ! flock -n 9; then
      echo "hoststated: waiting for the build under way..." >&2
      flock 9
    fi
    if built; then
      exec 9>&-
      return 0
    fi
  fi
  echo "hoststated: building (first run or sources changed)..." >&2
  (cd "$top" && ./mvnw -q -B package -DskipTests >&2) || { echo "hoststated: build failed" >&2; exit 1; }
  cp "$top/dist/hoststatectl.classlist" "$lib/"
  # hoststatectl's class data archive, as install.sh makes it; without it the CLI only starts slower.
  rm -f "$lib/hoststatectl.jsa"
  HOSTSTATECTL_MAKE_ARCHIVE=1 "$top/dist/bin/hoststatectl" >/dev/null 2>&1 || true
  touch "$stamp"
  # The launcher execs the daemon next: it must not inherit the lock.
  exec 9>&-
}
