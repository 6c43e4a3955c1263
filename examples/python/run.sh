#!/usr/bin/env bash
# Runs the Python host (examples/README.md) against a roster build, or the
# binding's other checks (README.md, "Tests").
# Usage: run.sh BUILD_ROOT [--bench [EVENTS] | --test | --package]
#   (none)     the host scenario (host.py) with the package from src/;
#              stdout: the canonical frame lines only
#   --bench    the host benchmark (bench.py, the workload of
#              examples/c/bench.c); stdout: its HOSTBENCH line only
#   --test     the unit tests (tests/), which must call every public
#              function of the package
#   --package  installs the package into a fresh venv (pip --no-index
#              --no-build-isolation, from a copy of this folder) and runs the
#              host scenario with that venv's python; stdout: the frame lines
# BUILD_ROOT is a meson build root of roster (e.g. build/). There is nothing
# to compile: the package loads BUILD_ROOT/capi/libroster.so with ctypes.
# Nothing is written into the source tree (no __pycache__, no build/ or
# egg-info): the work directory BUILD_ROOT/examples/python-work/ is the only
# place output goes.
# Exit 77 (skip) when no usable Python 3 is found, and in --package mode
# when venv, pip or setuptools are missing.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_ROOT [--bench [EVENTS] | --test | --package]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
build_root=$(cd "$1" && pwd)
shift
mode=host
events=
case "${1:-}" in
  "") ;;
  --bench)
    mode=bench
    shift
    if [ $# -gt 0 ]; then
      events=$1
      shift
      [[ $events =~ ^[1-9][0-9]*$ ]] || usage
    fi
    ;;
  --test | --package)
    mode=${1#--}
    shift
    ;;
  *) usage ;;
esac
[ $# -eq 0 ] || usage
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
cd "$work"

# --package: a fresh venv with the package installed from a copy of this
# folder (pip builds in the tree it is given: build/, *.egg-info), then the
# host scenario from that venv, importing the installed package. Building
# offline with --no-build-isolation needs setuptools and, below setuptools
# 70.1, wheel: the venv is made with --system-site-packages from the first
# interpreter that has them ($python, then Debian's /usr/bin/python3, with
# python3-setuptools and python3-wheel; pyenv's Python has no wheel), and
# without a pip of its own when that interpreter has one (Debian's
# python3-pip), which installs into the venv all the same.
if [ "$mode" = package ]; then
  venv="$work/venv"
  copy="$work/package-src"
  : >"$work/venv.log"
  can_build='
import importlib.util, sys
import setuptools
version = tuple(int(x) for x in setuptools.__version__.split(".")[:2])
sys.exit(0 if version >= (70, 1) or importlib.util.find_spec("wheel") else 1)
'
  made=
  for py in "$python" /usr/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    "$py" -c "$can_build" >>"$work/venv.log" 2>&1 || continue
    flags=(--system-site-packages)
    if "$py" -c 'import pip' >/dev/null 2>&1; then
      flags+=(--without-pip)
    fi
    rm -rf "$venv"
    "$py" -m venv "${flags[@]}" "$venv" >>"$work/venv.log" 2>&1 || continue
    "$venv/bin/python" -m pip --version >>"$work/venv.log" 2>&1 || continue
    "$venv/bin/python" -c "$can_build" >>"$work/venv.log" 2>&1 || continue
    made="$py -m venv ${flags[*]}"
    break
  done
  if [ -z "$made" ]; then
    rm -rf "$venv"
    echo "SKIPPED: no venv with pip, setuptools and wheel could be made (Debian: install python3-venv, python3-pip, python3-setuptools and python3-wheel; see $work/venv.log)" >&2
    exit 77
  fi
  rm -rf "$copy"
  mkdir -p "$copy"
  cp -R "$here/pyproject.toml" "$here/README.md" "$here/src" "$copy/"
  echo "run.sh: $made $venv; pip install --no-index --no-build-isolation $copy" >&2
  "$venv/bin/python" -m pip install --no-index --no-build-isolation --no-cache-dir \
    --disable-pip-version-check --quiet "$copy" >&2
  # The host must import the installed package, not a copy on the path.
  "$venv/bin/python" -B -c '
import sys, roster
assert roster.__file__.startswith(sys.prefix), roster.__file__
print(f"run.sh: installed roster {roster.__version__} at {roster.__file__}", file=sys.stderr)
'
  exec "$venv/bin/python" -B -W error "$here/host.py"
fi

export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}"
case "$mode" in
  # -W error: any warning (deprecation, resource, ...) fails the run.
  host) exec "$python" -B -W error "$here/host.py" ;;
  bench) exec "$python" -B -W error "$here/bench.py" $events ;;
  test) exec "$python" -B -W error "$here/tests/run_tests.py" ;;
esac
