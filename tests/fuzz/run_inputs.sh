#!/usr/bin/env bash
# Runs every file in the directories once through a libFuzzer target, as
# plain inputs (no fuzzing, no mutation). Fails on the first input that
# crashes or fails an oracle; the target prints which.
# Usage: run_inputs.sh TARGET DIR...
set -u
if [ $# -lt 2 ]; then
  echo "usage: run_inputs.sh TARGET DIR..." >&2
  exit 2
fi
target=$1
shift
inputs=()
for dir in "$@"; do
  [ -d "$dir" ] || continue
  for f in "$dir"/*; do
    case $(basename "$f") in
      README*|.*) continue ;;
    esac
    [ -f "$f" ] && inputs+=("$f")
  done
done
if [ ${#inputs[@]} -eq 0 ]; then
  echo "no inputs in $*"
  exit 0
fi
echo "running ${#inputs[@]} inputs through $(basename "$target")"
# libFuzzer's own exit codes for a failed input (77) and a timeout (70)
# would read as "skipped" to meson: any failure exits 1.
exec "$target" -timeout=60 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 "${inputs[@]}"
