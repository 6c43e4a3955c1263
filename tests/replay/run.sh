#!/bin/sh
# Golden tests of `roster-sim replay`: for every NAME.jsonl in DIR, the output
# (from the file argument, and again from stdin) must equal NAME.expected
# byte for byte. Also checks the command-line contract (usage -> exit 2).
# The .expected files were written by hand from docs/model.md and
# docs/frames.md, not recorded.
# Usage: run.sh ROSTER_SIM DIR        Exit: 0 all equal, 1 otherwise.
set -u
if [ $# -ne 2 ]; then
  echo "usage: run.sh ROSTER_SIM DIR" >&2
  exit 2
fi
sim=$1
dir=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
# Snapshot files named by "save" and "load" events land in the scratch
# directory.
case $sim in /*) ;; *) sim=$(pwd)/$sim ;; esac
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
cd "$tmp" || exit 1
failed=0
count=0

fail() {
  echo "FAIL $*"
  failed=1
}

for input in "$dir"/*.jsonl; do
  if [ ! -e "$input" ]; then
    fail "no .jsonl files in $dir"
    break
  fi
  name=$(basename "$input" .jsonl)
  expected=${input%.jsonl}.expected
  count=$((count + 1))
  if [ ! -f "$expected" ]; then
    fail "$name: missing $expected"
    continue
  fi
  if ! "$sim" replay "$input" >"$tmp/out" 2>"$tmp/err"; then
    fail "$name: exit status (stderr: $(cat "$tmp/err"))"
    continue
  fi
  if ! diff -u "$expected" "$tmp/out"; then
    fail "$name: output differs (above: - expected, + actual)"
    continue
  fi
  if ! "$sim" replay <"$input" >"$tmp/stdin" || ! cmp -s "$tmp/out" "$tmp/stdin"; then
    fail "$name: reading stdin gives a different result"
    continue
  fi
  echo "ok   $name"
done

# Command line: usage errors exit 2, an unreadable file exits 1. (No
# arguments at all runs the simulator, the default mode: not checked here.)
expect_status() {
  want=$1
  shift
  "$sim" "$@" </dev/null >/dev/null 2>&1
  got=$?
  if [ "$got" -ne "$want" ]; then
    fail "roster-sim $*: exit status $got, expected $want"
  fi
}
expect_status 0 --help
expect_status 0 --members 10 --sessions 1 --events 10 --seed 18446744073709551615
expect_status 2 --members 10 --sessions 1 --events 10 --seed 18446744073709551616
expect_status 2 --verify=1
expect_status 0 sim --members=10 --sessions=1 --events=10
expect_status 2 bogus
expect_status 2 replay a b
expect_status 2 replay --frobnicate
expect_status 1 replay "$tmp/does-not-exist.jsonl"
expect_status 0 replay
expect_status 0 replay -

if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "all $count golden files match"
exit 0
