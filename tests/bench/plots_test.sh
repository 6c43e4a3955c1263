#!/bin/sh
# plots: tests/bench/plots.sh draws every PNG from small CSVs made here (a
# roster-sim --csv run, a roster-bench scale grid of four cells), each one
# 800x500 with its data drawn (png_check.py); a CSV without a column the
# plots need is an error. SKIP (77) without gnuplot and its pngcairo
# terminal (Debian: gnuplot-nox).
# usage: plots_test.sh ROSTER_SIM ROSTER_BENCH PLOTS_SH PNG_CHECK_PY
set -eu
sim=$1 bench=$2 plots=$3 check=$4
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "plots: gnuplot is not installed (Debian: gnuplot-nox): SKIP"
    exit 77
fi
if ! echo 'set terminal' | gnuplot 2>&1 | grep -q pngcairo; then
    echo "plots: this gnuplot has no pngcairo terminal: SKIP"
    exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "plots: python3 not found: SKIP"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
fail() { echo "plots: $*" >&2; exit 1; }

"$sim" --members 5000 --sessions 100 --events 30000 --flush-every 100 --csv "$dir/sim.csv" \
    >/dev/null || fail "roster-sim --csv failed"
"$bench" scale --max-members 100000 --max-sessions 1000 --events 2000 --subscribes 10 \
    --csv "$dir/scale.csv" >/dev/null || fail "roster-bench scale (grid) failed"
[ "$(($(wc -l <"$dir/scale.csv") - 1))" -eq 4 ] || fail "the grid has not 4 cells"

"$plots" --sim "$dir/sim.csv" --scale "$dir/scale.csv" --out "$dir/img" --window 50 \
    >"$dir/list" || fail "plots.sh failed"
cat "$dir/list"
for name in sim_flush_latency sim_bytes_per_event scale_events_vs_members \
    scale_events_vs_sessions scale_bulk_events_vs_members scale_flush_p99_vs_members \
    scale_flush_p99_vs_sessions scale_ns_per_op_vs_members scale_ns_per_event_vs_members \
    scale_bytes_per_member scale_bytes_per_session; do
    [ -f "$dir/img/$name.png" ] || fail "$name.png not written"
    grep -qx "$dir/img/$name.png" "$dir/list" || fail "$name.png not listed"
done
[ "$(ls "$dir/img" | wc -l)" -eq 11 ] || fail "not 11 files in the output: $(ls "$dir/img")"
python3 "$check" 800 500 300 "$dir"/img/*.png || fail "a PNG is not a plot with data"

# A series without the column a plot needs: an error, and no PNG from it.
cut -d, -f1-7 "$dir/sim.csv" >"$dir/short.csv"
if "$plots" --sim "$dir/short.csv" --out "$dir/bad" >/dev/null 2>"$dir/err"; then
    fail "plots.sh accepted a CSV without flush_ns"
fi
grep -q 'no column flush_ns' "$dir/err" || fail "unexpected message: $(cat "$dir/err")"
[ ! -e "$dir/bad/sim_flush_latency.png" ] || fail "a PNG was drawn from a bad CSV"
echo "plots: ok"
