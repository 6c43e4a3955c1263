#!/bin/sh
# sim_csv: roster-sim --csv writes one row per flush of the churn, and the
# rows add up to the summary the same run prints: the header line, as many
# rows as batches, the events of every batch, time never going back, the
# sums of ops, rows, frames, bytes and naive_bytes over the events equal to
# the per-event figures printed (to their printed precision), and the flush
# p50 / p99 of the flush_ns column equal to the printed ones. A file that
# cannot be written is an error (exit 1).
# usage: csv_test.sh ROSTER_SIM
set -eu
sim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
fail() { echo "sim_csv: $*" >&2; exit 1; }

# 20,050 events in batches of 100: 201 batches, the last one of 50.
"$sim" --members 3000 --sessions 50 --events 20050 --flush-every 100 --seed 11 \
    --csv "$dir/run.csv" >"$dir/out" || { cat "$dir/out"; fail "roster-sim --csv failed"; }
cat "$dir/out"

header=$(head -n 1 "$dir/run.csv")
[ "$header" = "time_s,events,ops,rows,frames,bytes,naive_bytes,flush_ns" ] ||
    fail "unexpected header: $header"
rows=$(($(wc -l <"$dir/run.csv") - 1))
batches=$(sed -n 's/^  events  *[0-9,]* in \([0-9,]*\) batches.*/\1/p' "$dir/out" | tr -d ,)
[ -n "$batches" ] || fail "no batch count in the summary"
[ "$rows" -eq 201 ] && [ "$rows" -eq "$batches" ] ||
    fail "$rows rows, the summary says $batches batches (expected 201)"

last=$(tail -n 1 "$dir/out")
field() { printf '%s\n' "$last" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
p50=$(sed -n 's/^  flush  *p50 \([0-9.]*\) us, p99 \([0-9.]*\) us.*/\1/p' "$dir/out")
p99=$(sed -n 's/^  flush  *p50 \([0-9.]*\) us, p99 \([0-9.]*\) us.*/\2/p' "$dir/out")

# Per-row checks, then the sums against the summary (awk exits 1 on the
# first difference and says which).
tail -n +2 "$dir/run.csv" | awk -F, \
    -v events="$(field events)" -v ops="$(field ops_per_event)" \
    -v bytes="$(field bytes_per_event)" -v naive="$(field naive_bytes_per_event)" '
function bad(what) { print "sim_csv: " what > "/dev/stderr"; failed = 1; exit 1 }
NF != 8 { bad("row " NR " has " NF " fields") }
{
    for (i = 1; i <= 8; ++i) if ($i !~ /^[0-9]+(\.[0-9]+)?$/) bad("row " NR ": field " i " is " $i)
    if ($1 + 0 < prev) bad("row " NR ": time goes back, " $1 " after " prev)
    prev = $1 + 0
    want = NR < 201 ? 100 : 50
    if ($2 != want) bad("row " NR ": " $2 " events, expected " want)
    if ($7 + 0 <= 0 || $8 + 0 <= 0) bad("row " NR ": no naive bytes or no flush time")
    ev += $2; o += $3; b += $6; nb += $7
}
function near(x, printed, step) { d = x - printed; return d < 0 ? -d <= step : d <= step }
END {
    if (failed) exit 1
    if (ev != events) bad("events sum to " ev ", the summary says " events)
    if (!near(o / ev, ops, 0.00005001)) bad("ops per event " o / ev " vs printed " ops)
    if (!near(b / ev, bytes, 0.05001)) bad("bytes per event " b / ev " vs printed " bytes)
    if (!near(nb / ev, naive, 0.05001)) bad("naive bytes per event " nb / ev " vs printed " naive)
    if (b >= nb) bad("roster bytes " b " not below naive " nb)
}' || fail "the rows do not match the summary"

# The flush column's p50 / p99 (nearest rank, as the summary computes them).
pct() {
    tail -n +2 "$dir/run.csv" | cut -d, -f8 | sort -n |
        awk -v p="$1" '{ v[NR] = $1 } END { k = int(p * NR); if (k < p * NR) ++k; printf "%.1f", v[k] / 1e3 }'
}
[ "$(pct 0.50)" = "$p50" ] || fail "flush_ns p50 $(pct 0.50) us, the summary says $p50"
[ "$(pct 0.99)" = "$p99" ] || fail "flush_ns p99 $(pct 0.99) us, the summary says $p99"

# Zero events: the header alone. An unwritable file: exit status 1.
"$sim" --members 100 --sessions 2 --events 0 --csv "$dir/empty.csv" >/dev/null ||
    fail "a run without events failed"
[ "$(cat "$dir/empty.csv")" = "$header" ] || fail "a run without events wrote rows"
if "$sim" --members 100 --sessions 2 --events 10 --csv "$dir/no/such/dir.csv" >/dev/null 2>&1; then
    fail "an unwritable --csv file did not fail the run"
fi
echo "sim_csv: ok ($rows rows)"
