#!/usr/bin/env bash
# Usage: check_install.sh BUILD_ROOT SOURCE_DIR
# Installs the build into a staging directory (meson install --destdir) and
# checks what a user gets: the versioned shared library and its SONAME
# links, the headers, the pkg-config file, roster-sim and its man page, the licence, and the
# Discord adapter's library, header and pkg-config file. Then builds a small
# C program (consumer.c) and a C++ one against the staged tree through
# pkg-config alone, and runs them.
set -euo pipefail
build=$1
src=$2
command -v pkg-config >/dev/null || { echo "SKIPPED: pkg-config not found" >&2; exit 77; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
meson install -C "$build" --no-rebuild --destdir "$stage" --quiet >"$stage.log" 2>&1 || {
  cat "$stage.log"; rm -f "$stage.log"; exit 1; }
rm -f "$stage.log"
read -r prefix libdir datadir mandir < <(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
print(opts["prefix"], opts["libdir"], opts["datadir"], opts["mandir"])')
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $datadir in /*) ;; *) datadir=$prefix/$datadir ;; esac
case $mandir in /*) ;; *) mandir=$prefix/$mandir ;; esac
root=$stage$prefix
lib=$stage$libdir
fail=0
need() {
  if [ -e "$1" ]; then echo "installed: ${1#"$stage"}"; else echo "MISSING: ${1#"$stage"}"; fail=1; fi
}
need "$root/include/roster/roster.h"
need "$root/include/roster/roster.hpp"
need "$lib/pkgconfig/roster.pc"
need "$lib/libroster.so"
need "$lib/libroster.so.0"
need "$root/bin/roster-sim"
need "$stage$datadir/doc/roster/LICENSE"
need "$stage$mandir/man1/roster-sim.1"
need "$root/include/roster/discord.h"
need "$lib/pkgconfig/roster-discord.pc"
need "$lib/libroster-discord.so"
need "$lib/libroster-discord.so.0"
soname=$(readelf -d "$lib/libroster.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != libroster.so.0 ]; then echo "SONAME is '$soname', expected libroster.so.0"; fail=1; fi
[ $fail = 0 ] || exit 1

# pkg-config sees the staged tree through its sysroot prefix.
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
cflags=$(pkg-config --cflags roster)
libs=$(pkg-config --libs roster)
echo "pkg-config: cflags '$cflags' libs '$libs'"
cc=${CC_FOR_CONSUMER:-cc}
cxx=${CXX_FOR_CONSUMER:-c++}
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror $cflags "$src/consumer.c" -o "$stage/consumer" $libs
printf '#include <roster/roster.hpp>\nint main() { roster::Guild g; g.add_member(1, "ann", {}, roster::Presence::online); return g.length(0) == 2 ? 0 : 1; }\n' \
  >"$stage/consumer.cpp"
# shellcheck disable=SC2086
"$cxx" -std=c++17 -Wall -Wextra -Werror $cflags "$stage/consumer.cpp" -o "$stage/consumer-cpp" $libs
LD_LIBRARY_PATH=$lib "$stage/consumer"
LD_LIBRARY_PATH=$lib "$stage/consumer-cpp"
echo "consumer-cpp: ok"
# The Discord adapter through its own pkg-config file (which requires roster).
printf '#include <roster/discord.h>\n#include <string.h>\nint main(void) { roster_discord_list_id id; roster_discord_overwrite o = {456, ROSTER_DISCORD_OVERWRITE_ROLE, ROSTER_OVERWRITE_DENY}; if (roster_discord_compute_list_id(&id, NULL, NULL, 0, 1, 1, &o, 1) != ROSTER_OK) return 1; return strcmp(id.text, "3460824376") != 0; }\n' \
  >"$stage/consumer-discord.c"
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -Werror $(pkg-config --cflags roster-discord) "$stage/consumer-discord.c" \
  -o "$stage/consumer-discord" $(pkg-config --libs roster-discord)
LD_LIBRARY_PATH=$lib "$stage/consumer-discord"
echo "consumer-discord: ok"
LD_LIBRARY_PATH=$lib "$root/bin/roster-sim" --help >/dev/null
echo "roster-sim from the staged tree: ok"
