/*
 * roster: member-list engine for chat guilds, with viewport diffs.
 *
 * This header is the whole contract: the only ABI of the library. It is C99
 * and also compiles as C++.
 *
 * Conventions
 *  - Every call that can fail returns an int status: ROSTER_OK (0) or one of
 *    the negative ROSTER_E* codes below. The codes are fixed forever: new
 *    ones may be added, none is ever renumbered or reused.
 *  - Out-parameters come first, user_data pointers last.
 *  - On any error, the object the call was given is unchanged.
 *
 * Thread-safety: the functions in this section are pure and may be called
 * from any thread at any time.
 */
#ifndef ROSTER_ROSTER_H
#define ROSTER_ROSTER_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ROSTER_BUILDING) && defined(__GNUC__)
#define ROSTER_API __attribute__((visibility("default")))
#else
#define ROSTER_API
#endif

/* ---- Version ----------------------------------------------------------- */

#define ROSTER_VERSION_MAJOR 0
#define ROSTER_VERSION_MINOR 1
#define ROSTER_VERSION_PATCH 0
/* major * 10000 + minor * 100 + patch */
#define ROSTER_VERSION_NUMBER \
    (ROSTER_VERSION_MAJOR * 10000 + ROSTER_VERSION_MINOR * 100 + ROSTER_VERSION_PATCH)
#define ROSTER_VERSION_STRING "0.1.0"

/* The version of the library actually linked (compare with the macro to
 * detect a header/library mismatch). */
ROSTER_API unsigned roster_version_number(void);
/* Static string, e.g. "0.1.0". Never NULL; do not free. */
ROSTER_API const char *roster_version_string(void);

/* ---- Status codes -------------------------------------------------------- */

typedef enum roster_status {
    ROSTER_OK = 0,
    ROSTER_EINVAL = -1,    /* invalid argument (null pointer, bad UTF-8, id 0, ...) */
    ROSTER_ENOTFOUND = -2, /* unknown id */
    ROSTER_EEXIST = -3,    /* already exists */
    ROSTER_ELIMIT = -4,    /* a configured limit would be exceeded */
    ROSTER_ENOMEM = -5,    /* out of memory */
    ROSTER_EBUSY = -6,     /* called from inside this guild's own frame callback */
    ROSTER_ECORRUPT = -7,  /* damaged or truncated snapshot */
    ROSTER_EVERSION = -8,  /* snapshot of an incompatible format version */
    ROSTER_EINTERNAL = -9  /* a bug in roster; the guild is unchanged */
} roster_status;

/* Static, lower-case name of a status ("ok", "invalid argument", ...), or
 * "unknown status" for a value that is not a roster_status. Never NULL. */
ROSTER_API const char *roster_status_str(int status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ROSTER_ROSTER_H */
