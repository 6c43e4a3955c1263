package dev.roster;

/**
 * roster_range: rows start..end, both inclusive (unsigned 32-bit; the
 * library swaps reversed ends and widens the range to whole chunks).
 */
public record Range(int start, int end) {}
