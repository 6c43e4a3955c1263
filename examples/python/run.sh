#!/usr/bin/env bash
# Runs the Python host (examples/README.md) against a roster build.
# Usage: run.sh BUILD_ROOT   (a meson build root of roster, e.g. build/)
# Prints only the canonical frame lines on stdout. There is nothing to
# compile: the host loads BUILD_ROOT/capi/libroster.so with ctypes. Nothing is
# written into the source tree (no __pycache__); the work directory
# BUILD_ROOT/examples/python-work/ is the only place output may go.
# Exit 77 (skip) when no usable Python 3 is found.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_ROOT" >&2
  exit 2
fi
build_root=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work="$build_root/examples/python-work"

# The interpreter: $PYTHON if set, else python3 from PATH (Debian 12's
# /usr/bin/python3 is enough). It needs ctypes and Python >= 3.8.
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "SKIPPED: $python not found (install python3)" >&2
  exit 77
fi
if ! "$python" -c 'import sys, ctypes, dataclasses; sys.exit(sys.version_info < (3, 8))' \
    >/dev/null 2>&1; then
  echo "SKIPPED: $python is not a usable Python >= 3.8 with ctypes ($("$python" --version 2>&1 || true))" >&2
  exit 77
fi

# The uninstalled library of this build root, passed explicitly: pkg-config's
# libdir points at the install location, not at the build tree.
lib="$build_root/capi/libroster.so"
if [ ! -e "$lib" ]; then
  echo "run.sh: $lib not found: build roster first (ninja -C $build_root)" >&2
  exit 1
fi

mkdir -p "$work"
echo "run.sh: $("$python" --version 2>&1) ($(command -v "$python")), library $lib" >&2
export ROSTER_LIBRARY="$lib"
export LD_LIBRARY_PATH="$build_root/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Never write bytecode into the source tree; should anything still be cached,
# it goes to the work directory.
export PYTHONDONTWRITEBYTECODE=1
export PYTHONPYCACHEPREFIX="$work/pycache"
# -W error: any warning (deprecation, resource, ...) fails the run.
cd "$work"
exec "$python" -B -W error "$here/host.py"
