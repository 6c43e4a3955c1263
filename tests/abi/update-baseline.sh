#!/usr/bin/env bash
# Usage: tests/abi/update-baseline.sh [BUILD_DIR]   (default build-test)
# Records the ABI of BUILD_DIR's libroster (built with debug info, e.g. by
# ./test.sh) as the new baseline, tests/abi/libroster.abi. Only on a
# deliberate release: see tests/abi/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-test}
. tests/abi/abi_flags.sh
lib=$(readlink -f "$dir/capi/libroster.so")
abidw "${abidw_flags[@]}" --headers-dir include/roster --out-file tests/abi/libroster.abi "$lib"
echo "wrote tests/abi/libroster.abi from $lib"
