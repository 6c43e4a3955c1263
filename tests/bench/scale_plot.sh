#!/usr/bin/env bash
# Draws the table of `roster-bench scale` (its --csv) as PNG plots with
# gnuplot: events/s and flush p99 against members (a line per session
# count) and against sessions (a line per member count), ns per delivered op
# and per event besides against members, bytes per member and per session.
# Usage: tests/bench/scale_plot.sh scale.csv [OUTDIR]   (OUTDIR: next to the CSV)
set -euo pipefail
csv=${1:?usage: scale_plot.sh scale.csv [OUTDIR]}
out=${2:-$(dirname "$csv")}
command -v gnuplot >/dev/null || { echo "scale_plot.sh: gnuplot not found (Debian: gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"

# The columns by name, from the CSV's header.
col() {
  head -n 1 "$csv" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1
}
c_members=$(col members)
c_sessions=$(col sessions)
c_eps=$(col events_per_s)
c_bulk=$(col bulk_events_per_s)
c_p99=$(col flush_p99_us)
c_bpm=$(col bytes_per_member)
c_bps=$(col bytes_per_session)
c_extra=$(col bytes_per_extra_session)
c_nsop=$(col ns_per_op)
c_nsev=$(col ns_per_event_ex_ops)

members=$(tail -n +2 "$csv" | cut -d, -f"$c_members" | sort -n -u | tr '\n' ' ')
sessions=$(tail -n +2 "$csv" | cut -d, -f"$c_sessions" | sort -n -u | tr '\n' ' ')

# One data file per series: x, then the columns asked for.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
series() {  # series <key column> <key> <x column> <file>
  awk -F, -v k="$1" -v v="$2" -v x="$3" 'NR > 1 && $k == v { print $x, $0 }' "$csv" |
    sort -n -k1,1 | cut -d' ' -f2- | tr ',' ' ' >"$4"
}
for s in $sessions; do series "$c_sessions" "$s" "$c_members" "$tmp/s$s"; done
for m in $members; do series "$c_members" "$m" "$c_sessions" "$tmp/m$m"; done

plot_lines() {  # plot_lines <prefix> <values> <x col> <y col> <title fmt>
  local prefix=$1 values=$2 x=$3 y=$4 fmt=$5 sep="" v
  for v in $values; do
    # shellcheck disable=SC2059
    printf '%s"%s" using %s:%s with linespoints title "%s"' "$sep" "$tmp/$prefix$v" "$x" "$y" "$(printf "$fmt" "$v")"
    sep=", "
  done
}

gp() {  # gp <png> <xlabel> <ylabel> <logy 0|1> <plot clause>
  gnuplot <<EOF
set terminal pngcairo size 900,560 noenhanced font ",10"
set output "$out/$1"
set logscale x
$( [ "$4" = 1 ] && echo "set logscale y" )
set xlabel "$2"
set ylabel "$3"
set key outside right
set grid
plot $5
EOF
}

gp scale_events_vs_members.png "members" "events/s (one call per event)" 1 \
  "$(plot_lines s "$sessions" "$c_members" "$c_eps" '%s sessions')"
gp scale_bulk_events_vs_members.png "members" "events/s (roster_events_apply)" 1 \
  "$(plot_lines s "$sessions" "$c_members" "$c_bulk" '%s sessions')"
gp scale_flush_p99_vs_members.png "members" "flush p99 (us), 1000 events a flush" 1 \
  "$(plot_lines s "$sessions" "$c_members" "$c_p99" '%s sessions')"
gp scale_events_vs_sessions.png "sessions" "events/s (one call per event)" 1 \
  "$(plot_lines m "$members" "$c_sessions" "$c_eps" '%s members')"
gp scale_flush_p99_vs_sessions.png "sessions" "flush p99 (us), 1000 events a flush" 1 \
  "$(plot_lines m "$members" "$c_sessions" "$c_p99" '%s members')"
gp scale_ns_per_op_vs_members.png "members" "flush ns per delivered op" 1 \
  "$(plot_lines s "$sessions" "$c_members" "$c_nsop" '%s sessions')"
gp scale_ns_per_event_vs_members.png "members" "ns per event besides delivered ops" 1 \
  "$(plot_lines s "$sessions" "$c_members" "$c_nsev" '%s sessions')"
gp scale_bytes_per_member.png "members" "bytes per member (RSS growth of the bulk load)" 0 \
  "$(plot_lines s "$sessions" "$c_members" "$c_bpm" '%s sessions')"
gp scale_bytes_per_session.png "sessions" "bytes per session" 1 \
  "$(plot_lines m "$members" "$c_sessions" "$c_bps" 'RSS growth, %s members'), $(plot_lines m "$members" "$c_sessions" "$c_extra" 'beyond shared chunks, %s members')"
ls "$out"/scale_*.png
