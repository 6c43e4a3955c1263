#!/usr/bin/env bash
# The host benchmark side by side (examples/README.md, "The host
# benchmark"): the same workload (examples/c/bench.c: 100,000 members, 1,000
# sessions, status changes through roster_events_apply in calls of 1,000,
# a frame callback that reads every op and row) through the C host and
# through each language's binding, one after another, ROUNDS times,
# alternating, so that the machine's drift hits every host alike.
# Usage: examples/bench_hosts.sh BUILD_ROOT [ROUNDS] [EVENTS]
#        (defaults: 5 rounds of 3,000,000 events; BUILD_ROOT a release build.
#        The figure wanted is the steady state a long-running server sees;
#        every host's program times its whole event stream, so the JVM's JIT
#        warm-up (about half a second in which Java runs well below its
#        steady speed) is inside the timed loop. At 3,000,000 events it weighs
#        a third of what it does at 1,000,000, and the machine's drift
#        averages out better; see tests/bench/RESULTS.md for both)
# Prints every HOSTBENCH line, then per host: the median events/s, its
# ratio to C's median, and whether its frames/ops/rows/checksum equal C's
# (they must: the same work). A host whose toolchain is missing is listed
# as skipped.
set -uo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_ROOT [ROUNDS] [EVENTS]" >&2
  exit 2
fi
build_root=$(cd "$1" && pwd)
rounds=${2:-5}
events=${3:-3000000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
c_bench=$build_root/examples/c/roster-host-bench-c
if [ ! -x "$c_bench" ]; then
  echo "$c_bench not found: build it (ninja -C $build_root examples/c/roster-host-bench-c)" >&2
  exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
langs=(go rust java python)
# Python: Debian's interpreter when there is one and PYTHON is not set (the
# platform the project targets; a self-built interpreter on PATH, such as
# pyenv's, is often built without the optimisations Debian's has).
if [ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ]; then
  export PYTHON=/usr/bin/python3
fi
declare -A skipped
for ((r = 1; r <= rounds; r++)); do
  "$c_bench" "$events" | tee -a "$out"
  for lang in "${langs[@]}"; do
    [ -n "${skipped[$lang]:-}" ] && continue
    line=$("$here/$lang/run.sh" "$build_root" --bench "$events" 2>/dev/null)
    rc=$?
    if [ $rc = 77 ]; then
      skipped[$lang]=1
      echo "# $lang: skipped (toolchain missing)"
      continue
    fi
    if [ $rc != 0 ] || [[ $line != HOSTBENCH* ]]; then
      echo "# $lang: failed (exit $rc)"
      skipped[$lang]=failed
      continue
    fi
    echo "$line" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    runs.setdefault(f["lang"], []).append(f)
c = statistics.median(float(f["events_per_s"]) for f in runs["c"])
work = lambda f: (f["events"], f["frames"], f["ops"], f["rows"], f["checksum"])
print(f"{'host':8} {'median events/s':>16} {'vs C':>7}  same work as C")
for lang, fs in runs.items():
    m = statistics.median(float(f["events_per_s"]) for f in fs)
    same = all(work(f) == work(runs["c"][0]) for f in fs)
    print(f"{lang:8} {m:16,.0f} {m / c:7.1%}  {'yes' if same else 'NO'}")
PY
