package dev.roster;

/**
 * Sizes and field offsets of the C structs of roster.h on a 64-bit platform
 * (pointers and size_t of 8 bytes, natural alignment: every ABI CApi
 * accepts), as sizeof / offsetof give them. The binding writes and reads the
 * structs by these offsets, in native byte order, instead of mapping them
 * with JNA Structures.
 */
final class Layout {
    private Layout() {}

    /**
     * roster_config: 15 uint32_t, roster_allocator (4 pointers) at 64, then
     * tail_deletes at 96 (and 4 bytes of padding).
     */
    static final int CONFIG_SIZE = 104;
    static final int CONFIG_RESERVED = 56;
    static final int CONFIG_ALLOCATOR = 64;
    static final int CONFIG_TAIL_DELETES = 96;

    /** roster_role {id; position; flags}. */
    static final int ROLE_SIZE = 16;
    static final int ROLE_ID = 0;
    static final int ROLE_POSITION = 8;
    static final int ROLE_FLAGS = 12;

    /** roster_overwrite {id; allow}. */
    static final int OVERWRITE_SIZE = 16;
    static final int OVERWRITE_ID = 0;
    static final int OVERWRITE_ALLOW = 8;

    /** roster_list_rule {size; everyone; roles; role_count; members; member_count}. */
    static final int RULE_SIZE = 40;
    static final int RULE_EVERYONE = 4;
    static final int RULE_ROLES = 8;
    static final int RULE_ROLE_COUNT = 16;
    static final int RULE_MEMBERS = 24;
    static final int RULE_MEMBER_COUNT = 32;

    /** roster_range {start; end}. */
    static final int RANGE_SIZE = 8;
    static final int RANGE_START = 0;
    static final int RANGE_END = 4;

    /** roster_member_spec {id; name; name_len; roles; role_count; status}. */
    static final int SPEC_SIZE = 48;
    static final int SPEC_ID = 0;
    static final int SPEC_NAME = 8;
    static final int SPEC_NAME_LEN = 16;
    static final int SPEC_ROLES = 24;
    static final int SPEC_ROLE_COUNT = 32;
    static final int SPEC_STATUS = 40;

    /** roster_event {kind; status; user_id; name; name_len; roles; role_count; role_id}. */
    static final int EVENT_SIZE = 56;
    static final int EVENT_KIND = 0;
    static final int EVENT_STATUS = 4;
    static final int EVENT_USER = 8;
    static final int EVENT_NAME = 16;
    static final int EVENT_NAME_LEN = 24;
    static final int EVENT_ROLES = 32;
    static final int EVENT_ROLE_COUNT = 40;
    static final int EVENT_ROLE_ID = 48;

    /** roster_member_info {id; name; name_len; status; group}. */
    static final int INFO_SIZE = 40;
    static final int INFO_ID = 0;
    static final int INFO_NAME = 8;
    static final int INFO_NAME_LEN = 16;
    static final int INFO_STATUS = 24;
    static final int INFO_GROUP = 32;

    /** roster_stats: size, 3 uint32_t, then 10 uint64_t from 16. */
    static final int STATS_SIZE = 96;
    static final int STATS_MEMBERS = 4;
    static final int STATS_LISTS = 8;
    static final int STATS_SESSIONS = 12;
    static final int STATS_SUBSCRIPTIONS = 16;
    static final int STATS_CHUNKS_HELD = 24;
    static final int STATS_MEMORY_BYTES = 32;
    static final int STATS_FLUSHES = 40;
    static final int STATS_FRAMES = 48;
    static final int STATS_DELIVERIES = 56;
    static final int STATS_OPS = 64;
    static final int STATS_ROWS = 72;
    static final int STATS_LAST_FLUSH_NS = 80;
    static final int STATS_MAX_FLUSH_NS = 88;

    /** roster_row {kind; count; group; user}. */
    static final int ROW_SIZE = 24;
    static final int ROW_KIND = 0;
    static final int ROW_COUNT = 4;
    static final int ROW_GROUP = 8;
    static final int ROW_USER = 16;

    /** roster_group {id; count}. */
    static final int GROUP_SIZE = 16;
    static final int GROUP_ID = 0;
    static final int GROUP_COUNT = 8;

    /** roster_op {kind; index; end; item_count; items}. */
    static final int OP_SIZE = 24;
    static final int OP_KIND = 0;
    static final int OP_INDEX = 4;
    static final int OP_END = 8;
    static final int OP_ITEM_COUNT = 12;
    static final int OP_ITEMS = 16;

    /** roster_frame {list_id; member_count; online_count; groups; group_count; ops; op_count}. */
    static final int FRAME_SIZE = 48;
    static final int FRAME_LIST_ID = 0;
    static final int FRAME_MEMBER_COUNT = 8;
    static final int FRAME_ONLINE_COUNT = 12;
    static final int FRAME_GROUPS = 16;
    static final int FRAME_GROUP_COUNT = 24;
    static final int FRAME_OPS = 32;
    static final int FRAME_OP_COUNT = 40;
}
