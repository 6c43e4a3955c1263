#!/usr/bin/env bash
# Usage: check_cmake.sh BUILD_ROOT SOURCE_DIR
# Installs the build into a staging directory and builds a CMake project
# against it with find_package(roster) and the imported target
# roster::roster alone, then runs it; the same for the Discord adapter's
# target roster::discord. Also checks that the package refuses an
# incompatible version (find_package(roster 1.0) against 0.x).
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

# The adapter through roster::discord alone (it brings roster::roster).
mkdir "$work/consumer-discord"
cat >"$work/consumer-discord/consumer.c" <<'C'
#include <roster/discord.h>
#include <roster/roster.h>
#include <string.h>
int main(void) {
    roster_discord_list_id id;
    roster_discord_overwrite o = {456, ROSTER_DISCORD_OVERWRITE_ROLE, ROSTER_OVERWRITE_DENY};
    roster_guild *g = NULL;
    if (roster_discord_compute_list_id(&id, NULL, NULL, 0, 1, 1, &o, 1) != ROSTER_OK) return 1;
    if (strcmp(id.text, "3460824376") != 0) return 2;
    if (roster_guild_create(&g, NULL) != ROSTER_OK) return 3;
    roster_guild_destroy(g);
    return 0;
}
C
cat >"$work/consumer-discord/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.13)
project(roster_discord_consumer C)
find_package(roster 0.1 REQUIRED)
if(NOT TARGET roster::discord)
  message(FATAL_ERROR "roster::discord not defined")
endif()
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE roster::discord)
CMAKE
if ! cmake -S "$work/consumer-discord" -B "$work/dbuild" -DCMAKE_PREFIX_PATH="$stage$prefix" \
    >"$work/cmake.log" 2>&1 || ! cmake --build "$work/dbuild" >"$work/dbuild.log" 2>&1; then
  cat "$work/cmake.log" "$work/dbuild.log" 2>/dev/null
  exit 1
fi
LD_LIBRARY_PATH=$stage$libdir "$work/dbuild/consumer"
echo "CMake consumer of the adapter (roster::discord): ok"

write_project 1.0
rm -rf "$work/cbuild"
if cmake -S "$work/consumer" -B "$work/cbuild" -DCMAKE_PREFIX_PATH="$stage$prefix" \
    >"$work/cmake.log" 2>&1; then
  echo "find_package(roster 1.0) accepted version $(grep -o '0\.[0-9.]*' "$stage$libdir/cmake/roster/rosterConfigVersion.cmake" | head -n 1)"
  exit 1
fi
echo "find_package(roster 1.0) refused: ok"
