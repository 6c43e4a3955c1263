#!/usr/bin/env bash
# Builds the Go host (examples/README.md) against a meson build root of
# roster and runs it: stdout is the canonical output only, build chatter goes
# to stderr. Before that it vets and tests the binding (module
# github.com/roster-engine/roster/examples/go), and checks that the tests
# call every exported function of the package. With --bench it builds and
# runs the host benchmark instead (cmd/bench, the workload of
# examples/c/bench.c; "queue" after EVENTS: the frames through the frame
# queue instead of the callback) and prints only its HOSTBENCH line on
# stdout.
# Exits 77 (skip) when the Go toolchain is missing.
# Usage: run.sh BUILD_ROOT [--bench [EVENTS [queue]]]
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_ROOT [--bench [EVENTS [queue]]]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
build_root=$(cd "$1" && pwd)
shift
mode=host
events=
queue=
if [ $# -gt 0 ]; then
  [ "$1" = --bench ] || usage
  mode=bench
  shift
  if [ $# -gt 0 ]; then
    events=$1
    shift
    [[ $events =~ ^[0-9]+$ ]] || usage
  fi
  if [ $# -gt 0 ]; then
    queue=$1
    shift
    [ "$queue" = queue ] || usage
  fi
  [ $# -eq 0 ] || usage
fi
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$build_root/examples/go-work

# The toolchain: go (cgo), a C compiler for cgo, and pkg-config.
for tool in go "${CC:-gcc}" pkg-config; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: the Go host needs '$tool' (Debian: golang-go, gcc, pkg-config); not found" >&2
    exit 77
  fi
done

export PKG_CONFIG_PATH=$build_root/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
if ! pkg-config --exists roster; then
  echo "run.sh: pkg-config finds no 'roster' in $build_root/meson-uninstalled" >&2
  exit 1
fi

# Everything the build writes stays in the work dir; no network, no
# toolchain download, no go.work or user go env from outside, and the
# go.mod files are read, never rewritten (-mod=readonly: the programs'
# module reaches the binding through its replace directive).
mkdir -p "$work/tmp" "$work/home"
export HOME=$work/home
export GOCACHE=$work/cache GOPATH=$work/gopath GOTMPDIR=$work/tmp
export GOFLAGS=-mod=readonly GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on
export GOWORK=off GOENV=off CGO_ENABLED=1

# Go's build cache does not look at headers outside the module, so a
# change of roster.h would not rebuild the package: key the cache on the
# headers' content through a define the code never reads.
header_hash=$(
  for dir in $(pkg-config --cflags-only-I roster | sed 's/-I//g'); do
    if [ -f "$dir/roster/roster.h" ]; then cat "$dir/roster/roster.h"; fi
  done | sha256sum | cut -c1-16
)
export CGO_CPPFLAGS="${CGO_CPPFLAGS:-} -DROSTER_GO_HEADER_HASH=$header_hash"
export LD_LIBRARY_PATH=$build_root/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

if [ "$mode" = bench ]; then
  echo "run.sh: $(go version), building the benchmark in $work" >&2
  (cd "$src/cmd" && go build -o "$work/roster-host-bench-go" ./bench) >&2
  exec "$work/roster-host-bench-go" ${events:+"$events"} ${queue:+"$queue"}
fi

echo "run.sh: $(go version), building in $work" >&2
(
  # The binding's module: vet, then its tests (-count=1 because the test
  # cache does not see a rebuilt libroster.so), with coverage: every
  # exported function and method must be run by them at least once.
  cd "$src"
  go vet ./...
  go test -count=1 -coverprofile="$work/cover.out" ./...
  uncovered=$(go tool cover -func="$work/cover.out" |
    awk '$1 != "total:" && $2 ~ /^[A-Z]/ && $3 == "0.0%" { print "  " $1 " " $2 }')
  if [ -n "$uncovered" ]; then
    echo "run.sh: exported functions no test calls:" >&2
    echo "$uncovered" >&2
    exit 1
  fi
  # The programs' module (cmd/go.mod), which imports the binding by its
  # module path.
  cd "$src/cmd"
  go vet ./...
  go build -o "$work/roster-host-go" ./host
) >&2

"$work/roster-host-go"
