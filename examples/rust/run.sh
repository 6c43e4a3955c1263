#!/usr/bin/env bash
# Builds the Rust host (examples/README.md) with cargo and runs it. Only the
# canonical frame lines go to stdout; build output goes to stderr.
# Usage: examples/rust/run.sh BUILD_ROOT   (a meson build root of roster)
# Build output and cargo's caches stay in BUILD_ROOT/examples/rust-work/; the
# library is found with pkg-config in BUILD_ROOT/meson-uninstalled and, at run
# time, in BUILD_ROOT/capi. Exits 77 (skip) when the toolchain is missing.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_ROOT" >&2
  exit 2
fi
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$1" && pwd)
work=$root/examples/rust-work

# The toolchain: Debian's cargo and rustc (1.63 or later), and pkg-config.
for tool in cargo rustc pkg-config; do
  if ! "$tool" --version >/dev/null 2>&1; then
    echo "SKIPPED: the Rust host needs '$tool', which is missing or broken" \
         "(Debian: apt-get install cargo rustc pkg-config)" >&2
    exit 77
  fi
done

mkdir -p "$work"
export CARGO_HOME=$work/cargo-home
export CARGO_TARGET_DIR=$work/target
export PKG_CONFIG_PATH=$root/meson-uninstalled

# --locked: use the committed Cargo.lock as it is, so that nothing is written
# into the source tree; --offline: the crate has no dependencies to fetch.
# Run from the work directory, so no .cargo/config of the source tree's
# parents applies.
cd "$work"
cargo build --offline --locked --manifest-path "$src/Cargo.toml" >&2

LD_LIBRARY_PATH=$root/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  exec "$CARGO_TARGET_DIR/debug/roster-host-rust"
