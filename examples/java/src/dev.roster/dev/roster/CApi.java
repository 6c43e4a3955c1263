package dev.roster;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The C API of include/roster/roster.h, every function of capi/roster.map
 * (nodes ROSTER_0.1 and ROSTER_0.2), bound with JNA direct mapping
 * ({@link Native#register}): each C function is a static native method that
 * JNA links to libroster.so once, when this class loads. A call is then one
 * JNI call, without the argument boxing, reflection and proxy of an
 * interface mapping.
 *
 * Type mapping (64-bit platforms only, see {@link #checkPlatform()}):
 * uint64_t and size_t are {@code long}; int, int32_t and uint32_t are
 * {@code int} (the unsigned ones read back with Integer.toUnsignedLong); the
 * guild handle is its address in a {@code long} (0: none). A pointer to C
 * structs is a {@link Pointer} to native memory this binding laid out itself
 * (offsets in {@link Layout}); a pointer to a small output is a one-element
 * Java array (JNA copies it in and back); names and keys are {@code byte[]}
 * (UTF-8, passed with their length: no terminator). Function pointers are
 * JNA direct callbacks (below): JNA calls them through JNI with primitive
 * arguments only.
 *
 * Package-private: user code goes through {@link Guild} and {@link Roster}.
 */
final class CApi {
    private CApi() {}

    static {
        checkPlatform();
        Native.register(CApi.class, "roster");
    }

    /**
     * The struct offsets of {@link Layout} and the primitive arguments of the
     * callbacks assume 8-byte pointers and size_t (x86_64, aarch64, ...).
     */
    private static void checkPlatform() {
        if (Native.POINTER_SIZE != 8 || Native.SIZE_T_SIZE != 8) {
            throw new UnsupportedOperationException("the roster binding needs a 64-bit platform"
                    + " (pointers and size_t of 8 bytes; this one has " + Native.POINTER_SIZE
                    + " and " + Native.SIZE_T_SIZE + ")");
        }
    }

    /** Makes sure the library is loaded (runs the static initialiser). */
    static void load() {}

    /*
     * Callbacks. Direct callbacks: JNA calls invoke through JNI with the C
     * arguments as they are (pointers and size_t as long), creating no
     * Java object per call. JNA frees a callback's native entry point once
     * the Java object is garbage-collected: whoever hands one to C keeps it
     * reachable for as long as C may call it.
     */

    /** roster_frame_fn(frame, sessions, session_count, user_data). */
    interface FrameFn extends Callback {
        void invoke(long frame, long sessions, long sessionCount, long userData);
    }

    /** roster_write_fn(data, len, user_data): 0 to go on. */
    interface WriteFn extends Callback {
        int invoke(long data, long len, long userData);
    }

    /** roster_read_fn(buf, cap, got, user_data): 0 on success. */
    interface ReadFn extends Callback {
        int invoke(long buf, long cap, long got, long userData);
    }

    /* ---- Version and statuses ---------------------------------------------- */

    static native int roster_version_number();

    static native Pointer roster_version_string();

    static native Pointer roster_status_str(int status);

    /* ---- Guilds --------------------------------------------------------------- */

    static native int roster_guild_create(long[] out, Pointer config);

    static native void roster_guild_destroy(long guild);

    static native int roster_guild_set_everyone_view(long guild, int view);

    static native int roster_guild_set_offline_threshold(long guild, int threshold);

    static native int roster_guild_member_count(int[] out, long guild);

    static native int roster_batch_begin(long guild);

    static native int roster_batch_commit(long guild);

    static native int roster_guild_flush(long guild);

    /* ---- Roles ------------------------------------------------------------------ */

    static native int roster_role_upsert(long guild, Pointer role);

    static native int roster_role_remove(long guild, long roleId);

    static native int roster_roles_reorder(long guild, long[] roleIds, int[] positions, long count);

    /* ---- Members ---------------------------------------------------------------- */

    static native int roster_member_add(long guild, long userId, byte[] name, long nameLen,
                                        long[] roles, long roleCount, int status);

    static native int roster_member_upsert(long guild, long userId, byte[] name, long nameLen,
                                           long[] roles, long roleCount, int status);

    static native int roster_members_add(long guild, Pointer members, long count);

    static native int roster_members_add_at(long[] failedIndex, long guild, Pointer members,
                                            long count);

    static native int roster_member_remove(long guild, long userId);

    static native int roster_member_set_status(long guild, long userId, int status);

    static native int roster_member_set_name(long guild, long userId, byte[] name, long nameLen);

    static native int roster_member_set_sort_key(long guild, long userId, byte[] key, long keyLen);

    static native int roster_member_set_roles(long guild, long userId, long[] roles, long roleCount);

    static native int roster_member_add_role(long guild, long userId, long roleId);

    static native int roster_member_remove_role(long guild, long userId, long roleId);

    static native int roster_member_touch(long guild, long userId);

    static native int roster_events_apply(long guild, Pointer events, long count, long eventSize,
                                          int[] statuses);

    static native int roster_member_get(Pointer out, Pointer roles, long cap, long[] roleCount,
                                        long guild, long userId);

    /* ---- Lists -------------------------------------------------------------------- */

    static native int roster_list_set(long guild, long listId, Pointer rule);

    static native int roster_list_remove(long guild, long listId);

    static native int roster_list_length(int[] out, long guild, long listId);

    static native int roster_list_counts(int[] memberCount, int[] onlineCount, long guild,
                                         long listId);

    static native int roster_list_groups(Pointer out, long cap, long[] count, long guild,
                                         long listId);

    static native int roster_list_rows(Pointer out, long cap, long[] count, long guild, long listId,
                                       int start, int end);

    static native int roster_list_index_of(int[] out, long guild, long listId, long userId);

    static native int roster_list_can_view(int[] out, long guild, long listId, long userId);

    /* ---- Sessions ------------------------------------------------------------------ */

    static native int roster_guild_set_frame_callback(long guild, FrameFn fn, Pointer userData);

    static native int roster_guild_set_frame_queue(long guild, int enable);

    /** data: the buffer's address (const void **, 8 bytes on the platforms JNA is checked for). */
    static native int roster_guild_take_frames(long[] data, long[] len, long guild);

    static native int roster_session_subscribe(long guild, long sessionId, long listId,
                                               Pointer ranges, long rangeCount);

    static native int roster_session_remove(long guild, long sessionId);

    static native int roster_session_ranges(Pointer out, long cap, long[] count, long guild,
                                            long sessionId, long listId);

    static native int roster_guild_session_count(int[] out, long guild);

    /* ---- Statistics and snapshots (ROSTER_0.2) ---------------------------------------- */

    static native int roster_guild_stats(Pointer out, long guild);

    static native int roster_guild_save(long guild, int flags, WriteFn write, Pointer userData);

    static native int roster_guild_load(long[] out, Pointer config, ReadFn read, Pointer userData);

    static native int roster_guild_load_buffer(long[] out, Pointer config, byte[] data, long len);
}
