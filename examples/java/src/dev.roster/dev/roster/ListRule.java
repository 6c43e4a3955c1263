package dev.roster;

import java.util.List;

/**
 * roster_list_rule: who sees a list. The @everyone setting, then role
 * overwrites and member overwrites (a role or member may be named once).
 */
public record ListRule(Access everyone, List<Overwrite> roles, List<Overwrite> members) {
    /** ROSTER_OVERWRITE_*: the @everyone setting of a list. */
    public enum Access {
        NONE(0),
        ALLOW(1),
        DENY(2);

        private final int code;

        Access(int code) {
            this.code = code;
        }

        /** The C value. */
        public int code() {
            return code;
        }
    }

    /** roster_overwrite: a role id or user id, and whether it allows or denies VIEW. */
    public record Overwrite(long id, boolean allow) {}

    public ListRule {
        if (everyone == null) {
            throw new NullPointerException("everyone");
        }
        roles = List.copyOf(roles);
        members = List.copyOf(members);
    }

    /** A rule with only the @everyone setting (ROSTER_LIST_RULE_INIT is NONE). */
    public static ListRule of(Access everyone) {
        return new ListRule(everyone, List.of(), List.of());
    }
}
