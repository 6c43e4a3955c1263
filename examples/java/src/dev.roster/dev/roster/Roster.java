package dev.roster;

import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;

/** Library-wide facts: version, status codes and names, reserved group ids. */
public final class Roster {
    private Roster() {}

    /** The header version this binding mirrors (ROSTER_VERSION_NUMBER of roster.h 0.1.0). */
    public static final int BINDING_VERSION = 100;

    /** ROSTER_GROUP_ONLINE: the group of online members without a hoisted role. */
    public static final long GROUP_ONLINE = 0xFFFF_FFFF_FFFF_FFFEL;
    /** ROSTER_GROUP_OFFLINE: the group of offline members. */
    public static final long GROUP_OFFLINE = 0xFFFF_FFFF_FFFF_FFFFL;

    /** Status codes (roster_status); they are fixed forever. */
    public static final int OK = 0;
    /** Invalid argument (id 0, bad UTF-8, unknown flag, ...). */
    public static final int EINVAL = -1;
    /** Unknown id. */
    public static final int ENOTFOUND = -2;
    /** Already exists. */
    public static final int EEXIST = -3;
    /** A configured limit would be exceeded. */
    public static final int ELIMIT = -4;
    /** Out of memory. */
    public static final int ENOMEM = -5;
    /** Called from inside this guild's own frame listener (or a save stream). */
    public static final int EBUSY = -6;
    /** Damaged or truncated snapshot. */
    public static final int ECORRUPT = -7;
    /** Snapshot of an incompatible format version. */
    public static final int EVERSION = -8;
    /** A bug in roster; the guild is unchanged. */
    public static final int EINTERNAL = -9;
    /** The change was made, but its frames were not all delivered (see roster.h). */
    public static final int EFLUSH = -10;
    /** A snapshot's stream failed. */
    public static final int EIO = -11;

    /**
     * ROSTER_SAVE_SESSIONS, a flag of {@link Guild#save(int)}: also write the
     * sessions and what their clients hold, so that they go on receiving
     * incremental ops from the loaded guild.
     */
    public static final int SAVE_SESSIONS = 1;

    private static final String[] NAMES = {"OK", "EINVAL", "ENOTFOUND", "EEXIST", "ELIMIT",
        "ENOMEM", "EBUSY", "ECORRUPT", "EVERSION", "EINTERNAL", "EFLUSH", "EIO"};

    /** The version of the library actually loaded (roster_version_number): major * 10000 + minor * 100 + patch. */
    public static int versionNumber() {
        return CApi.roster_version_number();
    }

    /** The version of the library actually loaded (roster_version_string), e.g. "0.1.0". */
    public static String versionString() {
        return cString(CApi.roster_version_string());
    }

    /** The library's lower-case text of a status (roster_status_str): "ok", "not found", ... */
    public static String statusString(int status) {
        return cString(CApi.roster_status_str(status));
    }

    /**
     * The symbolic name of a status, as in roster.h without its ROSTER_
     * prefix ("OK", "ENOTFOUND", ...), or "UNKNOWN(n)" for a code this
     * binding does not know (from a newer library).
     */
    public static String statusName(int status) {
        return status <= 0 && status > -NAMES.length ? NAMES[-status] : "UNKNOWN(" + status + ")";
    }

    /** A static C string of the library (never NULL). */
    private static String cString(Pointer p) {
        return p.getString(0, StandardCharsets.UTF_8.name());
    }
}
