package dev.roster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Member events for {@link Guild#apply(EventBatch)} (roster_events_apply):
 * each method appends one roster_event, written straight into native memory
 * (the C array, with the names and role arrays it points at, is built by
 * plain memory writes: no JNI call, no Java object per event). Applying the
 * batch is then one call into C, whatever its size; the library delivers
 * the frames of the whole batch once, at its end.
 *
 * Reuse a batch: {@link #clear()} keeps its memory. A batch is not tied to
 * a guild and may be applied more than once (to one guild, or to several).
 * It is not thread-safe. Each method returns this, so calls chain.
 */
public final class EventBatch {
    /* ROSTER_EVENT_*: the kinds of roster_event. */
    private static final int STATUS = 1;
    private static final int NAME = 2;
    private static final int ROLES = 3;
    private static final int ADD_ROLE = 4;
    private static final int REMOVE_ROLE = 5;
    private static final int TOUCH = 6;
    private static final int ADD = 7;
    private static final int UPSERT = 8;
    private static final int REMOVE = 9;

    private final RecordArena arena;

    /** An empty batch with room for 1024 events (it grows as needed). */
    public EventBatch() {
        this(1024);
    }

    /** An empty batch with room for capacity events (it grows as needed). */
    public EventBatch(int capacity) {
        arena = new RecordArena(Layout.EVENT_SIZE, capacity);
    }

    /** Number of events in the batch. */
    public int size() {
        return arena.count();
    }

    /** Empties the batch; its memory is kept for the next events. */
    public EventBatch clear() {
        arena.clear();
        return this;
    }

    /** ROSTER_EVENT_STATUS: roster_member_set_status. */
    public EventBatch status(long userId, Presence status) {
        event(STATUS, status.code(), userId, 0, 0, 0, 0, 0);
        return this;
    }

    /** ROSTER_EVENT_NAME: roster_member_set_name (UTF-8, 1..128 bytes). */
    public EventBatch name(long userId, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        event(NAME, 0, userId, arena.store(n), n.length, 0, 0, 0);
        return this;
    }

    /** ROSTER_EVENT_ROLES: roster_member_set_roles (the member's whole set; none: no roles). */
    public EventBatch roles(long userId, long... roles) {
        event(ROLES, 0, userId, 0, 0, arena.store(roles), length(roles), 0);
        return this;
    }

    /** ROSTER_EVENT_ADD_ROLE: roster_member_add_role. */
    public EventBatch addRole(long userId, long roleId) {
        event(ADD_ROLE, 0, userId, 0, 0, 0, 0, roleId);
        return this;
    }

    /** ROSTER_EVENT_REMOVE_ROLE: roster_member_remove_role. */
    public EventBatch removeRole(long userId, long roleId) {
        event(REMOVE_ROLE, 0, userId, 0, 0, 0, 0, roleId);
        return this;
    }

    /** ROSTER_EVENT_TOUCH: roster_member_touch. */
    public EventBatch touch(long userId) {
        event(TOUCH, 0, userId, 0, 0, 0, 0, 0);
        return this;
    }

    /** ROSTER_EVENT_ADD: roster_member_add (roles null or empty: none). */
    public EventBatch add(long userId, String name, long[] roles, Presence status) {
        return member(ADD, userId, name, roles, status);
    }

    /** ROSTER_EVENT_UPSERT: roster_member_upsert. */
    public EventBatch upsert(long userId, String name, long[] roles, Presence status) {
        return member(UPSERT, userId, name, roles, status);
    }

    /** ROSTER_EVENT_REMOVE: roster_member_remove. */
    public EventBatch remove(long userId) {
        event(REMOVE, 0, userId, 0, 0, 0, 0, 0);
        return this;
    }

    private EventBatch member(int kind, long userId, String name, long[] roles, Presence status) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int code = status.code();
        event(kind, code, userId, arena.store(n), n.length, arena.store(roles), length(roles), 0);
        return this;
    }

    private static int length(long[] a) {
        return a == null ? 0 : a.length;
    }

    /** Writes one roster_event, every field (the memory is reused). */
    private void event(int kind, int status, long userId, long name, long nameLen, long roles,
                       long roleCount, long roleId) {
        int at = arena.append();
        ByteBuffer b = arena.records();
        b.putInt(at + Layout.EVENT_KIND, kind);
        b.putInt(at + Layout.EVENT_STATUS, status);
        b.putLong(at + Layout.EVENT_USER, userId);
        b.putLong(at + Layout.EVENT_NAME, name);
        b.putLong(at + Layout.EVENT_NAME_LEN, nameLen);
        b.putLong(at + Layout.EVENT_ROLES, roles);
        b.putLong(at + Layout.EVENT_ROLE_COUNT, roleCount);
        b.putLong(at + Layout.EVENT_ROLE_ID, roleId);
    }

    /** The C array, for the guild. */
    NativeBuffer events() {
        return arena.recordBlock();
    }
}
