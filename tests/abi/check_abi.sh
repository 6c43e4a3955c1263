#!/usr/bin/env bash
# Usage: check_abi.sh LIBRARY HEADERS_DIR BASELINE
# Compares the shared library's ABI with the committed baseline (abidiff).
# Fails on any change to what the baseline has: a removed function, a
# changed signature, a changed struct layout or enum. Only additions (new
# functions, and fields appended to a size-prefixed struct: see
# sized_structs.suppr) pass; new functions are shown, as a reminder to
# record a new baseline at the next release (tests/abi/README.md). Exits 77 (skip) when it cannot judge: abidiff
# missing, or a library built without debug info.
set -uo pipefail
lib=$1
headers=$2
baseline=$3
. "$(dirname "$0")/abi_flags.sh"
if ! command -v abidiff >/dev/null; then
  echo "SKIPPED: abidiff not found (Debian package abigail-tools): the ABI is NOT checked" >&2
  exit 77
fi
if ! readelf -S "$lib" | grep -c '\.debug_info' >/dev/null; then
  echo "SKIPPED: $lib has no debug info (a release build): the ABI is NOT checked;" \
       "./test.sh builds with debug info" >&2
  exit 77
fi
abidiff "${abidiff_flags[@]}" --suppressions "$(dirname "$0")/sized_structs.suppr" --headers-dir2 "$headers" "$baseline" "$lib"
rc=$?
# abidiff's exit status is a bit set: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible ABI change.
if (( rc & 3 )); then
  echo "check_abi.sh: abidiff failed (exit $rc)"
  exit 1
fi
if (( rc & 8 )); then
  echo "check_abi.sh: INCOMPATIBLE change against $baseline (above)."
  echo "If it is deliberate, bump the SONAME and the baseline: tests/abi/README.md"
  exit 1
fi
if (( rc & 4 )); then
  # abidiff flags a changed type as "change" (4), not "incompatible" (8):
  # anything left once added symbols are ignored is a change to the ABI.
  abidiff "${abidiff_flags[@]}" --suppressions "$(dirname "$0")/sized_structs.suppr" \
    --no-added-syms --headers-dir2 "$headers" "$baseline" "$lib" \
    >/dev/null
  rc=$?
  if (( rc & 15 )); then
    echo "check_abi.sh: the ABI CHANGED against $baseline (above): not only additions."
    echo "If it is deliberate, follow tests/abi/README.md (SONAME, baseline)"
    exit 1
  fi
  echo "check_abi.sh: compatible additions (above); record a new baseline at the next release"
else
  echo "ABI identical to the baseline"
fi
exit 0
