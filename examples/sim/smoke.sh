#!/bin/sh
# sim_smoke: a small W2 run with --verify must pass, end with the summary
# line in its documented format, and write the same frames when run again
# without --verify (same seed, same frames).
# usage: smoke.sh ROSTER_SIM
set -eu
sim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
args="--members 3000 --sessions 50 --events 20000 --flush-every 100 --seed 7"

"$sim" $args --verify --frames-out "$dir/a.jsonl" >"$dir/out" || {
    cat "$dir/out"
    echo "sim_smoke: roster-sim --verify failed" >&2
    exit 1
}
cat "$dir/out"
last=$(tail -n 1 "$dir/out")
num='[0-9]+(\.[0-9]+)?'
pattern="^W2 members=3000 sessions=50 events=20000 events_per_s=$num p50_ns=[0-9]+ p99_ns=[0-9]+ ops_per_event=$num bytes_per_event=$num naive_bytes_per_event=$num\$"
if ! printf '%s\n' "$last" | grep -Eq "$pattern"; then
    echo "sim_smoke: last line not in the expected format: $last" >&2
    exit 1
fi
grep -q '^  verify  *ok' "$dir/out" || {
    echo "sim_smoke: no verify line" >&2
    exit 1
}

"$sim" $args --frames-out "$dir/b.jsonl" >/dev/null
if ! cmp -s "$dir/a.jsonl" "$dir/b.jsonl"; then
    echo "sim_smoke: frames differ between two runs with the same seed" >&2
    exit 1
fi
[ -s "$dir/a.jsonl" ] || { echo "sim_smoke: no frames written" >&2; exit 1; }
echo "sim_smoke: ok ($(wc -l <"$dir/a.jsonl") frame lines)"
