#!/bin/sh
# Usage: check_exports.sh LIBRARY MAPFILE
# Fails unless the library's exported (defined, dynamic) symbols are exactly
# the global symbols of the linker map.
set -eu
lib=$1
map=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' \
  | sed 's/@.*//' | grep -v '^ROSTER_' | sort -u)
# The global symbols of every version node (a node ends at local: or }).
mapped=$(awk '/global:/ {g = 1; next} /local:|}/ {g = 0} g' "$map" | tr -d ' \t;' \
  | grep -v -e '^$' -e '^/\*' -e '^\*' | sort -u)
if [ "$exported" != "$mapped" ]; then
  echo "exported symbols differ from $map:"
  echo "$exported" > /tmp/roster-exported.$$
  echo "$mapped" > /tmp/roster-mapped.$$
  diff -u /tmp/roster-mapped.$$ /tmp/roster-exported.$$ || true
  rm -f /tmp/roster-exported.$$ /tmp/roster-mapped.$$
  exit 1
fi
echo "$(echo "$exported" | wc -l) exported symbols match the map"
