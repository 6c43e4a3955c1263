#!/usr/bin/env bash
# Builds and runs the Java host (examples/README.md) against a roster build.
# Usage: run.sh BUILD_ROOT
# Prints only the host's canonical output on stdout; build chatter goes to
# stderr. Everything built lands in BUILD_ROOT/examples/java-work/.
# Environment: JNA_JAR (default /usr/share/java/jna.jar).
# Exit 77 (skip) when javac/java (17+), JNA or pkg-config is missing.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_ROOT" >&2
  exit 2
fi
build_root=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work="$build_root/examples/java-work"
jna_jar=${JNA_JAR:-/usr/share/java/jna.jar}
mkdir -p "$work"

skip() {
  echo "SKIPPED: the Java host: $*" >&2
  exit 77
}

# ---- Toolchain ---------------------------------------------------------------
command -v javac >/dev/null 2>&1 || skip "javac not found (install a JDK 17 or later, e.g. openjdk-17-jdk-headless)"
command -v java >/dev/null 2>&1 || skip "java not found (install a JDK 17 or later, e.g. openjdk-17-jdk-headless)"
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
# Recompiled when the sources, this script (the javac flags), the JNA jar or
# the compiler change (a hash of them all); otherwise the classes of the last
# build are reused.
# -XX:-UsePerfData: the JVM would otherwise write /tmp/hsperfdata_$USER.
mapfile -t sources < <(cd "$here/src" && find . -name '*.java' | LC_ALL=C sort)
key=$( { javac -J-XX:-UsePerfData -version 2>&1; readlink -f "$jna_jar"; cat "$here/run.sh"; \
         (cd "$here/src" && cat "${sources[@]}"); } | sha256sum | cut -d' ' -f1)
if [ ! -f "$work/classes.key" ] || [ "$(cat "$work/classes.key")" != "$key" ]; then
  echo "run.sh: compiling the Java host into $work/classes" >&2
  rm -rf "$work/classes" "$work/classes.key"
  (cd "$here/src" && javac -J-XX:-UsePerfData --release 17 -Xlint:all -encoding UTF-8 \
      -cp "$jna_jar" -d "$work/classes" "${sources[@]}") >&2
  echo "$key" >"$work/classes.key"
else
  echo "run.sh: the Java host is up to date in $work/classes" >&2
fi

# ---- Run -------------------------------------------------------------------------
# jna.library.path: where JNA looks for libroster.so first (LD_LIBRARY_PATH
# is set too, for libraries that libroster.so itself might load).
# jna.tmpdir: where a JNA jar that carries its own native part would unpack
# it (Debian's jna.jar does not: it loads libjnidispatch.system.so from
# /usr/lib/<multiarch>/jni by itself).
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec java -XX:-UsePerfData \
  -Djna.library.path="$libdir" \
  -Djna.tmpdir="$work/jna-tmp" \
  -cp "$work/classes:$jna_jar" \
  roster.host.Host
