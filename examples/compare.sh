#!/usr/bin/env bash
# Runs the C host (the reference) and another host, and requires the same
# output byte for byte (examples/README.md).
# Usage: compare.sh REFERENCE_EXE HOST_COMMAND [ARGS...]
#        compare.sh --expected FILE HOST_COMMAND [ARGS...]   (a pinned output)
# A host command that exits 77 could not find or install its toolchain: the
# test is skipped (meson reports SKIP), and says so loudly.
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$1" = --expected ]; then
  cp "$2" "$tmp/ref.txt"
  what="the expected output ($2)"
  shift 2
else
  what="the C host"
  if ! "$1" >"$tmp/ref.txt"; then
    echo "compare.sh: the reference host failed" >&2
    exit 1
  fi
  shift
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
  echo "compare.sh: '$*' differs from $what (above: - reference, + this host)" >&2
  exit 1
fi
echo "same output as $what: $(wc -l <"$tmp/ref.txt") lines"
