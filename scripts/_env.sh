# Sourced by the scripts: builds the project when a source is newer than the
# last build (not when JV_NO_BUILD=1), then exposes JV_CP (the class path Maven
# used), JV_JAVA ($JAVA, else java) and JV_JDK_OPTS (what JV_JAVA needs to run
# silent: on JDK 24 and later, Agrona's sun.misc.Unsafe use and jnr-ffi's native
# access are allowed, as backends are; see Frontend.jdkOptions).
set -euo pipefail
JV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JV_JAVA=${JAVA:-java}
jv_feature=$("$JV_JAVA" -version 2>&1 | sed -n 's/.* version "\([0-9][0-9]*\).*/\1/p' | head -n 1)
JV_JDK_OPTS=""
if [ -n "$jv_feature" ] && [ "$jv_feature" -ge 24 ]; then
  JV_JDK_OPTS="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
fi
jv_build() {
  local stamp="$JV_ROOT/target/.jv-built"
  if [ "${JV_NO_BUILD:-}" != 1 ] && { [ ! -f "$stamp" ] || [ ! -f "$JV_ROOT/target/classpath.txt" ] || \
     [ -n "$(find "$JV_ROOT/pom.xml" "$JV_ROOT/src" "$JV_ROOT/tutorial" -newer "$stamp" -type f -print -quit 2>/dev/null)" ]; }; then
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
