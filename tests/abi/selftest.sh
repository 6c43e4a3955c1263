#!/usr/bin/env bash
# Usage: selftest.sh LIBRARY HEADERS_DIR BASELINE
# Proves check_abi.sh can fail: it must reject baselines mutated to differ
# from the library incompatibly (a function the library no longer has; a
# struct whose layout changed, a field inserted into a size-prefixed struct
# before its end), and accept ones the library only adds to (a function, a
# field appended to a size-prefixed struct).
set -uo pipefail
lib=$1
headers=$2
baseline=$3
here=$(dirname "$0")
command -v abidiff >/dev/null || { echo "SKIPPED: abidiff not found" >&2; exit 77; }
readelf -S "$lib" | grep -c '\.debug_info' >/dev/null || { echo "SKIPPED: no debug info" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$baseline" "$tmp" <<'PY'
import re, sys
base, out = sys.argv[1], sys.argv[2]
s = open(base).read()
# 1. the baseline has a function the library lacks (a removal)
open(out + "/removed.abi", "w").write(s.replace("'roster_member_touch'", "'roster_member_touch_v0'"))
# 2. struct roster_range had another layout (a layout change)
i = s.index("<class-decl name='roster_range'")
j = s.index("</class-decl>", i)
seg = s[i:j].replace("size-in-bits='64'", "size-in-bits='96'").replace(
    "layout-offset-in-bits='32'", "layout-offset-in-bits='64'")
assert seg != s[i:j]
open(out + "/layout.abi", "w").write(s[:i] + seg + s[j:])
# 3. the baseline lacks a function the library has (an addition)
a = re.sub(r"\s*<elf-symbol name='roster_guild_session_count'[^>]*/>", "", s)
a = re.sub(r"\s*<function-decl name='roster_guild_session_count'.*?</function-decl>", "", a,
           flags=re.S)
assert a != s
open(out + "/added.abi", "w").write(a)
# 4. and 5. roster_config (size-prefixed) as an older header had it: without
# its last field (the library appends one: accepted), or without a field in
# its middle (the library inserts one there: rejected).
i = s.index("<class-decl name='roster_config'")
j = s.index("</class-decl>", i)
seg = s[i:j]
members = list(re.finditer(r"\s*<data-member .*?</data-member>", seg, flags=re.S))
last = members[-1]
open(out + "/grown.abi", "w").write(s[:i] + seg[:last.start()] + seg[last.end():] + s[j:])
mid = next(m for m in members if "name='max_roles'" in m.group(0))
open(out + "/inserted.abi", "w").write(s[:i] + seg[:mid.start()] + seg[mid.end():] + s[j:])
PY
fail=0
expect() {
  local want=$1 name=$2
  "$here/check_abi.sh" "$lib" "$headers" "$tmp/$name.abi" >"$tmp/$name.log" 2>&1
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "selftest: $name: check_abi.sh exited $rc, expected $want"
    cat "$tmp/$name.log"
    fail=1
  else
    echo "selftest: $name: exit $rc as expected"
  fi
}
expect 1 removed
expect 1 layout
expect 0 added
expect 0 grown
expect 1 inserted
exit $fail
