#!/usr/bin/env bash
# Usage: check_subproject.sh SOURCE_ROOT
# Builds tests/subproject (a consumer project) with roster as its meson
# subproject, statically linked (default_library=static), and runs it.
set -euo pipefail
src=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src/tests/subproject/meson.build" "$src/tests/install/consumer.c" "$work/"
mkdir "$work/subprojects"
ln -s "$src" "$work/subprojects/roster"
cd "$work"
if ! meson setup build --force-fallback-for=roster >setup.log 2>&1; then
  cat setup.log
  exit 1
fi
if ! ninja -C build >build.log 2>&1; then
  cat build.log
  exit 1
fi
build/consumer
if readelf -d build/consumer | grep -c 'libroster' >/dev/null; then
  echo "expected roster linked statically"
  exit 1
fi
echo "subproject build (static library): ok"
