package dev.roster;

/**
 * roster_role: a role's id (not 0, not a reserved group id), its position
 * (higher is shown first) and its flags (HOIST | VIEW | ADMIN).
 */
public record Role(long id, int position, int flags) {
    /** ROSTER_ROLE_HOIST: members are shown in the role's own section. */
    public static final int HOIST = 1;
    /** ROSTER_ROLE_VIEW: the role grants VIEW at guild level. */
    public static final int VIEW = 2;
    /** ROSTER_ROLE_ADMIN: holders see everything. */
    public static final int ADMIN = 4;
}
