package roster;

/**
 * The settings of a new guild (roster_config). A new GuildConfig holds the
 * defaults of ROSTER_CONFIG_INIT; the setters change one field each and
 * return this, so calls chain:
 * {@code new GuildConfig().chunkSize(10).maxRangeSpan(30)}.
 * All values are unsigned 32-bit, as in the header.
 *
 * The allocator hooks of roster_config are not exposed: a guild made or
 * loaded through this binding uses the C and C++ runtimes' allocator.
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

    /** Offline members are shown while the guild has fewer members than this. */
    public GuildConfig offlineThreshold(int v) { offlineThreshold = v; return this; }
    /** Whether @everyone may VIEW the guild. */
    public GuildConfig everyoneView(boolean v) { everyoneView = v ? 1 : 0; return this; }
    public GuildConfig maxMembers(int v) { maxMembers = v; return this; }
    public GuildConfig maxRoles(int v) { maxRoles = v; return this; }
    public GuildConfig maxRolesPerMember(int v) { maxRolesPerMember = v; return this; }
    /** Lists besides list 0 (may be 0). */
    public GuildConfig maxLists(int v) { maxLists = v; return this; }
    /** Role + member overwrites per list. */
    public GuildConfig maxOverwrites(int v) { maxOverwrites = v; return this; }
    public GuildConfig maxSortKeyBytes(int v) { maxSortKeyBytes = v; return this; }
    /** Rows per chunk that subscribed ranges are widened to. */
    public GuildConfig chunkSize(int v) { chunkSize = v; return this; }
    /** Ranges per subscription. */
    public GuildConfig maxRanges(int v) { maxRanges = v; return this; }
    /** Rows one range may span before widening. */
    public GuildConfig maxRangeSpan(int v) { maxRangeSpan = v; return this; }
    /** Lists one session may subscribe to. */
    public GuildConfig maxSessionLists(int v) { maxSessionLists = v; return this; }
    public GuildConfig maxSessions(int v) { maxSessions = v; return this; }

    /**
     * The C struct, with size = sizeof(roster_config) as this binding knows
     * it, reserved 0 and no allocator hooks.
     */
    CApi.RosterConfig toNative() {
        CApi.RosterConfig c = new CApi.RosterConfig();
        c.offline_threshold = offlineThreshold;
        c.everyone_view = everyoneView;
        c.max_members = maxMembers;
        c.max_roles = maxRoles;
        c.max_roles_per_member = maxRolesPerMember;
        c.max_lists = maxLists;
        c.max_overwrites = maxOverwrites;
        c.max_sort_key_bytes = maxSortKeyBytes;
        c.chunk_size = chunkSize;
        c.max_ranges = maxRanges;
        c.max_range_span = maxRangeSpan;
        c.max_session_lists = maxSessionLists;
        c.max_sessions = maxSessions;
        return c;
    }
}
