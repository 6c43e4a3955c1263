#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, in build-fuzz/, if not built yet) and
# fuzzes each for a fixed time. Fails on any finding: a crash, a failed
# oracle, a sanitizer report, a leak, a timeout or a memory blow-up.
#
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60; TARGET default: fuzz_capi fuzz_oom fuzz_replay fuzz_snapshot
#                       fuzz_discord_frames fuzz_discord_request
# Environment:
#   FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   FUZZ_FORK       N > 0: N fuzzing processes per target (libFuzzer -fork=N);
#                   findings are then collected and the run goes on
#   FUZZ_FLAGS      more libFuzzer flags, e.g. "-max_len=8192"
#
# Where things go (under the build directory):
#   corpus/TARGET/    inputs libFuzzer found to add coverage (kept between runs;
#                     the committed seeds in tests/fuzz/corpus/TARGET are read too)
#   findings/TARGET/  crash-*, timeout-*, oom-*, leak-*: the inputs of findings
#   fuzz-TARGET.log   libFuzzer's output
# A finding is reproduced by running the target on the file:
#   build-fuzz/tests/fuzz/TARGET build-fuzz/findings/TARGET/crash-...
# The last line printed is "N passed, N failed" (one per target).
set -uo pipefail
cd "$(dirname "$0")/../.."
src=tests/fuzz
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_capi fuzz_oom fuzz_replay fuzz_snapshot fuzz_discord_frames
  fuzz_discord_request)
dir=${FUZZ_BUILD_DIR:-build-fuzz}

if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$dir" --buildtype=debugoptimized -Dwerror=true \
    -Dfuzz=true -Dtests=false -Dexamples=false -Dbench=false >"$dir.setup.log" 2>&1 \
    || { cat "$dir.setup.log"; echo "meson setup failed"; echo "0 passed, ${#targets[@]} failed"; exit 1; }
  rm -f "$dir.setup.log"
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=("tests/fuzz/$t"); done
if ! ninja -C "$dir" "${build_targets[@]}" >"$dir/fuzz-build.log" 2>&1; then
  cat "$dir/fuzz-build.log"
  echo "build failed"
  echo "0 passed, ${#targets[@]} failed"
  exit 1
fi

passed=0
failed=0
for t in "${targets[@]}"; do
  work="$dir/corpus/$t"
  findings="$dir/findings/$t"
  log="$dir/fuzz-$t.log"
  mkdir -p "$work" "$findings"
  start="$dir/fuzz-$t.start"
  touch "$start"
  extra=()
  [ -f "$src/$t.dict" ] && extra+=("-dict=$src/$t.dict")
  [ "${FUZZ_FORK:-0}" -gt 0 ] && extra+=("-fork=$FUZZ_FORK" "-ignore_crashes=1" "-ignore_timeouts=1" "-ignore_ooms=1")
  # shellcheck disable=SC2086
  "$dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "${extra[@]}" ${FUZZ_FLAGS:-} \
    "$work" "$src/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -n 1 | awk '{print $2}')
  found=$(find "$findings" -type f -newer "$start" | wc -l)
  if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
    echo "ok   $t: ${runs:-?} runs in ${seconds}s, corpus $(find "$work" -type f | wc -l) inputs"
    passed=$((passed + 1))
  else
    echo "FAIL $t (exit $rc): findings in $findings (log: $log)"
    # The oracle's or the sanitizer's own report, without libFuzzer's noise.
    grep -E -A12 'oracle failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|Assertion' "$log" \
      | grep -v '^    #' | head -n 40
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
