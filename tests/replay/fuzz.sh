#!/bin/sh
# Robustness of `roster-sim replay`: 5,000 lines of garbage (random bytes,
# truncated events, deep nesting, ill-typed fields, an over-long line, ...)
# must each produce exactly one error line, in order, with exit status 0;
# 5,000 randomly mutated events (subscribes and session removals among them)
# must leave the tool alive (exit 0) with only well-formed error, dump or
# frame lines on stdout.
# Usage: fuzz.sh ROSTER_SIM SIM_FUZZ_GEN       Exit: 0 ok, 1 otherwise.
set -u
if [ $# -ne 2 ]; then
  echo "usage: fuzz.sh ROSTER_SIM SIM_FUZZ_GEN" >&2
  exit 2
fi
sim=$1
gen=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0

run() {  # mode seed [check args]
  mode=$1
  seed=$2
  shift 2
  "$gen" "$mode" 5000 "$seed" >"$tmp/in" || { echo "FAIL generator"; failed=1; return; }
  "$sim" replay "$tmp/in" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $mode seed $seed: exit status $rc: $(head -c 500 "$tmp/err")"
    failed=1
    return
  fi
  if ! "$gen" check "$@" <"$tmp/out" >"$tmp/check"; then
    echo "FAIL $mode seed $seed: bad output"
    failed=1
    return
  fi
  echo "ok   $mode seed $seed: $(cat "$tmp/check")"
}

for seed in 1 2 3; do
  run invalid "$seed" errors
  if [ "$(wc -l <"$tmp/out")" -ne 5000 ]; then
    echo "FAIL invalid seed $seed: expected 5000 error lines"
    failed=1
  fi
  run mutate "$seed"
done
exit "$failed"
