#!/bin/sh
# sim_list_id: roster-sim list-id prints the list ids worked out by hand
# (docs/discord.md §2) and refuses bad input with exit status 1.
# usage: list_id_smoke.sh ROSTER_SIM
set -u
sim=$1
failed=0
check() { # JSON EXPECTED
    got=$(printf '%s' "$1" | "$sim" list-id 2>&1)
    if [ "$got" != "$2" ]; then
        echo "list-id $1: got '$got', want '$2'"
        failed=1
    fi
}
check '{"everyone_view":true,"overwrites":[{"id":"123","allow_view":true},{"id":"456","allow_view":false}]}' 2371338780
check '{"everyone_view":true,"overwrites":[{"id":"456","allow_view":false},{"id":"123","allow_view":true}]}' 2371338780
check '{"everyone_view":true,"overwrites":[{"id":"123","allow_view":true}]}' everyone
check '{"everyone_view":true,"overwrites":[]}' everyone
check '{"everyone_view":false,"overwrites":[]}' 0
check '{"everyone_view":false,"overwrites":[{"id":"123","allow_view":true}]}' 3352883465
check '{"everyone_view":true,"overwrites":[{"id":"456","allow_view":false}]}' 3460824376
for bad in '' '{' '[]' '{"overwrites":[]}' '{"everyone_view":1,"overwrites":[]}' \
    '{"everyone_view":true,"overwrites":[{"id":"x","allow_view":true}]}' \
    '{"everyone_view":true,"overwrites":[{"id":"0","allow_view":true}]}' \
    '{"everyone_view":true,"overwrites":[{"id":"5"}]}' \
    '{"everyone_view":true,"overwrites":[{"id":"5","allow_view":true},{"id":"5","allow_view":false}]}'; do
    printf '%s' "$bad" | "$sim" list-id >/dev/null 2>&1
    rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "list-id '$bad': exit $rc, want 1"
        failed=1
    fi
done
"$sim" list-id extra </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || { echo "list-id with an argument: want exit 2"; failed=1; }
[ "$failed" -eq 0 ] && echo "sim_list_id: ok"
exit $failed
