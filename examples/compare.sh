#!/usr/bin/env bash
# Runs the C host (the reference) and another host, and requires the same
# output byte for byte (examples/README.md).
# Usage: compare.sh REFERENCE_EXE HOST_COMMAND [ARGS...]
# A host command that exits 77 could not find or install its toolchain: the
# test is skipped (meson reports SKIP), and says so loudly.
set -uo pipefail
ref=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$ref" >"$tmp/ref.txt"; then
  echo "compare.sh: the reference host failed" >&2
  exit 1
fi
"$@" >"$tmp/out.txt"
rc=$?
if [ $rc = 77 ]; then
  echo "SKIPPED: '$*' could not run: its toolchain is missing (see its output above)" >&2
  exit 77
fi
if [ $rc != 0 ]; then
  echo "compare.sh: '$*' exited $rc" >&2
  exit 1
fi
if ! diff -u "$tmp/ref.txt" "$tmp/out.txt" >&2; then
  echo "compare.sh: '$*' differs from the C host (above: - C, + this host)" >&2
  exit 1
fi
echo "same output as the C host: $(wc -l <"$tmp/ref.txt") lines"
