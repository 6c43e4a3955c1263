package dev.roster;

import java.nio.ByteBuffer;

/**
 * The settings of a new guild (roster_config). A new GuildConfig holds the
 * defaults of ROSTER_CONFIG_INIT; the setters change one field each and
 * return this, so calls chain:
 * {@code new GuildConfig().chunkSize(10).maxRangeSpan(30)}.
 * All values are unsigned 32-bit, as in the header; the library checks
 * them (EINVAL for a zero limit or one above its ROSTER_MAX_* bound).
 *
 * The allocator hooks of roster_config (roster_allocator, since 0.2) are
 * not exposed: a C allocator written in Java would run a JNA callback for
 * every allocation of the engine, which is neither fast nor safe during a
 * garbage collection. A guild made or loaded through this binding uses the
 * C and C++ runtimes' allocator; {@link Guild#stats()} reports what it
 * holds.
 */
public final class GuildConfig {
    private int offlineThreshold = 1000;
    private int everyoneView = 1;
    private int maxMembers = 67_108_864;
    private int maxRoles = 1000;
    private int maxRolesPerMember = 256;
    private int maxLists = 256;
    private int maxOverwrites = 1000;
    private int maxSortKeyBytes = 256;
    private int chunkSize = 100;
    private int maxRanges = 3;
    private int maxRangeSpan = 300;
    private int maxSessionLists = 5;
    private int maxSessions = 1_048_576;
    private int tailDeletes = 0;

    /** The defaults (ROSTER_CONFIG_INIT). */
    public GuildConfig() {}

    /** Offline members are shown while the guild has fewer members than this. */
    public GuildConfig offlineThreshold(int v) { offlineThreshold = v; return this; }
    /** Whether @everyone may VIEW the guild. */
    public GuildConfig everyoneView(boolean v) { everyoneView = v ? 1 : 0; return this; }
    /** Members in the guild. */
    public GuildConfig maxMembers(int v) { maxMembers = v; return this; }
    /** Roles in the guild. */
    public GuildConfig maxRoles(int v) { maxRoles = v; return this; }
    /** Roles one member may hold. */
    public GuildConfig maxRolesPerMember(int v) { maxRolesPerMember = v; return this; }
    /** Lists besides list 0 (may be 0). */
    public GuildConfig maxLists(int v) { maxLists = v; return this; }
    /** Role + member overwrites per list. */
    public GuildConfig maxOverwrites(int v) { maxOverwrites = v; return this; }
    /** Bytes of a host sort key. */
    public GuildConfig maxSortKeyBytes(int v) { maxSortKeyBytes = v; return this; }
    /** Rows per chunk that subscribed ranges are widened to. */
    public GuildConfig chunkSize(int v) { chunkSize = v; return this; }
    /** Ranges per subscription. */
    public GuildConfig maxRanges(int v) { maxRanges = v; return this; }
    /** Rows one range may span before widening. */
    public GuildConfig maxRangeSpan(int v) { maxRangeSpan = v; return this; }
    /** Lists one session may subscribe to. */
    public GuildConfig maxSessionLists(int v) { maxSessionLists = v; return this; }
    /** Sessions in the guild. */
    public GuildConfig maxSessions(int v) { maxSessions = v; return this; }
    /**
     * Whether every row that leaves the end of the list inside a held chunk
     * gets a DELETE, for clients that never resize their rows (off by
     * default; docs/frames.md §10 of the library).
     */
    public GuildConfig tailDeletes(boolean v) { tailDeletes = v ? 1 : 0; return this; }

    /**
     * Writes the C struct at offset 0 of b: size = sizeof(roster_config) as
     * this binding knows it, every field, reserved 0 and no allocator hooks.
     */
    void writeTo(ByteBuffer b) {
        int[] fields = {Layout.CONFIG_SIZE, offlineThreshold, everyoneView, maxMembers, maxRoles,
            maxRolesPerMember, maxLists, maxOverwrites, maxSortKeyBytes, chunkSize, maxRanges,
            maxRangeSpan, maxSessionLists, maxSessions, 0};
        for (int i = 0; i < fields.length; i++) {
            b.putInt(4 * i, fields[i]);
        }
        b.putInt(Layout.CONFIG_RESERVED + 4, 0); // padding before the allocator
        for (int off = Layout.CONFIG_ALLOCATOR; off < Layout.CONFIG_TAIL_DELETES; off += 8) {
            b.putLong(off, 0); // allocate, reallocate, deallocate, user_data: unset
        }
        b.putInt(Layout.CONFIG_TAIL_DELETES, tailDeletes);
        b.putInt(Layout.CONFIG_TAIL_DELETES + 4, 0); // padding at the end
    }
}
