package roster;

import com.sun.jna.Callback;
import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The JNA mapping of the C API (include/roster/roster.h): one method per C
 * function used here and one Structure per C struct, field for field, in the
 * header's order and with the header's names.
 *
 * Type mapping: uint64_t and int64_t are Java {@code long}, uint32_t and
 * int32_t are Java {@code int} (the unsigned ones read back with
 * Long.toUnsignedString / Integer.toUnsignedString), size_t is {@link SizeT}
 * and pointers are {@link Pointer}.
 *
 * This class is package-private: user code goes through {@link Guild}.
 */
final class CApi {
    private CApi() {}

    /** Loaded once, from libroster.so on jna.library.path (or the system's library path). */
    static final Lib LIB = Native.load("roster", Lib.class);

    /** size_t: as wide as the platform's size_t, unsigned. */
    public static final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        public SizeT() {
            this(0);
        }

        public SizeT(long value) {
            super(Native.SIZE_T_SIZE, value, true);
        }
    }

    /** roster_frame_fn. */
    public interface FrameFn extends Callback {
        void invoke(Pointer frame, Pointer sessions, SizeT sessionCount, Pointer userData);
    }

    /** roster_write_fn: receives the next bytes of a snapshot; returns 0 to go on. */
    public interface WriteFn extends Callback {
        int invoke(Pointer data, SizeT len, Pointer userData);
    }

    /** The functions of roster.h that the wrapper uses. */
    public interface Lib extends Library {
        int roster_version_number();

        String roster_version_string();

        String roster_status_str(int status);

        int roster_guild_create(PointerByReference out, RosterConfig config);

        void roster_guild_destroy(Pointer guild);

        int roster_guild_member_count(IntByReference out, Pointer guild);

        int roster_guild_set_frame_callback(Pointer guild, FrameFn fn, Pointer userData);

        int roster_batch_begin(Pointer guild);

        int roster_batch_commit(Pointer guild);

        int roster_role_upsert(Pointer guild, RosterRole role);

        int roster_role_remove(Pointer guild, long roleId);

        int roster_member_add(Pointer guild, long userId, byte[] name, SizeT nameLen,
                              long[] roles, SizeT roleCount, int status);

        int roster_member_upsert(Pointer guild, long userId, byte[] name, SizeT nameLen,
                                 long[] roles, SizeT roleCount, int status);

        int roster_member_remove(Pointer guild, long userId);

        int roster_member_set_status(Pointer guild, long userId, int status);

        int roster_member_set_name(Pointer guild, long userId, byte[] name, SizeT nameLen);

        int roster_member_set_roles(Pointer guild, long userId, long[] roles, SizeT roleCount);

        int roster_member_add_role(Pointer guild, long userId, long roleId);

        int roster_member_remove_role(Pointer guild, long userId, long roleId);

        int roster_member_touch(Pointer guild, long userId);

        int roster_list_set(Pointer guild, long listId, RosterListRule rule);

        int roster_list_remove(Pointer guild, long listId);

        /* ranges: a contiguous array (made with Structure.toArray), or null. */
        int roster_session_subscribe(Pointer guild, long sessionId, long listId,
                                     RosterRange[] ranges, SizeT rangeCount);

        int roster_session_remove(Pointer guild, long sessionId);

        int roster_guild_session_count(IntByReference out, Pointer guild);

        /* out: its size field set (RosterStats does); JNA reads it back after the call. */
        int roster_guild_stats(RosterStats out, Pointer guild);

        int roster_guild_save(Pointer guild, int flags, WriteFn write, Pointer userData);

        /* data: JNA copies the array to native memory for the call (null when empty). */
        int roster_guild_load_buffer(PointerByReference out, RosterConfig config, byte[] data,
                                     SizeT len);
    }

    /**
     * roster_allocator: a host's allocator hooks. This binding never sets
     * them (all null: the guild uses the C and C++ runtimes' allocator); the
     * struct is here so that RosterConfig has the header's layout.
     */
    @Structure.FieldOrder({"allocate", "reallocate", "deallocate", "user_data"})
    public static final class RosterAllocator extends Structure {
        public Pointer allocate;
        public Pointer reallocate;
        public Pointer deallocate;
        public Pointer user_data;
    }

    /**
     * roster_config. The caller fills every field (see GuildConfig for the
     * defaults); reserved stays 0 and the allocator (nested by value) unset.
     */
    @Structure.FieldOrder({"size", "offline_threshold", "everyone_view", "max_members",
                           "max_roles", "max_roles_per_member", "max_lists", "max_overwrites",
                           "max_sort_key_bytes", "chunk_size", "max_ranges", "max_range_span",
                           "max_session_lists", "max_sessions", "reserved", "allocator"})
    public static final class RosterConfig extends Structure {
        public int size;
        public int offline_threshold;
        public int everyone_view;
        public int max_members;
        public int max_roles;
        public int max_roles_per_member;
        public int max_lists;
        public int max_overwrites;
        public int max_sort_key_bytes;
        public int chunk_size;
        public int max_ranges;
        public int max_range_span;
        public int max_session_lists;
        public int max_sessions;
        public int reserved;
        public RosterAllocator allocator = new RosterAllocator();

        public RosterConfig() {
            size = size();
        }
    }

    /** roster_stats. size is set (sizeof as this binding knows it); the library fills the rest. */
    @Structure.FieldOrder({"size", "members", "lists", "sessions", "subscriptions", "chunks_held",
                           "memory_bytes", "flushes", "frames", "deliveries", "ops", "rows",
                           "last_flush_ns", "max_flush_ns"})
    public static final class RosterStats extends Structure {
        public int size;
        public int members;
        public int lists;
        public int sessions;
        public long subscriptions;
        public long chunks_held;
        public long memory_bytes;
        public long flushes;
        public long frames;
        public long deliveries;
        public long ops;
        public long rows;
        public long last_flush_ns;
        public long max_flush_ns;

        public RosterStats() {
            size = size();
        }
    }

    /** roster_role. */
    @Structure.FieldOrder({"id", "position", "flags"})
    public static final class RosterRole extends Structure {
        public long id;
        public int position;
        public int flags;
    }

    /** roster_overwrite. */
    @Structure.FieldOrder({"id", "allow"})
    public static final class RosterOverwrite extends Structure {
        public long id;
        public int allow;
    }

    /** roster_list_rule. roles and members point at contiguous roster_overwrite arrays. */
    @Structure.FieldOrder({"size", "everyone", "roles", "role_count", "members", "member_count"})
    public static final class RosterListRule extends Structure {
        public int size;
        public int everyone;
        public Pointer roles;
        public SizeT role_count = new SizeT();
        public Pointer members;
        public SizeT member_count = new SizeT();

        public RosterListRule() {
            size = size();
        }
    }

    /** roster_range. */
    @Structure.FieldOrder({"start", "end"})
    public static final class RosterRange extends Structure {
        public int start;
        public int end;
    }

    /** roster_row. Read from memory the library owns (a frame's items). */
    @Structure.FieldOrder({"kind", "count", "group", "user"})
    public static final class RosterRow extends Structure {
        public int kind;
        public int count;
        public long group;
        public long user;

        public RosterRow() {}

        public RosterRow(Pointer p) {
            super(p);
            read();
        }
    }

    /** roster_group. */
    @Structure.FieldOrder({"id", "count"})
    public static final class RosterGroup extends Structure {
        public long id;
        public int count;

        public RosterGroup() {}

        public RosterGroup(Pointer p) {
            super(p);
            read();
        }
    }

    /** roster_op. items points at item_count roster_row. */
    @Structure.FieldOrder({"kind", "index", "end", "item_count", "items"})
    public static final class RosterOp extends Structure {
        public int kind;
        public int index;
        public int end;
        public int item_count;
        public Pointer items;

        public RosterOp() {}

        public RosterOp(Pointer p) {
            super(p);
            read();
        }
    }

    /** roster_frame. groups and ops point at group_count / op_count elements. */
    @Structure.FieldOrder({"list_id", "member_count", "online_count", "groups", "group_count",
                           "ops", "op_count"})
    public static final class RosterFrame extends Structure {
        public long list_id;
        public int member_count;
        public int online_count;
        public Pointer groups;
        public SizeT group_count;
        public Pointer ops;
        public SizeT op_count;

        public RosterFrame() {}

        public RosterFrame(Pointer p) {
            super(p);
            read();
        }
    }

    /*
     * Readers for the arrays of a frame. Each element is copied into its own
     * Java object (Structure.read); count 0 gives an empty array (the pointer
     * may then be NULL).
     */
    static RosterGroup[] groups(Pointer p, int count) {
        return count == 0 ? new RosterGroup[0] : (RosterGroup[]) new RosterGroup(p).toArray(count);
    }

    static RosterOp[] ops(Pointer p, int count) {
        return count == 0 ? new RosterOp[0] : (RosterOp[]) new RosterOp(p).toArray(count);
    }

    static RosterRow[] rows(Pointer p, int count) {
        return count == 0 ? new RosterRow[0] : (RosterRow[]) new RosterRow(p).toArray(count);
    }
}
