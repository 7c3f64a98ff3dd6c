# Sourced by the scripts: builds the project when a source is newer than the
# last build, then exposes JV_CP (the class path Maven used) and JV_JAVA.
set -euo pipefail
JV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JV_JAVA=${JAVA:-java}
jv_build() {
  local stamp="$JV_ROOT/target/.jv-built"
  if [ ! -f "$stamp" ] || [ ! -f "$JV_ROOT/target/classpath.txt" ] || \
     [ -n "$(find "$JV_ROOT/pom.xml" "$JV_ROOT/src" "$JV_ROOT/tutorial" -newer "$stamp" -type f -print -quit 2>/dev/null)" ]; then
    echo "building (mvn -B -q -DskipTests package) ..." >&2
    local log
    log=$(mktemp)
    if ! (cd "$JV_ROOT" && mvn -B -q -DskipTests package > "$log" 2>&1); then
      cat "$log" >&2
      rm -f "$log"
      echo "the build failed" >&2
      exit 1
    fi
    rm -f "$log"
    touch "$stamp"
  fi
  JV_CP="$JV_ROOT/target/classes:$JV_ROOT/target/test-classes:$(cat "$JV_ROOT/target/classpath.txt")"
  export JV_CP
}
