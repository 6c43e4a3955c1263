package dev.roster;

import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * roster_stats: a guild's counters and sizes, for monitoring
 * ({@link Guild#stats()}). The counters count from the guild's creation; a
 * loaded guild's start at 0. Unsigned values, as in the header: the 32-bit
 * ones in an int, the 64-bit ones in a long (print them with
 * Integer.toUnsignedString / Long.toUnsignedString).
 *
 * @param members       members in the guild
 * @param lists         lists, list 0 included
 * @param sessions      as {@link Guild#sessionCount()}
 * @param subscriptions distinct subscriptions (each gets one frame per flush)
 * @param chunksHeld    chunks some session holds, over all lists
 * @param memoryBytes   bytes the guild holds, by its own accounting (not the RSS)
 * @param flushes       flushes run
 * @param frames        frames delivered: calls of the frame listener
 * @param deliveries    frames times the sessions each was for
 * @param ops           ops in the delivered frames (once per frame)
 * @param rows          rows (items) in the delivered frames (once per frame)
 * @param lastFlush     the last flush's duration, the listener's time included
 * @param maxFlush      the longest flush
 */
public record Stats(int members, int lists, int sessions, long subscriptions, long chunksHeld,
                    long memoryBytes, long flushes, long frames, long deliveries, long ops,
                    long rows, Duration lastFlush, Duration maxFlush) {

    /** Reads the C struct at offset 0 of b. */
    static Stats read(ByteBuffer b) {
        return new Stats(b.getInt(Layout.STATS_MEMBERS), b.getInt(Layout.STATS_LISTS),
                b.getInt(Layout.STATS_SESSIONS), b.getLong(Layout.STATS_SUBSCRIPTIONS),
                b.getLong(Layout.STATS_CHUNKS_HELD), b.getLong(Layout.STATS_MEMORY_BYTES),
                b.getLong(Layout.STATS_FLUSHES), b.getLong(Layout.STATS_FRAMES),
                b.getLong(Layout.STATS_DELIVERIES), b.getLong(Layout.STATS_OPS),
                b.getLong(Layout.STATS_ROWS), Duration.ofNanos(b.getLong(Layout.STATS_LAST_FLUSH_NS)),
                Duration.ofNanos(b.getLong(Layout.STATS_MAX_FLUSH_NS)));
    }
}
