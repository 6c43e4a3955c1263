/* Compiled with -std=c99 -pedantic -Werror: the header must be plain C99.
 * Also checks the library's version and status strings from C. */
#include <roster/roster.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    int failed = 0;
    if (roster_version_number() != ROSTER_VERSION_NUMBER) {
        fprintf(stderr, "header/library version mismatch\n");
        failed = 1;
    }
    if (strcmp(roster_version_string(), ROSTER_VERSION_STRING) != 0) {
        fprintf(stderr, "version string mismatch\n");
        failed = 1;
    }
    if (strcmp(roster_status_str(ROSTER_OK), "ok") != 0 ||
        strcmp(roster_status_str(ROSTER_EBUSY), "busy") != 0 ||
        strcmp(roster_status_str(12345), "unknown status") != 0) {
        fprintf(stderr, "status strings wrong\n");
        failed = 1;
    }
    /* The codes are part of the ABI: they may never change. */
    if (ROSTER_EINVAL != -1 || ROSTER_ENOTFOUND != -2 || ROSTER_EEXIST != -3 ||
        ROSTER_ELIMIT != -4 || ROSTER_ENOMEM != -5 || ROSTER_EBUSY != -6 ||
        ROSTER_ECORRUPT != -7 || ROSTER_EVERSION != -8 || ROSTER_EINTERNAL != -9) {
        fprintf(stderr, "status codes renumbered\n");
        failed = 1;
    }
    return failed;
}
