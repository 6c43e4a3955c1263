#!/usr/bin/env bash
# The project's plots: gnuplot draws the CSV series of roster-sim and
# roster-bench as PNG files (800x500). The one plotting entry point.
#
# Usage: tests/bench/plots.sh [--sim FILE] [--scale FILE] [--out DIR] [--window N]
#   --sim FILE    a `roster-sim --csv` series (one row per flush); draws
#                   sim_flush_latency.png  flush p50 / p99 / max over the
#                                          last N flushes, against time,
#                                          every flush a dot behind;
#                   sim_bytes_per_event.png  JSON bytes per event, roster and
#                                          the naive strategy: cumulative
#                                          (lines) and per flush (dots).
#   --scale FILE  a `roster-bench scale` grid (its --csv); draws
#                   scale_events_vs_members.png, scale_events_vs_sessions.png,
#                   scale_bulk_events_vs_members.png,
#                   scale_flush_p99_vs_members.png, scale_flush_p99_vs_sessions.png,
#                   scale_ns_per_op_vs_members.png, scale_ns_per_event_vs_members.png,
#                   scale_bytes_per_member.png, scale_bytes_per_session.png
#                 (a line per session count against members, a line per
#                 member count against sessions; in the last, solid: RSS
#                 growth per session, dashed: a further session's own bytes;
#                 in the flush plots, solid: p99, dashed: p50).
#   --out DIR     where the PNGs go (default docs/img of this checkout)
#   --window N    flushes per latency window (default 100)
# Without --sim and --scale: the committed series, tests/bench/data/sim_w2.csv
# and tests/bench/data/scale.csv, drawn into docs/img. Prints the files
# written. Needs gnuplot with the pngcairo terminal (Debian: gnuplot-nox).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sim="" scale="" out="$root/docs/img" window=100
usage() { sed -n '5,27p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --sim) sim=${2:?--sim needs a FILE}; shift 2 ;;
    --scale) scale=${2:?--scale needs a FILE}; shift 2 ;;
    --out) out=${2:?--out needs a DIR}; shift 2 ;;
    --window) window=${2:?--window needs N}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "plots.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
case $window in ''|*[!0-9]*|0) echo "plots.sh: --window needs a whole number > 0" >&2; exit 2 ;; esac
if [ -z "$sim$scale" ]; then
  sim=$root/tests/bench/data/sim_w2.csv
  scale=$root/tests/bench/data/scale.csv
