#!/bin/sh
# bench_pages_smoke: the machine probe on its smallest sizes.
#  - one PAGES line for the 16 MiB region, with every field a number;
#  - the chain at 10k and 100k members (3 levels, 2 lines a level after the
#    first): two CHAIN lines with those sizes, each event's time at least
#    the work's minus a rounding, and a CHAIN_GROWTH line whose delta and
#    growth agree with them and with --base-ns;
#  - --levels 2 names 2 levels; --levels 4 and --width 9 are refused.
# usage: pages_smoke.sh ROSTER_BENCH
set -eu
bench=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
fail() { echo "bench_pages_smoke: $*" >&2; cat "$out" >&2; exit 1; }

"$bench" pages --max-mib 16 --steps 20000 --rounds 1 --chain-members 10000 --width 2 --base-ns 400 \
    >"$out" || fail "pages failed"
cat "$out"
awk '
function bad(what) { print "bench_pages_smoke: " what > "/dev/stderr"; failed = 1; exit 1 }
function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?$/ }
function field(k,   i, kv) {
    for (i = 2; i <= NF; ++i) { split($i, kv, "="); if (kv[1] == k) { if (!num(kv[2])) bad($1 " " k "=" kv[2]); return kv[2] + 0 } }
    bad($1 " has no " k)
}
$1 == "PAGES" {
    ++pages
    if (field("mib") != 16) bad("PAGES for " field("mib") " MiB")
    field("huge_kib"); field("work_ns"); field("read_ns"); field("prefetch_ns"); field("miss_ns"); field("exposed_ns")
}
$1 == "CHAIN" {
    ++chains
    want = chains == 1 ? 10000 : 100000
    if (field("members") != want) bad("CHAIN " chains " for " field("members") " members, expected " want)
    if (field("levels") != 3) bad("CHAIN levels=" field("levels"))
    x = field("exposed_ns"); e = field("ns_per_event"); w = field("work_ns")
    if (e <= 0 || w <= 0) bad("CHAIN times not positive")
    if (x - (e - w) > 0.11 || (e - w) - x > 0.11) bad("CHAIN exposed_ns " x " is not " e " - " w)
    exposed[chains] = x
}
$1 == "CHAIN_GROWTH" {
    ++growths
    if (field("levels") != 3 || field("base_ns") != 400) bad("CHAIN_GROWTH levels/base_ns")
    d = field("delta_ns"); g = field("growth")
    if (d - (exposed[2] - exposed[1]) > 0.25 || (exposed[2] - exposed[1]) - d > 0.25)
        bad("delta_ns " d " is not " exposed[2] " - " exposed[1])
    if (g - (400 + d) / 400 > 0.006 || (400 + d) / 400 - g > 0.006) bad("growth " g " for delta " d)
}
END {
    if (failed) exit 1
    if (pages != 1) bad(pages + 0 " PAGES lines")
    if (chains != 2) bad(chains + 0 " CHAIN lines")
    if (growths != 1) bad(growths + 0 " CHAIN_GROWTH lines")
}' "$out" || fail "unexpected output"

"$bench" pages --max-mib 16 --steps 5000 --rounds 1 --chain-members 1000 --levels 2 >"$out" ||
    fail "pages --levels 2 failed"
grep -q '^CHAIN members=1000 levels=2 ' "$out" || fail "--levels 2: no 2-level CHAIN line"
grep -q '^CHAIN_GROWTH levels=2 ' "$out" || fail "--levels 2: no CHAIN_GROWTH line"
"$bench" pages --max-mib 16 --steps 5000 --rounds 1 --chain-members 0 >"$out" || fail "--chain-members 0 failed"
if grep -q '^CHAIN' "$out"; then fail "--chain-members 0 still ran the chain"; fi
for bad in "--levels 4" "--width 9"; do
    # shellcheck disable=SC2086
    if "$bench" pages $bad >"$out" 2>&1; then fail "$bad was accepted"; fi
done
echo "bench_pages_smoke: ok"
