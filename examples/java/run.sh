#!/usr/bin/env bash
# Builds the Java binding (the module dev.roster, packaged as
# roster-0.1.0.jar) and the programs that use it, then runs one of them
# against a roster build (examples/java/README.md).
# Usage: run.sh BUILD_ROOT             the host of examples/README.md
#        run.sh BUILD_ROOT --bench [EVENTS [listener]]   the host benchmark (default 200000 events; frames through the queue, or with "listener" a frame listener)
#        run.sh BUILD_ROOT --test       the binding's tests
#        run.sh BUILD_ROOT --build      only build; prints the jars' paths
# Prints only the program's output on stdout (the bench: only its HOSTBENCH
# line); build chatter goes to stderr. Everything built lands in
# BUILD_ROOT/examples/java-work/.
# Environment: JNA_JAR (default /usr/share/java/jna.jar).
# Exit 77 (skip) when javac/java/jar (17+), JNA or pkg-config is missing.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_ROOT [--bench [EVENTS [listener]] | --test | --build]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
build_root=$(cd "$1" && pwd)
shift
mode=host
bench_events=()
case "${1:-}" in
  "") ;;
  --bench)
    mode=bench
    shift
    [ $# -le 2 ] || usage
    [ $# -eq 0 ] || bench_events=("$@")
    [ $# -le 1 ] || [ "$2" = listener ] || usage
    ;;
  --test) mode=test; shift; [ $# -eq 0 ] || usage ;;
  --build) mode=build; shift; [ $# -eq 0 ] || usage ;;
  *) usage ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work="$build_root/examples/java-work"
jna_jar=${JNA_JAR:-/usr/share/java/jna.jar}
version=0.1.0
mkdir -p "$work"

skip() {
  echo "SKIPPED: the Java binding and host (examples/java): $*" >&2
  exit 77
}

# ---- Toolchain ---------------------------------------------------------------
jdk_hint="install a JDK 17 or later, e.g. openjdk-17-jdk-headless"
command -v javac >/dev/null 2>&1 || skip "javac not found ($jdk_hint)"
command -v java >/dev/null 2>&1 || skip "java not found ($jdk_hint)"
command -v jar >/dev/null 2>&1 || skip "jar not found ($jdk_hint)"
[ -f "$jna_jar" ] || skip "JNA not found at $jna_jar (install libjna-java and libjna-jni, or set JNA_JAR)"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config not found"
# "javac 17.0.15" -> 17 (and "javac 1.8.0_x" -> 1).
javac_major=$(javac -J-XX:-UsePerfData -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')
if [ -z "$javac_major" ] || [ "$javac_major" -lt 17 ]; then
  skip "javac 17 or later is needed (found: $(javac -version 2>&1 | head -n 1))"
fi

# ---- The library ---------------------------------------------------------------
# libroster.so's directory, from the uninstalled pkg-config file of this build.
libdir=$(PKG_CONFIG_PATH="$build_root/meson-uninstalled" pkg-config --libs-only-L roster)
libdir=${libdir#-L}
libdir=${libdir%% *}
if [ ! -e "$libdir/libroster.so" ]; then
  echo "run.sh: libroster.so not found in '$libdir' (is $build_root a built roster build root?)" >&2
  exit 1
fi

# JNA's own native part (libjnidispatch) must load too: Debian's jna.jar
# finds libjnidispatch.system.so (package libjna-jni) in /usr/lib/<multiarch>/jni.
mkdir -p "$work/jna-tmp"
if ! probe=$(java -XX:-UsePerfData -Djna.tmpdir="$work/jna-tmp" -cp "$jna_jar" com.sun.jna.Native 2>&1); then
  echo "$probe" >&2
  skip "JNA at $jna_jar cannot load its native part (install libjna-jni)"
fi

# ---- Build -----------------------------------------------------------------------
# Three modules, each compiled against the jars of the ones before it, as a
# user of the published jar would compile:
#   dev.roster           -> jars/roster-$version.jar  (the binding; pom.xml describes it)
#   dev.roster.examples  -> jars/roster-examples.jar  (the host and the benchmark)
#   dev.roster.tests     -> jars/roster-tests.jar     (the binding's tests)
# Rebuilt when the sources, this script (the flags), the JNA jar or the
# compiler change (a hash of them all); otherwise the jars of the last build
# are reused. A lock keeps two runs (meson runs tests in parallel) from
# building at once.
# -XX:-UsePerfData: the JVM would otherwise write /tmp/hsperfdata_$USER.
javac_flags=(-J-XX:-UsePerfData --release 17 -Xlint:all -encoding UTF-8)
jars="$work/jars"
exec 9>"$work/build.lock"
flock 9
mapfile -t sources < <(cd "$here/src" && find . -name '*.java' | LC_ALL=C sort)
key=$( { javac -J-XX:-UsePerfData -version 2>&1; readlink -f "$jna_jar"; cat "$here/run.sh"; \
         (cd "$here/src" && for f in "${sources[@]}"; do echo "$f"; cat "$f"; done); } \
       | sha256sum | cut -d' ' -f1)
if [ ! -f "$jars/build.key" ] || [ "$(cat "$jars/build.key")" != "$key" ]; then
  echo "run.sh: building the Java binding into $jars" >&2
  tmp="$work/build.tmp"
  rm -rf "$tmp" "$work/classes" "$work/classes.key" # the latter two: an older run.sh's output
  mkdir -p "$tmp/jars"
  module_sources() {
    (cd "$here/src/$1" && find . -name '*.java' | LC_ALL=C sort | sed "s|^\.|$here/src/$1|")
  }
  mapfile -t lib_sources < <(module_sources dev.roster)
  javac "${javac_flags[@]}" -p "$jna_jar" -d "$tmp/classes/dev.roster" "${lib_sources[@]}" >&2
  jar --create --file "$tmp/jars/roster-$version.jar" --module-version "$version" \
      -C "$tmp/classes/dev.roster" . >&2
  mapfile -t example_sources < <(module_sources dev.roster.examples)
  javac "${javac_flags[@]}" -p "$tmp/jars/roster-$version.jar:$jna_jar" \
      -d "$tmp/classes/dev.roster.examples" "${example_sources[@]}" >&2
  jar --create --file "$tmp/jars/roster-examples.jar" --module-version "$version" \
      --main-class dev.roster.examples.Host -C "$tmp/classes/dev.roster.examples" . >&2
  mapfile -t test_sources < <(module_sources dev.roster.tests)
  javac "${javac_flags[@]}" -p "$tmp/jars/roster-$version.jar:$jna_jar" \
      -d "$tmp/classes/dev.roster.tests" "${test_sources[@]}" >&2
  jar --create --file "$tmp/jars/roster-tests.jar" --module-version "$version" \
      --main-class dev.roster.tests.ApiTest -C "$tmp/classes/dev.roster.tests" . >&2
  echo "$key" >"$tmp/jars/build.key"
  rm -rf "$jars"
  mv "$tmp/jars" "$jars"
  rm -rf "$tmp"
else
  echo "run.sh: the Java binding is up to date in $jars" >&2
fi
flock -u 9
exec 9>&-

# ---- Run -------------------------------------------------------------------------
# Everything on the module path: the binding, the program's module and JNA
# (the automatic module com.sun.jna).
# jna.library.path: where JNA looks for libroster.so first (LD_LIBRARY_PATH
# is set too, for libraries that libroster.so itself might load).
# jna.tmpdir: where a JNA jar that carries its own native part would unpack
# it (Debian's jna.jar does not: it loads libjnidispatch.system.so from
# /usr/lib/<multiarch>/jni by itself).
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
java_flags=(-XX:-UsePerfData -Djna.library.path="$libdir" -Djna.tmpdir="$work/jna-tmp")
case $mode in
  build)
    echo "$jars/roster-$version.jar"
    echo "$jars/roster-examples.jar"
    echo "$jars/roster-tests.jar"
    ;;
  host)
    exec java "${java_flags[@]}" -p "$jars/roster-$version.jar:$jars/roster-examples.jar:$jna_jar" \
      -m dev.roster.examples/dev.roster.examples.Host
    ;;
  bench)
    exec java "${java_flags[@]}" -p "$jars/roster-$version.jar:$jars/roster-examples.jar:$jna_jar" \
      -m dev.roster.examples/dev.roster.examples.Bench ${bench_events[@]+"${bench_events[@]}"}
    ;;
  test)
    # roster.map: the exported functions, which the tests compare with the binding's.
    exec java "${java_flags[@]}" -Droster.map="$here/../../capi/roster.map" \
      -p "$jars/roster-$version.jar:$jars/roster-tests.jar:$jna_jar" \
      -m dev.roster.tests/dev.roster.tests.ApiTest
    ;;
esac
