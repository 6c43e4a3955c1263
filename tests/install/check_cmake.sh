#!/usr/bin/env bash
# Usage: check_cmake.sh BUILD_ROOT SOURCE_DIR
# Installs the build into a staging directory and builds a CMake project
# against it with find_package(roster) and the imported target
# roster::roster alone, then runs it. Also checks that the package refuses
# an incompatible version (find_package(roster 1.0) against 0.x).
set -euo pipefail
build=$1
src=$2
command -v cmake >/dev/null || { echo "SKIPPED: cmake not found" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/stage
meson install -C "$build" --no-rebuild --destdir "$stage" --quiet >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; exit 1; }
read -r prefix libdir < <(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
print(opts["prefix"], opts["libdir"])')
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
config=$stage$libdir/cmake/roster/rosterConfig.cmake
[ -f "$config" ] || { echo "MISSING: ${config#"$stage"}"; exit 1; }
[ -f "$stage$libdir/cmake/roster/rosterConfigVersion.cmake" ] || {
  echo "MISSING: rosterConfigVersion.cmake"; exit 1; }

mkdir "$work/consumer"
cp "$src/consumer.c" "$work/consumer/"
write_project() {  # $1: the version asked for
  cat >"$work/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.13)
project(roster_consumer C)
find_package(roster $1 REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE roster::roster)
CMAKE
}
write_project 0.1
if ! cmake -S "$work/consumer" -B "$work/cbuild" -DCMAKE_PREFIX_PATH="$stage$prefix" \
    >"$work/cmake.log" 2>&1; then
  cat "$work/cmake.log"
  exit 1
fi
if ! cmake --build "$work/cbuild" >"$work/cbuild.log" 2>&1; then
  cat "$work/cbuild.log"
  exit 1
fi
LD_LIBRARY_PATH=$stage$libdir "$work/cbuild/consumer"
echo "CMake consumer (find_package(roster 0.1), roster::roster): ok"

write_project 1.0
rm -rf "$work/cbuild"
if cmake -S "$work/consumer" -B "$work/cbuild" -DCMAKE_PREFIX_PATH="$stage$prefix" \
    >"$work/cmake.log" 2>&1; then
  echo "find_package(roster 1.0) accepted version $(grep -o '0\.[0-9.]*' "$stage$libdir/cmake/roster/rosterConfigVersion.cmake" | head -n 1)"
  exit 1
fi
echo "find_package(roster 1.0) refused: ok"
