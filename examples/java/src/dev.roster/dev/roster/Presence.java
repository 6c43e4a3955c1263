package dev.roster;

/** roster_presence: a member's status. A host sends OFFLINE for "invisible". */
public enum Presence {
    OFFLINE(0),
    ONLINE(1),
    IDLE(2),
    DND(3);

    private static final Presence[] BY_CODE = values();

    private final int code;

    Presence(int code) {
        this.code = code;
    }

    /** The C value. */
    public int code() {
        return code;
    }

    /** The presence of a C value (0..3). */
    public static Presence of(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("not a roster_presence: " + code);
        }
        return BY_CODE[code];
    }
}
