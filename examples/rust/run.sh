#!/usr/bin/env bash
# Builds and runs the Rust binding (README.md) with cargo.
# Usage: examples/rust/run.sh BUILD_ROOT [MODE]   (BUILD_ROOT: a meson build root of roster)
#   (no mode)         builds and runs the host (examples/README.md): only the
#                     canonical frame lines go to stdout, build output to stderr
#   --bench [EVENTS]  the host benchmark (release profile): prints only its
#                     HOSTBENCH line on stdout (EVENTS default 200000)
#   --test            cargo test of the workspace (both crates and the host)
#   --package         cargo package of the workspace, the two publishable
#                     crates included (needs cargo 1.90 or later, which packages
#                     a workspace whose crates depend on each other; skipped
#                     with an older cargo)
#   --lint            rustfmt --check, clippy -D warnings and rustdoc -D warnings
#                     (skipped where rustfmt or clippy is missing)
# Build output and cargo's caches stay in BUILD_ROOT/examples/rust-work/; the
# library is found with pkg-config in BUILD_ROOT/meson-uninstalled and, at run
# time, in BUILD_ROOT/capi. Exits 77 (skip) when the toolchain is missing.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_ROOT [--bench [EVENTS] | --test | --package | --lint]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$1" && pwd)
mode=${2:-host}
events=200000
case $mode in
  host) [ $# -eq 1 ] || usage ;;
  --bench)
    [ $# -le 3 ] || usage
    events=${3:-200000}
    [[ $events =~ ^[0-9]+$ ]] || usage
    ;;
  --test | --package | --lint) [ $# -eq 2 ] || usage ;;
  *) usage ;;
esac
work=$root/examples/rust-work

skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}

# The toolchain: cargo and rustc (1.63 or later), and pkg-config.
for tool in cargo rustc pkg-config; do
  if ! "$tool" --version >/dev/null 2>&1; then
    skip "the Rust binding needs '$tool', which is missing or broken" \
         "(Debian: apt-get install cargo rustc pkg-config)"
  fi
done

mkdir -p "$work"
export CARGO_HOME=$work/cargo-home
export CARGO_TARGET_DIR=$work/target
export PKG_CONFIG_PATH=$root/meson-uninstalled
export LD_LIBRARY_PATH=$root/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
manifest=$src/Cargo.toml

# --locked: use the committed Cargo.lock as it is, so that nothing is written
# into the source tree; --offline: the crates have no dependencies to fetch.
# Run from the work directory, so no .cargo/config of the source tree's
# parents applies.
cd "$work"
case $mode in
  host)
    cargo build --offline --locked --manifest-path "$manifest" \
      -p roster-host-rust --bin roster-host-rust >&2
    exec "$CARGO_TARGET_DIR/debug/roster-host-rust"
    ;;
  --bench)
    cargo build --offline --locked --release --manifest-path "$manifest" \
      -p roster-host-rust --bin roster-host-bench-rust >&2
    exec "$CARGO_TARGET_DIR/release/roster-host-bench-rust" "$events"
    ;;
  --test)
    exec cargo test --offline --locked --manifest-path "$manifest" --workspace
    ;;
  --package)
    # Packaging the crate `roster`, which depends on `roster-sys` by path and
    # version, needs roster-sys in a registry or (cargo 1.90 and later) the
    # workspace packaged together: an older cargo cannot package it offline.
    version=$(cargo --version | sed -n 's/^cargo \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
    read -r major minor <<<"${version:-0 0}"
    if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 90 ]; }; then
      skip "packaging the Rust crates needs cargo 1.90 or later to package a" \
           "workspace whose crates depend on each other; this is" \
           "'$(cargo --version)' (the crates themselves build with Rust 1.63)"
    fi
    # --allow-dirty: the check is for a release from a clean checkout, not
    # for this test. --no-verify: nothing is built (the crates are built and
    # tested by the other modes). The .crate files go to target/package/
    # (the host crate's too: it is packaged, never published).
    rm -f "$CARGO_TARGET_DIR"/package/*.crate
    cargo package --offline --locked --no-verify --allow-dirty --workspace \
      --manifest-path "$manifest" >&2
    for crate in roster-sys roster; do
      file=$CARGO_TARGET_DIR/package/$crate-0.1.0.crate
      [ -s "$file" ] || { echo "run.sh: $file was not made" >&2; exit 1; }
      echo "packaged $file"
    done
    ;;
  --lint)
    cargo fmt --version >/dev/null 2>&1 ||
      skip "rustfmt is missing (rustup component add rustfmt)"
    cargo clippy --version >/dev/null 2>&1 ||
      skip "clippy is missing (rustup component add clippy)"
    cargo fmt --manifest-path "$manifest" --all -- --check
    cargo clippy --offline --locked --manifest-path "$manifest" --workspace \
      --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --offline --locked --no-deps \
      --manifest-path "$manifest" --workspace
    echo "rustfmt, clippy and rustdoc: clean"
    ;;
esac
