package dev.roster;

/**
 * roster_group: a section of a list, named by a hoisted role's id or
 * Roster.GROUP_ONLINE / GROUP_OFFLINE, and its number of members
 * (unsigned 32-bit).
 */
public record Group(long id, int count) {}
