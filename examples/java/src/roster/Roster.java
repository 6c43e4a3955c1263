package roster;

/** Library-wide facts: version, status names and the reserved group ids. */
public final class Roster {
    private Roster() {}

    /** The header version these bindings mirror (ROSTER_VERSION_NUMBER of roster.h 0.1.0). */
    public static final int BINDING_VERSION = 100;

    /** ROSTER_GROUP_ONLINE: the group of online members without a hoisted role. */
    public static final long GROUP_ONLINE = 0xFFFF_FFFF_FFFF_FFFEL;
    /** ROSTER_GROUP_OFFLINE: the group of offline members. */
    public static final long GROUP_OFFLINE = 0xFFFF_FFFF_FFFF_FFFFL;

    /** Status codes (roster_status); they are fixed forever. */
    public static final int OK = 0;
    public static final int EINVAL = -1;
    public static final int ENOTFOUND = -2;
    public static final int EEXIST = -3;
    public static final int ELIMIT = -4;
    public static final int ENOMEM = -5;
    public static final int EBUSY = -6;
    public static final int ECORRUPT = -7;
    public static final int EVERSION = -8;
    public static final int EINTERNAL = -9;
    /** The change was made; its frames come at the next flush (see roster.h). */
    public static final int EFLUSH = -10;
    /** A snapshot's write (or read) callback failed. */
    public static final int EIO = -11;

    /**
     * ROSTER_SAVE_SESSIONS, a flag of {@link Guild#save(int)}: also write the
     * sessions and what their clients hold, so that they go on receiving
     * incremental ops from the loaded guild.
     */
    public static final int SAVE_SESSIONS = 1;

    /** The version of the library actually loaded, major * 10000 + minor * 100 + patch. */
    public static int versionNumber() {
        return CApi.LIB.roster_version_number();
    }

    /** The version of the library actually loaded, e.g. "0.1.0". */
    public static String versionString() {
        return CApi.LIB.roster_version_string();
    }

    /** The library's lower-case name of a status ("ok", "not found", ...). */
    public static String statusString(int status) {
        return CApi.LIB.roster_status_str(status);
    }
}