fi
command -v gnuplot >/dev/null || { echo "plots.sh: gnuplot not found (Debian: gnuplot-nox)" >&2; exit 1; }
for f in "$sim" "$scale"; do
  [ -z "$f" ] || [ -s "$f" ] || { echo "plots.sh: $f: no such file, or empty" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The key stays outside the graph, at the right (tests/bench/png_check.py
# looks for the data left of it); log axes are labelled 10k, 1M.
gp() {  # gp <png> <xlabel> <ylabel> <logx 0|1> <logy 0|1> <key title> <plot clause>
  gnuplot <<EOF
set terminal pngcairo size 800,500 noenhanced font ",10"
set output "$out/$1"
$( [ "$4" = 1 ] && printf 'set logscale x\nset format x "%%.0s%%c"' )
$( [ "$5" = 1 ] && printf 'set logscale y\nset format y "%%.0s%%c"' )
set xlabel "$2"
set ylabel "$3"
set key outside right top Left reverse title "$6"
set grid
plot $7
EOF
  echo "$out/$1"
}

# The columns of a CSV by name, from its header (fails on a missing one).
col() {  # col <csv> <name>
  local c
  c=$(head -n 1 "$1" | tr "," "\n" | grep -nx "$2" | cut -d: -f1 || true)
  [ -n "$c" ] || { echo "plots.sh: $1 has no column $2" >&2; exit 1; }
  echo "$c"
}

# --------------------------------------------------------------- roster-sim --
if [ -n "$sim" ]; then
  for name in time_s events bytes naive_bytes flush_ns; do col "$sim" "$name" >/dev/null; done
  c_t=$(col "$sim" time_s) c_e=$(col "$sim" events) c_b=$(col "$sim" bytes)
  c_n=$(col "$sim" naive_bytes) c_f=$(col "$sim" flush_ns)
  # One line per flush: time, flush us, p50 / p99 / max us of the window of
  # the last N flushes (once N have been seen; nearest rank), bytes and naive
  # bytes per event of this flush, and cumulative. The window is kept sorted.
  tail -n +2 "$sim" | awk -F, -v W="$window" -v t="$c_t" -v e="$c_e" -v b="$c_b" \
      -v n="$c_n" -v f="$c_f" '
  function rank(p,   k) { k = int(p * W); if (k < p * W) ++k; if (k < 1) k = 1; return s[k] }
  {
    x = $f / 1e3
    if (NR > W) {  # drop the oldest (the one x replaces in the ring)
      old = ring[NR % W]; i = 1
      while (s[i] != old) ++i
      for (; i < m; ++i) s[i] = s[i + 1]
      --m
    }
    ring[NR % W] = x
    for (i = m; i >= 1 && s[i] > x; --i) s[i + 1] = s[i]
    s[i + 1] = x; ++m
    ev += $e; by += $b; nb += $n
    w = NR >= W ? sprintf("%.3f %.3f %.3f", rank(0.5), rank(0.99), s[m]) : "NaN NaN NaN"
    printf "%s %.3f %s %.1f %.1f %.1f %.1f\n", $t, x, w, $e ? $b / $e : 0, $e ? $n / $e : 0,
           ev ? by / ev : 0, ev ? nb / ev : 0
  }' >"$tmp/sim"
  [ -s "$tmp/sim" ] || { echo "plots.sh: $sim has no rows" >&2; exit 1; }
  gp sim_flush_latency.png "seconds into the churn" "flush (commit) time, us" 0 1 \
    "last $window flushes" \
    "\"$tmp/sim\" using 1:2 with points pt 7 ps 0.3 lc rgb \"#aaaaaa\" title \"each flush\", \
     \"\" using 1:3 with lines lw 2 lc rgb \"#1b9e77\" title \"p50\", \
     \"\" using 1:4 with lines lw 2 lc rgb \"#d95f02\" title \"p99\", \
     \"\" using 1:5 with lines lw 2 lc rgb \"#7570b3\" title \"max\""
  gp sim_bytes_per_event.png "seconds into the churn" "JSON bytes per event" 0 1 "" \
    "\"$tmp/sim\" using 1:7 with points pt 7 ps 0.3 lc rgb \"#f4a582\" title \"naive, flush\", \
     \"\" using 1:6 with points pt 7 ps 0.3 lc rgb \"#92c5de\" title \"roster, flush\", \
     \"\" using 1:9 with lines lw 2 lc rgb \"#b2182b\" title \"naive, all\", \
     \"\" using 1:8 with lines lw 2 lc rgb \"#2166ac\" title \"roster, all\""
fi

# ------------------------------------------------------ roster-bench scale --
if [ -n "$scale" ]; then
  c_members=$(col "$scale" members)
  c_sessions=$(col "$scale" sessions)
  c_eps=$(col "$scale" events_per_s)
  c_bulk=$(col "$scale" bulk_events_per_s)
  c_p99=$(col "$scale" flush_p99_us)
  c_p50=$(col "$scale" flush_p50_us)
  c_bpm=$(col "$scale" bytes_per_member)
  c_bps=$(col "$scale" bytes_per_session)
  c_extra=$(col "$scale" bytes_per_extra_session)
  c_nsop=$(col "$scale" ns_per_op)
  c_nsev=$(col "$scale" ns_per_event_ex_ops)
  members=$(tail -n +2 "$scale" | cut -d, -f"$c_members" | sort -n -u | tr '\n' ' ')
  sessions=$(tail -n +2 "$scale" | cut -d, -f"$c_sessions" | sort -n -u | tr '\n' ' ')
  [ -n "$members" ] || { echo "plots.sh: $scale has no rows" >&2; exit 1; }

  # One data file per series, sorted by its x: the CSV's columns, by space.
  series() {  # series <key column> <key> <x column> <file>
    awk -F, -v k="$1" -v v="$2" -v x="$3" 'NR > 1 && $k == v { print $x, $0 }' "$scale" |
      sort -n -k1,1 | cut -d' ' -f2- | tr ',' ' ' >"$4"
  }
  for s in $sessions; do series "$c_sessions" "$s" "$c_members" "$tmp/s$s"; done
  for m in $members; do series "$c_members" "$m" "$c_sessions" "$tmp/m$m"; done

  # 10000 -> 10k, 1000000 -> 1M.
  short() {
    local v=$1
    if [ "$v" -ge 1000000 ] && [ $((v % 1000000)) -eq 0 ]; then echo "$((v / 1000000))M"
    elif [ "$v" -ge 1000 ] && [ $((v % 1000)) -eq 0 ]; then echo "$((v / 1000))k"
    else echo "$v"; fi
  }
  # A line per series: plot_lines <prefix> <values> <x col> <y col> <title fmt> [style]
  plot_lines() {
    local prefix=$1 values=$2 x=$3 y=$4 fmt=$5 style=${6:-} sep="" v i=0
    for v in $values; do
      i=$((i + 1))
      # shellcheck disable=SC2059
      printf '%s"%s" using %s:%s with linespoints lc %d pt %d %s title "%s"' "$sep" \
        "$tmp/$prefix$v" "$x" "$y" "$i" "$i" "$style" "$(printf "$fmt" "$(short "$v")")"
      sep=", "
    done
  }
  gp scale_events_vs_members.png "members" "events/s (one call per event)" 1 1 sessions \
    "$(plot_lines s "$sessions" "$c_members" "$c_eps" '%s')"
  gp scale_bulk_events_vs_members.png "members" "events/s (roster_events_apply)" 1 1 sessions \
    "$(plot_lines s "$sessions" "$c_members" "$c_bulk" '%s')"
  gp scale_flush_p99_vs_members.png "members" "flush p99 (solid), p50 (dashed), us; 1,000 events a flush" \
    1 1 sessions "$(plot_lines s "$sessions" "$c_members" "$c_p99" '%s, p99'), $(plot_lines s "$sessions" "$c_members" "$c_p50" '%s, p50' 'dt 2')"
  gp scale_events_vs_sessions.png "sessions" "events/s (one call per event)" 1 1 members \
    "$(plot_lines m "$members" "$c_sessions" "$c_eps" '%s')"
  gp scale_flush_p99_vs_sessions.png "sessions" "flush p99 (solid), p50 (dashed), us; 1,000 events a flush" \
    1 1 members "$(plot_lines m "$members" "$c_sessions" "$c_p99" '%s, p99'), $(plot_lines m "$members" "$c_sessions" "$c_p50" '%s, p50' 'dt 2')"
  gp scale_ns_per_op_vs_members.png "members" "flush ns per delivered op" 1 1 sessions \
    "$(plot_lines s "$sessions" "$c_members" "$c_nsop" '%s')"
  gp scale_ns_per_event_vs_members.png "members" "ns per event besides delivered ops" 1 1 sessions \
    "$(plot_lines s "$sessions" "$c_members" "$c_nsev" '%s')"
  gp scale_bytes_per_member.png "members" "bytes per member (RSS growth of the bulk load)" 1 0 \
    sessions "$(plot_lines s "$sessions" "$c_members" "$c_bpm" '%s')"
  gp scale_bytes_per_session.png "sessions" "bytes per session" 1 1 members \
    "$(plot_lines m "$members" "$c_sessions" "$c_bps" '%s, RSS'), $(plot_lines m "$members" "$c_sessions" "$c_extra" '%s, own' 'dt 2')"
fi
