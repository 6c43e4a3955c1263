package roster;

/** roster_presence: a member's status. A host sends OFFLINE for "invisible". */
public enum Presence {
    OFFLINE(0),
    ONLINE(1),
    IDLE(2),
    DND(3);

    private final int code;

    Presence(int code) {
        this.code = code;
    }

    /** The C value. */
    public int code() {
        return code;
    }
}
