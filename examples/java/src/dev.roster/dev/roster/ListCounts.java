package dev.roster;

/**
 * roster_list_counts: the members visible in a list (shown or not) and
 * those of them not offline (unsigned 32-bit).
 */
public record ListCounts(int memberCount, int onlineCount) {}
