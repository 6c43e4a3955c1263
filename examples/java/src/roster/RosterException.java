package roster;

/**
 * A roster call returned a failing status. The status is the C API's code
 * (a negative Roster.E* value); the text is the library's roster_status_str.
 */
public final class RosterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String statusText;

    RosterException(int status, String call) {
        this(status, call, Roster.statusString(status));
    }

    private RosterException(int status, String call, String statusText) {
        super(call + ": " + statusText + " (" + status + ")");
        this.status = status;
        this.statusText = statusText;
    }

    /** The raw status code, e.g. -2 (Roster.ENOTFOUND). */
    public int status() {
        return status;
    }

    /** The library's name for the status, e.g. "not found". */
    public String statusText() {
        return statusText;
    }
}
