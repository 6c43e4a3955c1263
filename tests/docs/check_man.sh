#!/bin/sh
# The roster-sim man page (docs/roster-sim.1) formats without a warning
# (groff -ww: all warnings), and names every option that `roster-sim
# --help` lists, so that the two cannot drift apart.
# Usage: check_man.sh ROSTER_SIM MANPAGE        Exit: 0 ok, 1 otherwise.
set -u
sim=$1
page=$2
failed=0
if ! command -v groff >/dev/null 2>&1; then
  echo "groff is not installed (Debian: groff-base)"
  exit 1
fi
warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
if [ -n "$warnings" ]; then
  echo "groff warnings:"
  echo "$warnings"
  failed=1
fi
text=$(groff -man -Tascii -P-cbou "$page" 2>/dev/null)
options=$("$sim" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$options" ] || { echo "roster-sim --help lists no options"; exit 1; }
for o in $options; do
  if ! printf '%s\n' "$text" | grep -q -- "$o"; then
    echo "the man page does not mention $o"
    failed=1
  fi
done
[ "$failed" -eq 0 ] && echo "man page ok: $(echo "$options" | wc -l) options, no groff warnings"
exit $failed
