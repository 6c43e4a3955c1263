# Flags shared by check_abi.sh and update-baseline.sh (sourced): the ABI is
# what roster.h declares, so only exported interfaces and the types the
# public headers define are recorded.
abidw_flags=(--drop-private-types --exported-interfaces-only --no-corpus-path
             --no-comp-dir-path --short-locs --type-id-style hash)
abidiff_flags=(--drop-private-types --exported-interfaces-only --fail-no-debug-info)
