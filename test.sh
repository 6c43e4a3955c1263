#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (all suites, slow included).
# Usage: ./test.sh [--sanitize | --tsan | --fuzz [SECONDS]] [meson test args...]
#   (none)      g++ with Debian's hardening flags (dpkg-buildflags,
#               hardening=+all) and the libstdc++ assertions (build-test/)
#   --sanitize  clang build with ASan+UBSan and the libstdc++ assertions
#               (build-asan/)
#               (randomized fidelity runs at half their events there)
#   --tsan      clang build with ThreadSanitizer, suite 'threads' only
#               (build-tsan/)
#   --fuzz [S]  the libFuzzer targets (tests/fuzz, clang, build-fuzz/): their
#               committed inputs (suite 'fuzz'), then S seconds of fuzzing
#               shared among the targets (default 180)
# The last line printed is "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")"
.ci/install-deps test

mode=full
dir=build-test
setup=(--buildtype=debugoptimized -Dwerror=true)
env_cc=()
targets=()
fuzz_seconds=180
case "${1:-}" in
  --sanitize)
    shift
    mode=sanitize
    dir=build-asan
    setup+=(-Db_sanitize=address,undefined -Db_lundef=false)
    env_cc=(CC=clang CXX=clang++
            "CXXFLAGS=-fno-sanitize-recover=all -D_GLIBCXX_ASSERTIONS"
            "CFLAGS=-fno-sanitize-recover=all")
    export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    # The randomized fidelity runs at half their events under the
    # sanitizers (every code path, every profile, a quarter of CI's time
    # saved); the hardened build above runs them whole.
    export ROSTER_FIDELITY_SCALE=${ROSTER_FIDELITY_SCALE:-0.5}
    ;;
  --tsan)
    shift
    mode=tsan
    dir=build-tsan
    # Only what the threads suite needs is built.
    setup+=(-Db_sanitize=thread -Db_lundef=false -Dexamples=false -Dbench=false)
    env_cc=(CC=clang CXX=clang++)
    targets=(tests/roster-threads)
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    ;;
  --fuzz)
    shift
    mode=fuzz
    dir=build-fuzz
    if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
      fuzz_seconds=$1
      shift
    fi
    # The fuzz targets compile the engine in themselves; the rest is off.
    setup+=(-Dfuzz=true -Dtests=false -Dexamples=false -Dbench=false)
    env_cc=(CC=clang CXX=clang++)
    ;;
  *)
    # Debian's hardening (stack protector, fortify, relro/now, format
    # checks), with debug information kept (the ABI checks read it).
    export DEB_BUILD_MAINT_OPTIONS=hardening=+all
    cppflags="$(dpkg-buildflags --get CPPFLAGS) -D_GLIBCXX_ASSERTIONS"
    env_cc=("CFLAGS=$(dpkg-buildflags --get CFLAGS) $cppflags"
            "CXXFLAGS=$(dpkg-buildflags --get CXXFLAGS) $cppflags"
            "LDFLAGS=$(dpkg-buildflags --get LDFLAGS)")
    ;;
esac

# A build directory configured with other flags is set up again: meson
# reads the compiler flags of the environment only when it creates one.
stamp="$dir/roster-setup.txt"
want="$(printf '%s\n' "${env_cc[@]}" "${setup[@]}")"
if [ -f "$dir/build.ninja" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$dir"
fi
if [ ! -f "$dir/build.ninja" ]; then
  env "${env_cc[@]}" meson setup "$dir" "${setup[@]}" >/dev/null
  printf '%s\n' "$want" >"$stamp"
fi
# Quiet when the build is fine; the whole build log when it is not.
if ! ninja -C "$dir" "${targets[@]}" >"$dir/build.log" 2>&1; then
  cat "$dir/build.log"
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# Counts the results of a meson test log: prints "N passed, N failed[, N
# skipped]" (and names the skipped tests).
summarise() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t["result"]
    key = "passed" if r in ("OK", "EXPECTEDFAIL") else "skipped" if r == "SKIP" else "failed"
    counts[key] += 1
    if key == "skipped":
        print(f"SKIPPED: {t['name']} (its log above says why)")
counts["passed"] += int(sys.argv[2])
counts["failed"] += int(sys.argv[3])
tail = f", {counts['skipped']} skipped" if counts["skipped"] else ""
print(f"{counts['passed']} passed, {counts['failed']} failed{tail}")
PY
}

rc=0
case $mode in
  tsan)
    meson test -C "$dir" --setup=full --no-rebuild --print-errorlogs --suite threads "$@" || rc=$?
    summarise "$dir/meson-logs/testlog-full.json" 0 0
    ;;
  fuzz)
    # (No 'full' setup here: the tests option, which defines it, is off.)
    meson test -C "$dir" --print-errorlogs --suite fuzz "$@" || rc=$?
    # The budget is shared among run.sh's six default targets.
    per_target=$(( (fuzz_seconds + 5) / 6 ))
    fuzz_out="$dir/fuzz-run.txt"
    fuzz_rc=0
    tests/fuzz/run.sh "$per_target" | tee "$fuzz_out" || fuzz_rc=1
    fuzz_line=$(tail -n 1 "$fuzz_out")
    fuzz_failed=$(echo "$fuzz_line" | cut -d' ' -f3 | tr -d ',')
    [ "$fuzz_rc" = 0 ] || rc=1
    summarise "$dir/meson-logs/testlog.json" "$(echo "$fuzz_line" | cut -d' ' -f1)" "$fuzz_failed"
    ;;
  *)
    meson test -C "$dir" --setup=full --print-errorlogs "$@" || rc=$?
    summarise "$dir/meson-logs/testlog-full.json" 0 0
    ;;
esac
exit $rc
