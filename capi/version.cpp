// Version and status strings: the part of the C API that needs no guild.
#include "roster/roster.h"

extern "C" {

unsigned roster_version_number(void) { return ROSTER_VERSION_NUMBER; }

const char *roster_version_string(void) { return ROSTER_VERSION_STRING; }

const char *roster_status_str(int status) {
    switch (status) {
        case ROSTER_OK: return "ok";
        case ROSTER_EINVAL: return "invalid argument";
        case ROSTER_ENOTFOUND: return "not found";
        case ROSTER_EEXIST: return "already exists";
        case ROSTER_ELIMIT: return "limit exceeded";
        case ROSTER_ENOMEM: return "out of memory";
        case ROSTER_EBUSY: return "busy";
        case ROSTER_ECORRUPT: return "corrupt";
        case ROSTER_EVERSION: return "incompatible version";
        case ROSTER_EINTERNAL: return "internal error";
        case ROSTER_EFLUSH: return "flush failed";
        case ROSTER_EIO: return "callback failed";
        case ROSTER_EACCESS: return "access denied";
        default: return "unknown status";
    }
}

}  // extern "C"
