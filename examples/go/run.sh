#!/usr/bin/env bash
# Builds the Go host (examples/README.md) against a meson build root of
# roster and runs it: stdout is the canonical output only, build chatter goes
# to stderr. Exits 77 (skip) when the Go toolchain is missing.
# Usage: run.sh BUILD_ROOT
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_ROOT" >&2
  exit 2
fi
build_root=$(cd "$1" && pwd)
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
# toolchain download, no go.work or user go env from outside.
mkdir -p "$work/tmp" "$work/home"
export HOME=$work/home
export GOCACHE=$work/cache GOPATH=$work/gopath GOTMPDIR=$work/tmp
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on
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

echo "run.sh: $(go version), building in $work" >&2
export LD_LIBRARY_PATH=$build_root/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The wrapper's own checks first (errors, EBUSY, copies, panics); -count=1
# because the test cache does not see a rebuilt libroster.so.
(
  cd "$src"
  go vet ./...
  go test -count=1 ./...
  go build -o "$work/roster-host-go" ./cmd/host
) >&2

"$work/roster-host-go"
