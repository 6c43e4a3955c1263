#!/usr/bin/env bash
# Usage: check_static.sh SOURCE_ROOT
# Builds roster as a static library only (default_library=static, in a
# directory of its own), installs it into a staging directory and builds a
# C program against it with `pkg-config --static` alone: the .pc must bring
# the C++ runtime the library needs (Libs.private) and no system include
# path (Boost is private to the library). Then runs the program.
set -euo pipefail
src=$(cd "$1" && pwd)
command -v pkg-config >/dev/null || { echo "SKIPPED: pkg-config not found" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! meson setup "$work/build" "$src" --buildtype=release -Ddefault_library=static \
    -Dtests=false -Dexamples=false -Dbench=false --prefix=/usr/local >"$work/setup.log" 2>&1; then
  cat "$work/setup.log"
  exit 1
fi
if ! ninja -C "$work/build" >"$work/build.log" 2>&1; then
  cat "$work/build.log"
  exit 1
fi
stage=$work/stage
meson install -C "$work/build" --no-rebuild --destdir "$stage" --quiet >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; exit 1; }
pc=$(find "$stage" -name roster.pc | head -n 1)
lib=$(find "$stage" -name libroster.a | head -n 1)
[ -n "$pc" ] || { echo "MISSING: roster.pc"; exit 1; }
[ -n "$lib" ] || { echo "MISSING: libroster.a"; exit 1; }
if find "$stage" -name 'libroster.so*' | grep -c . >/dev/null; then
  echo "a shared library was installed by a static-only build"
  exit 1
fi
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$stage
cflags=$(pkg-config --cflags roster)
libs=$(pkg-config --static --libs roster)
echo "pkg-config --static: cflags '$cflags' libs '$libs'"
case " $cflags " in
  *" -I/usr/include "* | *" -I$stage/usr/include "*)
    echo "Cflags carry a system include path"
    exit 1
    ;;
esac
cc=${CC_FOR_CONSUMER:-cc}
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror $cflags "$src/tests/install/consumer.c" -o "$work/consumer" $libs
"$work/consumer"
if readelf -d "$work/consumer" | grep -c 'libroster' >/dev/null; then
  echo "expected roster linked statically"
  exit 1
fi
echo "static install through pkg-config --static: ok"
