#!/usr/bin/env bash
# Sets up, builds (release) and runs the main job.
# Until the simulator exists this is the W1 benchmark of the ordered index
# (rank tree vs. GNU pb_ds) at N = 1,000,000. Extra arguments go to
# roster-bench, e.g. ./run.sh w1 --n 50000
set -euo pipefail
cd "$(dirname "$0")"
.ci/install-deps build
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null
if [ $# -eq 0 ]; then
  set -- w1 --n 1000000
fi
exec build/tests/bench/roster-bench "$@"
