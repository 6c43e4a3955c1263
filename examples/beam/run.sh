#!/usr/bin/env bash
# Runs the Elixir host (examples/README.md) or the ExUnit tests against a
# roster build and its NIF.
# Usage: run.sh BUILD_ROOT NIF_PATH [--test | --test-cluster | --bench [OPTIONS]]
#   (none)          the host scenario (host.exs); stdout: the canonical frame lines only
#   --test          mix format --check-formatted, then the ExUnit tests (test/) but
#                   the cluster's (test/cluster_test.exs)
#   --test-cluster  the cluster's ExUnit tests alone
#   --bench         the figures (bench/bench.exs, README.md "Figures"): OPTIONS go
#                   to it; roster-bench is BUILD_ROOT/tests/bench/roster-bench
# BUILD_ROOT is a meson build root of roster; NIF_PATH the roster_nif.so
# meson built there (examples/beam/roster_nif.so). mix runs offline (no
# Hex, no dependencies), with MIX_ENV, MIX_HOME and MIX_BUILD_PATH under
# BUILD_ROOT/examples/beam-work/: nothing is written into the source tree.
# Exit 77 (skip) when elixir or mix is not found.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_ROOT NIF_PATH [--test | --test-cluster | --bench [OPTIONS]]" >&2; exit 2; }
build_root=$(cd "$1" && pwd)
nif=$2
mode=${3:-host}
shift $(( $# >= 3 ? 3 : $# ))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in elixir mix; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: $tool not found (Debian: install elixir and erlang-dev)" >&2
    exit 77
  fi
done
if [ ! -e "$nif" ]; then
  echo "run.sh: $nif not found: build roster first (ninja -C $build_root)" >&2
  exit 1
fi
nif=$(cd "$(dirname "$nif")" && pwd)/$(basename "$nif")
work="$build_root/examples/beam-work"
mkdir -p "$work/mix-home"
export ROSTER_NIF_PATH="$nif"
export MIX_HOME="$work/mix-home"
export HEX_OFFLINE=1
# The cluster test and the bench start distribution on loopback themselves:
# no epmd (node ports are in their names) and a cookie of their own (none is
# read from or written to ~/.erlang.cookie).
dist_flags="-epmd_module Elixir.Roster.Cluster.Epmd -start_epmd false -setcookie roster_beam_test -kernel prevent_overlapping_partitions false"
# The library the NIF links against, whatever rpath the build gave it.
export LD_LIBRARY_PATH="$build_root/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cd "$here"
echo "run.sh: $(elixir --version 2>/dev/null | tail -n 1), NIF $nif" >&2
case "$mode" in
  host)
    export MIX_ENV=prod MIX_BUILD_PATH="$work/host"
    # Compiler messages go to stderr: stdout is the host's output only.
    mix compile >&2
    exec mix run --no-compile --no-deps-check --no-start host.exs
    ;;
  --test)
    export MIX_ENV=test MIX_BUILD_PATH="$work/test"
    # The code stays as mix format writes it (.formatter.exs).
    mix format --check-formatted
    exec elixir --erl "$dist_flags" -S mix test --exclude cluster
    ;;
  --test-cluster)
    # a build path of its own: meson runs it beside --test
    export MIX_ENV=test MIX_BUILD_PATH="$work/test-cluster"
    exec elixir --erl "$dist_flags" -S mix test --only cluster
    ;;
  --bench)
    export MIX_ENV=prod MIX_BUILD_PATH="$work/bench-build"
    mix compile >&2
    # The normal and dirty I/O schedulers do not busy-wait when idle: on a
    # small shared machine their spinning takes CPU from the dirty scheduler
    # that runs the NIF's long calls. The dirty CPU schedulers keep their
    # short default spin: without it every dirty call waits ~50 µs for one
    # to wake (README.md, "Figures").
    exec elixir --erl "$dist_flags +sbwt none +sbwtdio none" -S mix run --no-compile --no-deps-check --no-start \
      bench/bench.exs --c-bench "$build_root/tests/bench/roster-bench" \
      --work "$work/bench" "$@"
    ;;
  *)
    echo "usage: $0 BUILD_ROOT NIF_PATH [--test | --test-cluster | --bench [OPTIONS]]" >&2
    exit 2
    ;;
esac
