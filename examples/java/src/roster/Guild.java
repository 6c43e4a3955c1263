package roster;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A guild (roster_guild): its members, roles, lists and the sessions that
 * view them. Close it when done (try-with-resources); it frees the C guild.
 *
 * Every call that fails throws {@link RosterException}, which carries the
 * C status code. Calls that change the guild or a subscription deliver their
 * frames to the {@link FrameListener} before they return (or, inside
 * {@link #batchBegin()} ... {@link #batchCommit()}, at the outermost commit).
 *
 * A guild is used by one thread at a time. Ids are unsigned 64-bit values
 * held in a long; 0 is never a valid id.
 */
public final class Guild implements AutoCloseable {
    private Pointer handle;
    private FrameListener listener;
    /** What the listener threw during the current call, rethrown when it returns. */
    private Throwable listenerError;
    /**
     * The native callback. JNA frees a Callback's native entry point once the
     * Java object is garbage-collected, so the guild holds it in a field for
     * as long as the library may call it.
     */
    private final CApi.FrameFn callback = this::deliver;

    /** A guild with the default settings (ROSTER_CONFIG_INIT). */
    public Guild() {
        this((GuildConfig) null);
    }

    /** A guild with the given settings (null: the defaults). */
    public Guild(GuildConfig config) {
        PointerByReference out = new PointerByReference();
        int status = CApi.LIB.roster_guild_create(out, config == null ? null : config.toNative());
        if (status != Roster.OK) {
            throw new RosterException(status, "roster_guild_create");
        }
        handle = out.getValue();
    }

    /** Owns a guild the library made (a loaded one). */
    private Guild(Pointer loaded) {
        handle = loaded;
    }

    /**
     * A guild loaded from a snapshot (roster_guild_load_buffer; the bytes are
     * not kept). config gives the limits (null: the defaults); the settings
     * come from the snapshot (its offline threshold, @everyone's VIEW and
     * chunk size, not the config's). The guild is like a new one (close it
     * when done) but has no listener: set one with setFrameListener. Loading
     * delivers no frame; saved sessions go on receiving incremental ops.
     * Errors: ECORRUPT (damaged or truncated bytes), EVERSION, ELIMIT (the
     * snapshot exceeds a limit of config), EINVAL (a config the constructor
     * refuses), ENOMEM.
     */
    public static Guild load(byte[] snapshot, GuildConfig config) {
        Objects.requireNonNull(snapshot, "snapshot");
        PointerByReference out = new PointerByReference();
        CApi.RosterConfig c = config == null ? null : config.toNative();
        byte[] data = snapshot.length == 0 ? null : snapshot;
        int status = CApi.LIB.roster_guild_load_buffer(out, c, data, size(snapshot.length));
        if (status != Roster.OK) {
            throw new RosterException(status, "roster_guild_load_buffer");
        }
        return new Guild(out.getValue());
    }

    /** A guild loaded from a snapshot, with the default limits. */
    public static Guild load(byte[] snapshot) {
        return load(snapshot, null);
    }

    /** Frees the guild. Further calls throw IllegalStateException; closing twice is harmless. */
    @Override
    public void close() {
        if (handle != null) {
            CApi.LIB.roster_guild_destroy(handle);
            handle = null;
            listener = null;
        }
    }

    /* ---- Frames -------------------------------------------------------------- */

    /**
     * Sets the listener that receives every frame (null: frames are computed
     * and dropped). Not allowed from inside the listener (EBUSY).
     */
    public void setFrameListener(FrameListener frameListener) {
        check(CApi.LIB.roster_guild_set_frame_callback(handle(),
                frameListener == null ? null : callback, null), "roster_guild_set_frame_callback");
        listener = frameListener;
    }

    /**
     * Called by the library during a flush. The frame and the session array
     * are valid only during this call, so they are copied into a Frame before
     * the listener sees them. An exception must not unwind through the C
     * library: it is kept and rethrown by the call that flushed.
     */
    private void deliver(Pointer frame, Pointer sessions, CApi.SizeT sessionCount, Pointer userData) {
        FrameListener l = listener;
        if (l == null) {
            return;
        }
        try {
            l.onFrame(Frame.copyOf(frame, sessions, sessionCount.longValue()));
        } catch (Throwable t) {
            if (listenerError == null) {
                listenerError = t;
            } else if (listenerError != t) {
                listenerError.addSuppressed(t);
            }
        }
    }

    /* ---- Snapshots and statistics ---------------------------------------------- */

    /**
     * The guild's snapshot as bytes (see {@link #save(int, OutputStream)}).
     * flags: 0 or {@link Roster#SAVE_SESSIONS}.
     */
    public byte[] save(int flags) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            save(flags, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Writes the guild's snapshot to out, in pieces (roster_guild_save: no
     * second copy of the guild is made). flags: 0 or
     * {@link Roster#SAVE_SESSIONS}. Saving flushes first, so frames still
     * owed after an EFLUSH are delivered; the guild is not changed. What out
     * throws comes out of this call as it is, once the library has returned
     * (what was written is then not a snapshot). Other errors: EINVAL
     * (unknown flags, inside a batch), EBUSY (inside the listener), EFLUSH,
     * ENOMEM.
     */
    public void save(int flags, OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        SaveSink sink = new SaveSink(out);
        int status;
        try {
            status = CApi.LIB.roster_guild_save(handle(), flags, sink, null);
        } finally {
            // The library holds only the callback's native entry point.
            Reference.reachabilityFence(sink);
        }
        Throwable failure = sink.failure;
        if (failure == null) {
            check(status, "roster_guild_save");
            return;
        }
        // The stream failed (the library returned EIO): its exception is the
        // caller's, with what the listener threw (if anything) suppressed.
        Throwable listenerFailure = listenerError;
        listenerError = null;
        if (listenerFailure != null && listenerFailure != failure) {
            failure.addSuppressed(listenerFailure);
        }
        if (failure instanceof IOException e) {
            throw e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("the output stream failed", failure);
    }

    /**
     * The roster_write_fn of one save: hands each piece to the stream. An
     * exception must not unwind through the C library: it is kept (and the
     * save stopped) for save to rethrow.
     */
    private static final class SaveSink implements CApi.WriteFn {
        private final OutputStream out;
        private Throwable failure;

        SaveSink(OutputStream out) {
            this.out = out;
        }

        @Override
        public int invoke(Pointer data, CApi.SizeT len, Pointer userData) {
            try {
                int n = Math.toIntExact(len.longValue());
                if (n > 0) {
                    // Copied out of the library's buffer, valid only during the call.
                    out.write(data.getByteArray(0, n));
                }
                return 0;
            } catch (Throwable t) {
                failure = t;
                return -1;
            }
        }
    }

    /** The guild's counters and sizes (roster_guild_stats). */
    public Stats stats() {
        CApi.RosterStats s = new CApi.RosterStats();
        check(CApi.LIB.roster_guild_stats(s, handle()), "roster_guild_stats");
        return Stats.of(s);
    }

    /* ---- Batches ------------------------------------------------------------- */

    /** Starts a batch: frames of the events until the outermost commit are delivered then. */
    public void batchBegin() {
        check(CApi.LIB.roster_batch_begin(handle()), "roster_batch_begin");
    }

    /** Ends a batch; the outermost commit delivers its frames. */
    public void batchCommit() {
        check(CApi.LIB.roster_batch_commit(handle()), "roster_batch_commit");
    }

    /** Runs body as one batch; the batch is committed even when body throws. */
    public void batch(Runnable body) {
        batchBegin();
        Throwable failure = null;
        try {
            body.run();
        } catch (Throwable t) {
            failure = t;
            throw t;
        } finally {
            try {
                batchCommit();
            } catch (RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
        }
    }

    /* ---- Roles --------------------------------------------------------------- */

    /** Creates the role or replaces its settings. */
    public void upsertRole(Role role) {
        CApi.RosterRole r = new CApi.RosterRole();
        r.id = role.id();
        r.position = role.position();
        r.flags = role.flags();
        check(CApi.LIB.roster_role_upsert(handle(), r), "roster_role_upsert");
    }

    /** Removes the role from the guild and from every member holding it. */
    public void removeRole(long roleId) {
        check(CApi.LIB.roster_role_remove(handle(), roleId), "roster_role_remove");
    }

    /* ---- Members ------------------------------------------------------------- */

    /** Adds a member. name: 1..128 bytes of UTF-8; roles: role ids (null or empty: none). */
    public void addMember(long userId, String name, long[] roles, Presence status) {
        byte[] n = utf8(name);
        long[] r = orNull(roles);
        check(CApi.LIB.roster_member_add(handle(), userId, n, size(n.length), r,
                size(r == null ? 0 : r.length), status.code()), "roster_member_add");
    }

    /** Like addMember, but replaces the data of an existing member. */
    public void upsertMember(long userId, String name, long[] roles, Presence status) {
        byte[] n = utf8(name);
        long[] r = orNull(roles);
        check(CApi.LIB.roster_member_upsert(handle(), userId, n, size(n.length), r,
                size(r == null ? 0 : r.length), status.code()), "roster_member_upsert");
    }

    public void removeMember(long userId) {
        check(CApi.LIB.roster_member_remove(handle(), userId), "roster_member_remove");
    }

    public void setMemberStatus(long userId, Presence status) {
        check(CApi.LIB.roster_member_set_status(handle(), userId, status.code()),
                "roster_member_set_status");
    }

    public void setMemberName(long userId, String name) {
        byte[] n = utf8(name);
        check(CApi.LIB.roster_member_set_name(handle(), userId, n, size(n.length)),
                "roster_member_set_name");
    }

    /** Replaces the member's roles (none: no roles). */
    public void setMemberRoles(long userId, long... roles) {
        long[] r = orNull(roles);
        check(CApi.LIB.roster_member_set_roles(handle(), userId, r, size(r == null ? 0 : r.length)),
                "roster_member_set_roles");
    }

    public void addMemberRole(long userId, long roleId) {
        check(CApi.LIB.roster_member_add_role(handle(), userId, roleId), "roster_member_add_role");
    }

    public void removeMemberRole(long userId, long roleId) {
        check(CApi.LIB.roster_member_remove_role(handle(), userId, roleId),
                "roster_member_remove_role");
    }

    /** The member's data changed without moving it (avatar, activity, ...). */
    public void touchMember(long userId) {
        check(CApi.LIB.roster_member_touch(handle(), userId), "roster_member_touch");
    }

    /** Number of members in the guild. */
    public int memberCount() {
        IntByReference out = new IntByReference();
        check(CApi.LIB.roster_guild_member_count(out, handle()), "roster_guild_member_count");
        return out.getValue();
    }

    /* ---- Lists --------------------------------------------------------------- */

    /** Creates list listId (not 0) with the rule, or replaces its rule. */
    public void setList(long listId, ListRule rule) {
        CApi.RosterOverwrite[] roles = overwrites(rule.roles());
        CApi.RosterOverwrite[] members = overwrites(rule.members());
        CApi.RosterListRule r = new CApi.RosterListRule();
        r.everyone = rule.everyone().code();
        r.roles = roles == null ? null : roles[0].getPointer();
        r.role_count = size(rule.roles().size());
        r.members = members == null ? null : members[0].getPointer();
        r.member_count = size(rule.members().size());
        try {
            check(CApi.LIB.roster_list_set(handle(), listId, r), "roster_list_set");
        } finally {
            // The rule holds only raw addresses of these arrays: keep their
            // memory alive until the library has returned.
            Reference.reachabilityFence(roles);
            Reference.reachabilityFence(members);
        }
    }

    /** Removes the list; its subscribers get a last frame. */
    public void removeList(long listId) {
        check(CApi.LIB.roster_list_remove(handle(), listId), "roster_list_remove");
    }

    /* ---- Sessions ------------------------------------------------------------ */

    /**
     * Subscribes the session (created on first use) to ranges of the list,
     * replacing its previous subscription to that list. No ranges:
     * unsubscribes from the list.
     */
    public void subscribe(long sessionId, long listId, Range... ranges) {
        CApi.RosterRange[] r = null;
        if (ranges.length > 0) {
            // One contiguous C array (JNA writes every element before the call).
            r = (CApi.RosterRange[]) new CApi.RosterRange().toArray(ranges.length);
            for (int i = 0; i < ranges.length; i++) {
                r[i].start = ranges[i].start();
                r[i].end = ranges[i].end();
            }
        }
        check(CApi.LIB.roster_session_subscribe(handle(), sessionId, listId, r, size(ranges.length)),
                "roster_session_subscribe");
    }

    /** Ends the session's subscription to the list (the session stays). */
    public void unsubscribe(long sessionId, long listId) {
        subscribe(sessionId, listId);
    }

    /** Removes the session and all its subscriptions. Allowed inside the listener. */
    public void removeSession(long sessionId) {
        check(CApi.LIB.roster_session_remove(handle(), sessionId), "roster_session_remove");
    }

    /** Number of sessions. */
    public int sessionCount() {
        IntByReference out = new IntByReference();
        check(CApi.LIB.roster_guild_session_count(out, handle()), "roster_guild_session_count");
        return out.getValue();
    }

    /* ---- Helpers ------------------------------------------------------------- */

    private Pointer handle() {
        if (handle == null) {
            throw new IllegalStateException("the guild is closed");
        }
        return handle;
    }

    /**
     * Turns a call's outcome into Java: first what the listener threw during
     * the call (if anything), else a RosterException for a failing status.
     */
    private void check(int status, String call) {
        Throwable err = listenerError;
        listenerError = null;
        if (err != null) {
            if (status != Roster.OK) {
                err.addSuppressed(new RosterException(status, call));
            }
            if (err instanceof RuntimeException e) {
                throw e;
            }
            if (err instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException("the frame listener failed", err);
        }
        if (status != Roster.OK) {
            throw new RosterException(status, call);
        }
    }

    /** Names are passed as pointer + length: UTF-8 bytes, no terminator. */
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long[] orNull(long[] ids) {
        return ids == null || ids.length == 0 ? null : ids;
    }

    private static CApi.SizeT size(long n) {
        return new CApi.SizeT(n);
    }

    /** A contiguous roster_overwrite array (null when empty), written to native memory. */
    private static CApi.RosterOverwrite[] overwrites(List<ListRule.Overwrite> list) {
        if (list.isEmpty()) {
            return null;
        }
        CApi.RosterOverwrite[] a = (CApi.RosterOverwrite[]) new CApi.RosterOverwrite().toArray(list.size());
        for (int i = 0; i < a.length; i++) {
            a[i].id = list.get(i).id();
            a[i].allow = list.get(i).allow() ? 1 : 0;
            a[i].write();
        }
        return a;
    }
}
