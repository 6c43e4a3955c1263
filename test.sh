#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (all suites, slow included).
# Usage: ./test.sh [--sanitize] [meson test args...]
#   --sanitize  clang build with ASan+UBSan (build dir build-asan/)
# The last line printed is "N passed, N failed[, N skipped]".
set -euo pipefail
cd "$(dirname "$0")"
.ci/install-deps test

dir=build-test
setup=(--buildtype=debugoptimized -Dwerror=true)
env_cc=()
if [ "${1:-}" = --sanitize ]; then
  shift
  dir=build-asan
  setup+=(-Db_sanitize=address,undefined -Db_lundef=false)
  env_cc=(CC=clang CXX=clang++ CXXFLAGS=-fno-sanitize-recover=all CFLAGS=-fno-sanitize-recover=all)
  export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
if [ ! -f "$dir/build.ninja" ]; then
  env "${env_cc[@]}" meson setup "$dir" "${setup[@]}" >/dev/null
fi
# Quiet when the build is fine; the whole build log when it is not.
if ! ninja -C "$dir" >"$dir/build.log" 2>&1; then
  cat "$dir/build.log"
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
rc=0
meson test -C "$dir" --setup=full --print-errorlogs "$@" || rc=$?
python3 - "$dir/meson-logs/testlog-full.json" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t["result"]
    key = "passed" if r in ("OK", "EXPECTEDFAIL") else "skipped" if r == "SKIP" else "failed"
    counts[key] += 1
    if key == "skipped":
        print(f"SKIPPED: {t['name']} (its log above says why)")
tail = f", {counts['skipped']} skipped" if counts["skipped"] else ""
print(f"{counts['passed']} passed, {counts['failed']} failed{tail}")
PY
exit $rc
