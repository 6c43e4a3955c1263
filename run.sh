#!/usr/bin/env bash
# Sets up, builds (release) and runs the main job: the simulator, roster-sim,
# on its built-in default scenario (W2 of docs/benchmarks.md: 100,000 members, 1,000
# sessions, presence churn, frames to every session). Its last line is
# machine-readable ("W2 members=... events_per_s=...").
#   ./run.sh [roster-sim options]     e.g. ./run.sh --members 1000000 --sessions 10000
#   ./run.sh bench <workload> [opts]  the benchmark harness, e.g. ./run.sh bench w3
#   ./run.sh serve [--port P]         the live demo (docs/serve.md): prints its URL
set -euo pipefail
cd "$(dirname "$0")"
.ci/install-deps build
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
if ! ninja -C build >build/build.log 2>&1; then
  cat build/build.log
  exit 1
fi
if [ "${1:-}" = bench ]; then
  shift
  exec build/tests/bench/roster-bench "$@"
fi
exec build/examples/sim/roster-sim "$@"
