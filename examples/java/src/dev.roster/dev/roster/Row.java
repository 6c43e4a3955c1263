package dev.roster;

/**
 * roster_row: one row of a list, a header (count = members in its group,
 * user = 0) or a member (count = 0, user = its user id); group is a role
 * id or Roster.GROUP_*.
 */
public record Row(int kind, int count, long group, long user) {
    /** ROSTER_ROW_HEADER. */
    public static final int HEADER = 0;
    /** ROSTER_ROW_MEMBER. */
    public static final int MEMBER = 1;

    /** Whether this is a group's header row. */
    public boolean isHeader() {
        return kind == HEADER;
    }
}
