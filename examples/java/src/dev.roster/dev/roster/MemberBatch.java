package dev.roster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * New members for {@link Guild#addMembers(MemberBatch)} and
 * {@link Guild#addMembersAt(MemberBatch)} (roster_members_add,
 * roster_members_add_at): each {@link #add} appends one roster_member_spec,
 * written straight into native memory with its name and roles, so adding
 * the whole batch is one call into C, all or nothing.
 *
 * Reuse a batch with {@link #clear()}. It is not tied to a guild and not
 * thread-safe.
 */
public final class MemberBatch {
    private final RecordArena arena;

    /** An empty batch with room for 1024 members (it grows as needed). */
    public MemberBatch() {
        this(1024);
    }

    /** An empty batch with room for capacity members (it grows as needed). */
    public MemberBatch(int capacity) {
        arena = new RecordArena(Layout.SPEC_SIZE, capacity);
    }

    /** Number of members in the batch. */
    public int size() {
        return arena.count();
    }

    /** Empties the batch; its memory is kept. */
    public MemberBatch clear() {
        arena.clear();
        return this;
    }

    /**
     * Appends a member: user id (not 0), display name (UTF-8, 1..128 bytes),
     * role ids (null or empty: none), status. The library checks each entry
     * as roster_member_add would.
     */
    public MemberBatch add(long userId, String name, long[] roles, Presence status) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long nameAt = arena.store(n);
        long rolesAt = arena.store(roles);
        int at = arena.append();
        ByteBuffer b = arena.records();
        b.putLong(at + Layout.SPEC_ID, userId);
        b.putLong(at + Layout.SPEC_NAME, nameAt);
        b.putLong(at + Layout.SPEC_NAME_LEN, n.length);
        b.putLong(at + Layout.SPEC_ROLES, rolesAt);
        b.putLong(at + Layout.SPEC_ROLE_COUNT, roles == null ? 0 : roles.length);
        b.putInt(at + Layout.SPEC_STATUS, status.code());
        b.putInt(at + Layout.SPEC_STATUS + 4, 0); // padding
        return this;
    }

    /** The C array, for the guild. */
    NativeBuffer specs() {
        return arena.recordBlock();
    }
}
