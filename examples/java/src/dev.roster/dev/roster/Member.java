package dev.roster;

import java.util.Arrays;

/**
 * roster_member_get: a member's data, copied out of the guild.
 *
 * @param id     the user id
 * @param name   its display name
 * @param status its presence
 * @param group  the group it is shown in: a role id or Roster.GROUP_*
 * @param roles  its role ids, ascending (a copy: the record never shares it)
 */
public record Member(long id, String name, Presence status, long group, long[] roles) {
    public Member {
        roles = roles.clone();
    }

    /** The role ids, ascending (a copy). */
    @Override
    public long[] roles() {
        return roles.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Member m && m.id == id && m.name.equals(name) && m.status == status
                && m.group == group && Arrays.equals(m.roles, roles);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id) * 31 + Arrays.hashCode(roles);
    }

    @Override
    public String toString() {
        return "Member[id=" + Long.toUnsignedString(id) + ", name=" + name + ", status=" + status
                + ", group=" + Long.toUnsignedString(group) + ", roles=" + Arrays.toString(roles) + "]";
    }
}
