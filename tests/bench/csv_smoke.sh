#!/bin/sh
# bench_csv_smoke: the series roster-bench writes with --csv.
#  w2: one row per batch of every round, with its header; the batches of a
#      round number 1.. and carry its events; the last round's ops add up to
#      the ops per event printed; the flush never takes longer than its batch.
#  w1: one row per (size, op, round), with its header; every time positive.
# usage: csv_smoke.sh ROSTER_BENCH
set -eu
bench=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
fail() { echo "bench_csv_smoke: $*" >&2; exit 1; }

# 5,500 events in batches of 1,000: 6 batches a round (the last of 500).
"$bench" w2 --members 20000 --sessions 200 --events 5500 --rounds 2 --csv "$dir/w2.csv" \
    >"$dir/w2.out" || { cat "$dir/w2.out"; fail "w2 --csv failed"; }
cat "$dir/w2.out"
[ "$(head -n 1 "$dir/w2.csv")" = "round,batch,events,batch_ns,flush_ns,ops,rows,frames" ] ||
    fail "w2: unexpected header: $(head -n 1 "$dir/w2.csv")"
ops=$(tail -n 1 "$dir/w2.out" | tr ' ' '\n' | sed -n 's/^ops_per_event=//p')
tail -n +2 "$dir/w2.csv" | awk -F, -v ops="$ops" '
function bad(what) { print "bench_csv_smoke: w2: " what > "/dev/stderr"; failed = 1; exit 1 }
NF != 8 { bad("row " NR " has " NF " fields") }
{
    r = int((NR - 1) / 6) + 1; b = (NR - 1) % 6 + 1
    if ($1 != r || $2 != b) bad("row " NR " is round " $1 " batch " $2 ", expected " r " " b)
    if ($3 != (b < 6 ? 1000 : 500)) bad("row " NR ": " $3 " events")
    if ($5 + 0 <= 0 || $5 + 0 > $4 + 0) bad("row " NR ": flush " $5 " ns in a batch of " $4 " ns")
    if ($1 == 2) { ev += $3; o += $6 }
}
END {
    if (failed) exit 1
    if (NR != 12) bad(NR " rows, expected 12")
    d = o / ev - ops; if (d < 0) d = -d
    if (d > 0.0005001) bad("round 2: " o / ev " ops per event, printed " ops)
}' || fail "w2 series wrong"

"$bench" w1 --n 3000 --rounds 2 --ops 2000 --csv "$dir/w1.csv" >"$dir/w1.out" ||
    { cat "$dir/w1.out"; fail "w1 --csv failed"; }
[ "$(head -n 1 "$dir/w1.csv")" = "n,op,round,roster_ns,avl_ns,pbds_ns" ] ||
    fail "w1: unexpected header: $(head -n 1 "$dir/w1.csv")"
tail -n +2 "$dir/w1.csv" | awk -F, '
function bad(what) { print "bench_csv_smoke: w1: " what > "/dev/stderr"; failed = 1; exit 1 }
NF != 6 || $1 != 3000 || $3 < 1 || $3 > 2 { bad("row " NR ": " $0) }
$4 + 0 <= 0 || $5 + 0 <= 0 || $6 + 0 <= 0 { bad("row " NR ": a time not positive: " $0) }
{ seen[$2]++ }
END {
    if (failed) exit 1
    n = 0; for (op in seen) { ++n; if (seen[op] != 2) bad(op ": " seen[op] " rows") }
    if (n != 7 || NR != 14) bad(NR " rows over " n " ops, expected 14 over 7")
}' || fail "w1 series wrong"
if "$bench" w2 --members 2000 --sessions 20 --events 200 --rounds 1 --csv "$dir/no/such.csv" \
    >/dev/null 2>&1; then
    fail "an unwritable --csv file did not fail w2"
fi
echo "bench_csv_smoke: ok"
