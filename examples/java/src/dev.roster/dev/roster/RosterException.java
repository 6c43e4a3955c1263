package dev.roster;

/**
 * A roster call returned a failing status. It carries the status code of
 * the C API ({@link #status()}, a negative Roster.E* value), its symbolic
 * name ({@link #statusName()}, e.g. "ENOTFOUND"), the library's text
 * ({@link #statusText()}, roster_status_str) and the C function that
 * returned it ({@link #call()}).
 *
 * EFLUSH is the one status that does not mean "nothing changed": the change
 * was made and its frames come at the next flush ({@link Guild#flush()}).
 */
public final class RosterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String call;
    private final long failedIndex;

    RosterException(int status, String call) {
        this(status, call, -1);
    }

    RosterException(int status, String call, long failedIndex) {
        super(call + ": " + Roster.statusString(status) + " (" + Roster.statusName(status) + ", "
                + status + ")" + (failedIndex >= 0 ? " at index " + failedIndex : ""));
        this.status = status;
        this.call = call;
        this.failedIndex = failedIndex;
    }

    /** The raw status code, e.g. -2 (Roster.ENOTFOUND). */
    public int status() {
        return status;
    }

    /** The symbolic name of the status, e.g. "ENOTFOUND" (Roster.statusName). */
    public String statusName() {
        return Roster.statusName(status);
    }

    /** The library's text for the status, e.g. "not found" (roster_status_str). */
    public String statusText() {
        return Roster.statusString(status);
    }

    /** The C function that failed, e.g. "roster_member_set_status". */
    public String call() {
        return call;
    }

    /**
     * {@link Guild#addMembersAt}: the index of the first failing entry, or
     * the batch's size when the error is not about one entry
     * (roster_members_add_at's failed_index). -1 for every other call.
     */
    public long failedIndex() {
        return failedIndex;
    }
}
