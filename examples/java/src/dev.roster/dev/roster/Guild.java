package dev.roster;

import com.sun.jna.Pointer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A guild (roster_guild): its roles, members, lists and the sessions that
 * view them. The Java object owns the C guild: {@link #close()} frees it,
 * exactly once (use try-with-resources). A guild that is never closed is
 * never freed: there is no finalizer or Cleaner, as in C.
 *
 * Every call that fails throws {@link RosterException}, which carries the
 * C status code and its name. Calls that change the guild or a subscription
 * deliver their frames to the {@link FrameListener} before they return (or,
 * inside {@link #batchBegin()} ... {@link #batchCommit()}, at the outermost
 * commit).
 *
 * Threading: a guild is used by one thread at a time (calls on one guild
 * must not overlap; distinct guilds are independent). The listener and the
 * snapshot streams run on the calling thread, inside the call.
 *
 * Ids are unsigned 64-bit values held in a long; 0 is never a valid id.
 * Counts and row indices are unsigned 32-bit values held in an int.
 */
public final class Guild implements AutoCloseable {
    private long handle;
    private FrameListener listener;
    /** What a callback (listener, save stream) threw during the current call, rethrown when it returns. */
    private Throwable callbackError;
    /** Callbacks of this guild in progress (frame listener, save stream): close() is refused inside. */
    private int depth;
    /** The view handed to the listener, reused for every frame. */
    private final FrameView view = new FrameView();
    /**
     * The native callback. JNA frees a callback's native entry point once the
     * Java object is garbage-collected, so the guild holds it for as long as
     * the library may call it.
     */
    private final Trampoline trampoline = new Trampoline(this);
    /** Native memory for the structs of a call: [0] for calls, [1] for calls from inside a callback. */
    private final NativeBuffer[] scratch = new NativeBuffer[2];

    /** A guild with the default settings (ROSTER_CONFIG_INIT): roster_guild_create. */
    public Guild() {
        this((GuildConfig) null);
    }

    /** A guild with the given settings (null: the defaults): roster_guild_create. */
    public Guild(GuildConfig config) {
        long[] out = new long[1];
        NativeBuffer c = nativeConfig(config);
        int status = CApi.roster_guild_create(out, c == null ? null : c.pointer());
        if (status != Roster.OK) {
            throw new RosterException(status, "roster_guild_create");
        }
        handle = out[0];
    }

    /** Owns a guild the library made (a loaded one). */
    private Guild(long loaded) {
        handle = loaded;
    }

    private static NativeBuffer nativeConfig(GuildConfig config) {
        if (config == null) {
            return null;
        }
        NativeBuffer b = new NativeBuffer(Layout.CONFIG_SIZE);
        config.writeTo(b.buffer());
        return b;
    }

    /* ---- Snapshots: loading -------------------------------------------------- */

    /**
     * A guild loaded from a snapshot in memory (roster_guild_load_buffer; the
     * bytes are not kept). config gives the limits (null: the defaults); the
     * settings come from the snapshot (its offline threshold, @everyone's
     * VIEW and chunk size, not the config's). The guild is owned like a new
     * one (close it) and has no listener: set one with setFrameListener.
     * Loading delivers no frame; saved sessions go on receiving incremental
     * ops. Errors: ECORRUPT (damaged or truncated bytes), EVERSION, ELIMIT
     * (the snapshot exceeds a limit of config), EINVAL (a config the
     * constructor refuses), ENOMEM.
     */
    public static Guild load(byte[] snapshot, GuildConfig config) {
        Objects.requireNonNull(snapshot, "snapshot");
        long[] out = new long[1];
        NativeBuffer c = nativeConfig(config);
        int status = CApi.roster_guild_load_buffer(out, c == null ? null : c.pointer(), snapshot,
                snapshot.length);
        if (status != Roster.OK) {
            throw new RosterException(status, "roster_guild_load_buffer");
        }
        return new Guild(out[0]);
    }

    /** A guild loaded from a snapshot in memory, with the default limits. */
    public static Guild load(byte[] snapshot) {
        return load(snapshot, null);
    }

    /**
     * A guild loaded from a stream (roster_guild_load: the library asks for
     * the bytes it needs, at most a little over 64 KiB at a time, and keeps
     * no more than that). Reads up to the end of the snapshot, not
     * necessarily to the end of the stream. What the stream throws comes out
     * of this call as it is (the library then returned EIO and nothing was
     * made). Otherwise as {@link #load(byte[], GuildConfig)}.
     */
    public static Guild load(InputStream in, GuildConfig config) throws IOException {
        Objects.requireNonNull(in, "in");
        LoadSource source = new LoadSource(in);
        long[] out = new long[1];
        NativeBuffer c = nativeConfig(config);
        int status;
        try {
            status = CApi.roster_guild_load(out, c == null ? null : c.pointer(), source, null);
        } finally {
            // The library holds only the callback's native entry point.
            Reference.reachabilityFence(source);
        }
        if (source.failure != null) {
            if (status == Roster.OK) {
                CApi.roster_guild_destroy(out[0]); // cannot happen: a failed read stops the load
            }
            throw rethrowIo(source.failure);
        }
        if (status != Roster.OK) {
            throw new RosterException(status, "roster_guild_load");
        }
        return new Guild(out[0]);
    }

    /** A guild loaded from a stream, with the default limits. */
    public static Guild load(InputStream in) throws IOException {
        return load(in, null);
    }

    /** The roster_read_fn of one load: fills the library's buffer from the stream. */
    private static final class LoadSource implements CApi.ReadFn {
        private final InputStream in;
        private final Pointer at = new Pointer(0);
        private byte[] chunk = new byte[0];
        private Throwable failure;

        LoadSource(InputStream in) {
            this.in = in;
        }

        @Override
        public int invoke(long buf, long cap, long got, long userData) {
            try {
                int want = (int) Math.min(cap, 1 << 20);
                if (chunk.length < want) {
                    chunk = new byte[want];
                }
                int n = want == 0 ? 0 : in.read(chunk, 0, want);
                if (n < 0) {
                    n = 0; // the end of the stream
                }
                if (n > 0) {
                    Pointer.nativeValue(at, buf);
                    at.write(0, chunk, 0, n);
                }
                Pointer.nativeValue(at, got);
                at.setLong(0, n);
                return 0;
            } catch (Throwable t) {
                failure = t; // must not unwind through C: rethrown by load
                return -1;
            }
        }
    }

    /* ---- Lifetime ---------------------------------------------------------- */

    /**
     * Frees the guild (roster_guild_destroy), exactly once: closing again is
     * harmless, and every other call then throws IllegalStateException. Not
     * allowed from inside this guild's frame listener or save stream (it
     * would free the guild under the library's feet): RosterException EBUSY.
     */
    @Override
    public void close() {
        if (depth > 0) {
            throw new RosterException(Roster.EBUSY, "roster_guild_destroy");
        }
        if (handle != 0) {
            long h = handle;
            handle = 0;
            listener = null;
            CApi.roster_guild_destroy(h);
        }
    }

    /** Whether {@link #close()} has freed the guild. */
    public boolean isClosed() {
        return handle == 0;
    }

    /* ---- Guild settings ------------------------------------------------------- */

    /** Guild-wide @everyone VIEW setting (roster_guild_set_everyone_view). */
    public void setEveryoneView(boolean view) {
        check(CApi.roster_guild_set_everyone_view(handle(), view ? 1 : 0), "roster_guild_set_everyone_view");
    }

    /** The offline threshold (roster_guild_set_offline_threshold): offline members are shown while members < threshold. */
    public void setOfflineThreshold(int threshold) {
        check(CApi.roster_guild_set_offline_threshold(handle(), threshold),
                "roster_guild_set_offline_threshold");
    }

    /** Number of members in the guild (roster_guild_member_count). */
    public int memberCount() {
        int[] out = new int[1];
        check(CApi.roster_guild_member_count(out, handle()), "roster_guild_member_count");
        return out[0];
    }

    /* ---- Frames -------------------------------------------------------------- */

    /**
     * Sets the listener that receives every frame (roster_guild_set_frame_callback;
     * null: frames are computed and dropped). Not allowed from inside the
     * listener (EBUSY).
     */
    public void setFrameListener(FrameListener frameListener) {
        check(CApi.roster_guild_set_frame_callback(handle(),
                frameListener == null ? null : trampoline, null), "roster_guild_set_frame_callback");
        listener = frameListener;
    }

    /**
     * Switches the frame queue on or off (roster_guild_set_frame_queue): on,
     * each flush appends its frames to a buffer the library keeps, and
     * {@link #takeFrames} hands them to a listener; the frame listener, if
     * any, is cleared. Off: frames are dropped until a listener or the queue
     * is set again; frames not yet taken stay to be taken. The queue costs
     * no call from C into Java per frame: the way for hosts whose frames are
     * many and small. Not allowed from inside a listener (EBUSY).
     */
    public void setFrameQueue(boolean enable) {
        if (depth > 0) {
            throw new RosterException(Roster.EBUSY, "roster_guild_set_frame_queue");
        }
        check(CApi.roster_guild_set_frame_queue(handle(), enable ? 1 : 0), "roster_guild_set_frame_queue");
        if (enable) {
            listener = null;
        }
    }

    /**
     * Takes the frames queued since the last take (roster_guild_take_frames)
     * and hands each, in order, to frameListener through a view (the take is
     * copied into a reused Java array in one call; no object per frame, op
     * or row): returns how many.
     * Each view is valid during its call only, as with a frame listener. The
     * listener may change the guild (the frames of those changes are queued
     * for the next take), but not take frames or close the guild (EBUSY).
     * What the listener throws is kept; the remaining frames are still
     * delivered, and the first exception is thrown at the end (the frames
     * were taken: they are not queued again).
     */
    public int takeFrames(FrameListener frameListener) {
        Objects.requireNonNull(frameListener, "frameListener");
        if (depth > 0) {
            throw new RosterException(Roster.EBUSY, "roster_guild_take_frames");
        }
        long[] data = takeOut[0];
        long[] len = takeOut[1];
        check(CApi.roster_guild_take_frames(data, len, handle()), "roster_guild_take_frames");
        long n = len[0];
        if (n == 0) {
            return 0;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalStateException("a take of " + Long.toUnsignedString(n) + " bytes");
        }
        if (n % 8 != 0) {
            throw new IllegalStateException("a take of " + n + " bytes (not whole records)");
        }
        int limit = (int) (n / 4);
        if (queueWords.length < limit) {
            queueWords = new int[Math.max(limit, 2 * queueWords.length)];
        }
        int[] w = queueWords;
        Pointer.nativeValue(queueAt, data[0]);
        queueAt.read(0, w, 0, limit); // one copy into Java memory, then plain array loads
        int frames = 0;
        Throwable failed = null;
        depth++;
        try {
            for (int at = 0; at < limit; frames++) {
                at += view.openRecord(w, at, limit);
                try {
                    frameListener.onFrame(view);
                } catch (Throwable t) {
                    if (failed == null) {
                        failed = t;
                    } else if (failed != t) {
                        failed.addSuppressed(t);
                    }
                } finally {
                    view.close();
                }
            }
        } finally {
            depth--;
        }
        if (failed instanceof RuntimeException e) {
            throw e;
        }
        if (failed instanceof Error e) {
            throw e;
        }
        if (failed != null) {
            throw new IllegalStateException("the frame listener failed", failed);
        }
        return frames;
    }

    /** Out-parameters of roster_guild_take_frames, kept: a take allocates nothing. */
    private final long[][] takeOut = {new long[1], new long[1]};
    /** The last take, copied (grown as needed, then reused). */
    private int[] queueWords = new int[0];
    private final Pointer queueAt = new Pointer(0);

    /** roster_frame_fn: forwards to the guild (a nested class: JNA calls it through JNI). */
    private static final class Trampoline implements CApi.FrameFn {
        private final Guild guild;

        Trampoline(Guild guild) {
            this.guild = guild;
        }

        @Override
        public void invoke(long frame, long sessions, long sessionCount, long userData) {
            guild.deliver(frame, sessions, sessionCount);
        }
    }

    /**
     * Called by the library during a flush. The view reads the frame in
     * place and is closed when the listener returns. An exception must not
     * unwind through the C library: it is kept and rethrown by the call
     * that flushed.
     */
    private void deliver(long frame, long sessions, long sessionCount) {
        FrameListener l = listener;
        if (l == null) {
            return;
        }
        // The library does not nest deliveries; a fresh view if it ever did.
        FrameView v = depth == 0 ? view : new FrameView();
        depth++;
        try {
            v.open(frame, sessions, sessionCount);
            l.onFrame(v);
        } catch (Throwable t) {
            keep(t);
        } finally {
            v.close();
            depth--;
        }
    }

    private void keep(Throwable t) {
        if (callbackError == null) {
            callbackError = t;
        } else if (callbackError != t) {
            callbackError.addSuppressed(t);
        }
    }

    /* ---- Snapshots: saving and statistics ---------------------------------------- */

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
     * (what was written is then not a snapshot). The stream runs inside the
     * call: it may query the guild, not close it (EBUSY). Other errors:
     * EINVAL (unknown flags, inside a batch), EBUSY (inside the listener),
     * EFLUSH, ENOMEM.
     */
    public void save(int flags, OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        SaveSink sink = new SaveSink(this, out);
        int status;
        try {
            status = CApi.roster_guild_save(handle(), flags, sink, null);
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
        Throwable listenerFailure = callbackError;
        callbackError = null;
        if (listenerFailure != null && listenerFailure != failure) {
            failure.addSuppressed(listenerFailure);
        }
        throw rethrowIo(failure);
    }

    /** Throws t if it is an IOException or unchecked; otherwise returns it wrapped, to throw. */
    private static IOException rethrowIo(Throwable t) throws IOException {
        if (t instanceof IOException e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IOException("the snapshot stream failed", t);
    }

    /**
     * The roster_write_fn of one save: hands each piece to the stream. An
     * exception must not unwind through the C library: it is kept (and the
     * save stopped) for save to rethrow.
     */
    private static final class SaveSink implements CApi.WriteFn {
        private final Guild guild;
        private final OutputStream out;
        private final Pointer at = new Pointer(0);
        private byte[] chunk = new byte[0];
        private Throwable failure;

        SaveSink(Guild guild, OutputStream out) {
            this.guild = guild;
            this.out = out;
        }

        @Override
        public int invoke(long data, long len, long userData) {
            guild.depth++;
            try {
                int n = Math.toIntExact(len);
                if (n > 0) {
                    // Copied out of the library's buffer, valid only during the call.
                    if (chunk.length < n) {
                        chunk = new byte[n];
                    }
                    Pointer.nativeValue(at, data);
                    at.read(0, chunk, 0, n);
                    out.write(chunk, 0, n);
                }
                return 0;
            } catch (Throwable t) {
                failure = t;
                return -1;
            } finally {
                guild.depth--;
            }
        }
    }

    /** The guild's counters and sizes (roster_guild_stats). */
    public Stats stats() {
        NativeBuffer s = scratch(Layout.STATS_SIZE).zero(Layout.STATS_SIZE);
        s.buffer().putInt(0, Layout.STATS_SIZE);
        check(CApi.roster_guild_stats(s.pointer(), handle()), "roster_guild_stats");
        return Stats.read(s.buffer());
    }

    /* ---- Batches and flushes ----------------------------------------------------- */

    /** Starts a batch (roster_batch_begin): frames of the events until the outermost commit are delivered then. */
    public void batchBegin() {
        check(CApi.roster_batch_begin(handle()), "roster_batch_begin");
    }

    /** Ends a batch level (roster_batch_commit); the outermost commit delivers its frames. */
    public void batchCommit() {
        check(CApi.roster_batch_commit(handle()), "roster_batch_commit");
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

    /**
     * Delivers the frames of everything not delivered yet (roster_guild_flush):
     * after an EFLUSH this resynchronises the sessions. Nothing to deliver:
     * no frame. Errors: EINVAL (inside a batch), EBUSY, EFLUSH.
     */
    public void flush() {
        check(CApi.roster_guild_flush(handle()), "roster_guild_flush");
    }

    /* ---- Roles --------------------------------------------------------------- */

    /** Creates the role or replaces its settings (roster_role_upsert). */
    public void upsertRole(Role role) {
        NativeBuffer r = scratch(Layout.ROLE_SIZE);
        ByteBuffer b = r.buffer();
        b.putLong(Layout.ROLE_ID, role.id());
        b.putInt(Layout.ROLE_POSITION, role.position());
        b.putInt(Layout.ROLE_FLAGS, role.flags());
        check(CApi.roster_role_upsert(handle(), r.pointer()), "roster_role_upsert");
    }

    /** Removes the role from the guild and from every member holding it (roster_role_remove). */
    public void removeRole(long roleId) {
        check(CApi.roster_role_remove(handle(), roleId), "roster_role_remove");
    }

    /**
     * Sets the positions of many roles at once (roster_roles_reorder):
     * roleIds[i] gets positions[i]; ids distinct and existing.
     */
    public void reorderRoles(long[] roleIds, int[] positions) {
        if (roleIds.length != positions.length) {
            throw new IllegalArgumentException("roleIds and positions differ in length");
        }
        int n = roleIds.length;
        check(CApi.roster_roles_reorder(handle(), n == 0 ? null : roleIds, n == 0 ? null : positions, n),
                "roster_roles_reorder");
    }

    /* ---- Members ------------------------------------------------------------- */

    /** Adds a member (roster_member_add). name: 1..128 bytes of UTF-8; roles: role ids (null or empty: none). */
    public void addMember(long userId, String name, long[] roles, Presence status) {
        byte[] n = utf8(name);
        long[] r = orNull(roles);
        check(CApi.roster_member_add(handle(), userId, n, n.length, r, length(r), status.code()),
                "roster_member_add");
    }

    /** Like addMember, but replaces the data of an existing member (roster_member_upsert). */
    public void upsertMember(long userId, String name, long[] roles, Presence status) {
        byte[] n = utf8(name);
        long[] r = orNull(roles);
        check(CApi.roster_member_upsert(handle(), userId, n, n.length, r, length(r), status.code()),
                "roster_member_upsert");
    }

    /**
     * Adds every member of the batch at once, all or nothing
     * (roster_members_add: one sort per list instead of an insert per
     * member). The exception's status is the first failing entry's.
     */
    public void addMembers(MemberBatch members) {
        int status = CApi.roster_members_add(handle(), members.specs().pointer(), members.size());
        // The names and roles are in the batch's other blocks, which C reads
        // through raw addresses: the batch stays reachable until C returns.
        Reference.reachabilityFence(members);
        check(status, "roster_members_add");
    }

    /**
     * {@link #addMembers} that also says which entry failed
     * (roster_members_add_at): the exception's {@link RosterException#failedIndex()}
     * is the index of the first failing entry, or the batch's size when the
     * error is not about one entry (ELIMIT, ENOMEM, EBUSY).
     */
    public void addMembersAt(MemberBatch members) {
        long[] failed = {-1};
        int status = CApi.roster_members_add_at(failed, handle(), members.specs().pointer(),
                members.size());
        Reference.reachabilityFence(members); // as in addMembers
        check(status, "roster_members_add_at", failed[0]);
    }

    /** Removes the member from the guild and every list (roster_member_remove). */
    public void removeMember(long userId) {
        check(CApi.roster_member_remove(handle(), userId), "roster_member_remove");
    }

    /** Sets the member's status (roster_member_set_status). */
    public void setMemberStatus(long userId, Presence status) {
        check(CApi.roster_member_set_status(handle(), userId, status.code()),
                "roster_member_set_status");
    }

    /** Renames the member (roster_member_set_name; UTF-8, 1..128 bytes). */
    public void setMemberName(long userId, String name) {
        byte[] n = utf8(name);
        check(CApi.roster_member_set_name(handle(), userId, n, n.length), "roster_member_set_name");
    }

    /**
     * A host sort key (roster_member_set_sort_key: bytes, 1..max_sort_key_bytes)
     * replacing the default (the name with ASCII A-Z folded to a-z); null
     * restores the default. Errors also: EINVAL (empty key), ELIMIT (too long).
     */
    public void setMemberSortKey(long userId, byte[] key) {
        check(CApi.roster_member_set_sort_key(handle(), userId, key, key == null ? 0 : key.length),
                "roster_member_set_sort_key");
    }

    /** Replaces the member's roles (roster_member_set_roles; none: no roles). */
    public void setMemberRoles(long userId, long... roles) {
        long[] r = orNull(roles);
        check(CApi.roster_member_set_roles(handle(), userId, r, length(r)), "roster_member_set_roles");
    }

    /** Gives the member one role (roster_member_add_role; nothing when it has it). */
    public void addMemberRole(long userId, long roleId) {
        check(CApi.roster_member_add_role(handle(), userId, roleId), "roster_member_add_role");
    }

    /** Takes one role from the member (roster_member_remove_role; nothing when it does not have it). */
    public void removeMemberRole(long userId, long roleId) {
        check(CApi.roster_member_remove_role(handle(), userId, roleId), "roster_member_remove_role");
    }

    /** The member's data changed without moving it (roster_member_touch: avatar, activity, ...). */
    public void touchMember(long userId) {
        check(CApi.roster_member_touch(handle(), userId), "roster_member_touch");
    }

    /**
     * Applies the batch's events in order (roster_events_apply: one call into
     * C for the whole batch). Each event does what its own call does; one
     * that fails changes nothing and the later ones still apply. The frames
     * of the whole batch are delivered once, when it ends (or at the commit
     * of an enclosing batch). Throws the status of the first failing event
     * (the others were applied), EFLUSH, or EBUSY (inside the listener:
     * nothing applied).
     */
    public void apply(EventBatch events) {
        apply(events, null);
    }

    /**
     * {@link #apply(EventBatch)} that also reports each event's status:
     * statuses[i] receives what event i's own call would return (Roster.OK
     * or a Roster.E* code). statuses (null: not wanted) must hold at least
     * events.size() entries; it is written whenever the events were applied,
     * also when this throws, but not when the call itself was refused
     * (EBUSY).
     */
    public void apply(EventBatch events, int[] statuses) {
        int n = events.size();
        if (statuses != null && statuses.length < n) {
            throw new IllegalArgumentException("statuses holds " + statuses.length + " entries for "
                    + n + " events");
        }
        int status = CApi.roster_events_apply(handle(), events.events().pointer(), n,
                Layout.EVENT_SIZE, statuses);
        // The names and role arrays are in the batch's other blocks, which C
        // reads through raw addresses: the batch stays reachable until C returns.
        Reference.reachabilityFence(events);
        check(status, "roster_events_apply");
    }

    /** A member's data (roster_member_get). Errors: ENOTFOUND. */
    public Member member(long userId) {
        long[] total = new long[1];
        int cap = 16;
        while (true) {
            NativeBuffer s = scratch(Layout.INFO_SIZE + 8L * cap);
            Pointer roles = s.pointer().share(Layout.INFO_SIZE);
            check(CApi.roster_member_get(s.pointer(), roles, cap, total, handle(), userId),
                    "roster_member_get");
            if (total[0] > cap) {
                cap = Math.toIntExact(total[0]); // roles grew past the guess: ask again
                continue;
            }
            ByteBuffer b = s.buffer();
            // name points into the guild, valid until the next change: copied now.
            int nameLen = Math.toIntExact(b.getLong(Layout.INFO_NAME_LEN));
            Pointer name = new Pointer(b.getLong(Layout.INFO_NAME));
            String n = new String(name.getByteArray(0, nameLen), StandardCharsets.UTF_8);
            return new Member(b.getLong(Layout.INFO_ID), n, Presence.of(b.getInt(Layout.INFO_STATUS)),
                    b.getLong(Layout.INFO_GROUP), roles.getLongArray(0, (int) total[0]));
        }
    }

    /* ---- Lists --------------------------------------------------------------- */

    /** Creates list listId (not 0) with the rule, or replaces its rule (roster_list_set). */
    public void setList(long listId, ListRule rule) {
        int nr = rule.roles().size();
        int nm = rule.members().size();
        NativeBuffer s = scratch(Layout.RULE_SIZE + (long) Layout.OVERWRITE_SIZE * (nr + nm));
        ByteBuffer b = s.buffer();
        long rolesAt = Layout.RULE_SIZE;
        long membersAt = rolesAt + (long) Layout.OVERWRITE_SIZE * nr;
        b.putInt(0, Layout.RULE_SIZE);
        b.putInt(Layout.RULE_EVERYONE, rule.everyone().code());
        b.putLong(Layout.RULE_ROLES, nr == 0 ? 0 : s.address() + rolesAt);
        b.putLong(Layout.RULE_ROLE_COUNT, nr);
        b.putLong(Layout.RULE_MEMBERS, nm == 0 ? 0 : s.address() + membersAt);
        b.putLong(Layout.RULE_MEMBER_COUNT, nm);
        writeOverwrites(b, (int) rolesAt, rule.roles());
        writeOverwrites(b, (int) membersAt, rule.members());
        check(CApi.roster_list_set(handle(), listId, s.pointer()), "roster_list_set");
    }

    private static void writeOverwrites(ByteBuffer b, int at, List<ListRule.Overwrite> list) {
        for (ListRule.Overwrite o : list) {
            b.putLong(at + Layout.OVERWRITE_ID, o.id());
            b.putInt(at + Layout.OVERWRITE_ALLOW, o.allow() ? 1 : 0);
            b.putInt(at + Layout.OVERWRITE_ALLOW + 4, 0); // padding
            at += Layout.OVERWRITE_SIZE;
        }
    }

    /** Removes the list (roster_list_remove); its subscribers get a last frame. */
    public void removeList(long listId) {
        check(CApi.roster_list_remove(handle(), listId), "roster_list_remove");
    }

    /** Number of rows of the list, headers included (roster_list_length). */
    public int listLength(long listId) {
        int[] out = new int[1];
        check(CApi.roster_list_length(out, handle(), listId), "roster_list_length");
        return out[0];
    }

    /** The list's member and online counts (roster_list_counts). */
    public ListCounts listCounts(long listId) {
        int[] members = new int[1];
        int[] online = new int[1];
        check(CApi.roster_list_counts(members, online, handle(), listId), "roster_list_counts");
        return new ListCounts(members[0], online[0]);
    }

    /** The groups that appear in the list, in order (roster_list_groups). */
    public List<Group> listGroups(long listId) {
        long[] total = new long[1];
        int cap = 16;
        while (true) {
            NativeBuffer s = scratch((long) Layout.GROUP_SIZE * cap);
            check(CApi.roster_list_groups(s.pointer(), cap, total, handle(), listId), "roster_list_groups");
            if (total[0] > cap) {
                cap = Math.toIntExact(total[0]);
                continue;
            }
            ByteBuffer b = s.buffer();
            List<Group> groups = new ArrayList<>((int) total[0]);
            for (int i = 0; i < total[0]; i++) {
                int at = i * Layout.GROUP_SIZE;
                groups.add(new Group(b.getLong(at + Layout.GROUP_ID), b.getInt(at + Layout.GROUP_COUNT)));
            }
            return groups;
        }
    }

    /**
     * Rows start..end of the list (roster_list_rows; unsigned, both
     * inclusive; end clipped to the last row, nothing when start is past
     * the end). Errors also: EINVAL (end below start).
     */
    public List<Row> listRows(long listId, int start, int end) {
        long wanted = Integer.toUnsignedLong(end) - Integer.toUnsignedLong(start) + 1;
        int cap = (int) Math.max(0, Math.min(wanted, 1024));
        long[] total = new long[1];
        while (true) {
            NativeBuffer s = scratch((long) Layout.ROW_SIZE * Math.max(cap, 1));
            check(CApi.roster_list_rows(s.pointer(), cap, total, handle(), listId, start, end),
                    "roster_list_rows");
            if (total[0] > cap) {
                cap = Math.toIntExact(total[0]);
                continue;
            }
            ByteBuffer b = s.buffer();
            List<Row> rows = new ArrayList<>((int) total[0]);
            for (int i = 0; i < total[0]; i++) {
                int at = i * Layout.ROW_SIZE;
                rows.add(new Row(b.getInt(at + Layout.ROW_KIND), b.getInt(at + Layout.ROW_COUNT),
                        b.getLong(at + Layout.ROW_GROUP), b.getLong(at + Layout.ROW_USER)));
            }
            return rows;
        }
    }

    /**
     * The row of a member shown in the list (roster_list_index_of). Errors:
     * ENOTFOUND (unknown member, not visible in the list, or hidden).
     */
    public int listIndexOf(long listId, long userId) {
        int[] out = new int[1];
        check(CApi.roster_list_index_of(out, handle(), listId, userId), "roster_list_index_of");
        return out[0];
    }

    /**
     * Whether the member may view the list by its rule, shown or hidden as
     * offline (roster_list_can_view); false for a user who is not a member.
     * Errors: ENOTFOUND (unknown list).
     */
    public boolean listCanView(long listId, long userId) {
        int[] out = new int[1];
        check(CApi.roster_list_can_view(out, handle(), listId, userId), "roster_list_can_view");
        return out[0] != 0;
    }

    /* ---- Sessions ------------------------------------------------------------ */

    /**
     * Subscribes the session (created on first use) to ranges of the list,
     * replacing its previous subscription to that list
     * (roster_session_subscribe). No ranges: unsubscribes from the list.
     */
    public void subscribe(long sessionId, long listId, Range... ranges) {
        int n = ranges.length;
        NativeBuffer s = scratch((long) Layout.RANGE_SIZE * Math.max(n, 1));
        ByteBuffer b = s.buffer();
        for (int i = 0; i < n; i++) {
            b.putInt(i * Layout.RANGE_SIZE + Layout.RANGE_START, ranges[i].start());
            b.putInt(i * Layout.RANGE_SIZE + Layout.RANGE_END, ranges[i].end());
        }
        check(CApi.roster_session_subscribe(handle(), sessionId, listId, n == 0 ? null : s.pointer(), n),
                "roster_session_subscribe");
    }

    /** Ends the session's subscription to the list (the session stays). Allowed inside the listener. */
    public void unsubscribe(long sessionId, long listId) {
        subscribe(sessionId, listId);
    }

    /** Removes the session and all its subscriptions (roster_session_remove). Allowed inside the listener. */
    public void removeSession(long sessionId) {
        check(CApi.roster_session_remove(handle(), sessionId), "roster_session_remove");
    }

    /**
     * The session's normalised ranges for a list (roster_session_ranges:
     * whole chunks, ascending, adjacent ones merged; empty when not
     * subscribed). Errors: ENOTFOUND (unknown session).
     */
    public List<Range> sessionRanges(long sessionId, long listId) {
        long[] total = new long[1];
        int cap = 8;
        while (true) {
            NativeBuffer s = scratch((long) Layout.RANGE_SIZE * cap);
            check(CApi.roster_session_ranges(s.pointer(), cap, total, handle(), sessionId, listId),
                    "roster_session_ranges");
            if (total[0] > cap) {
                cap = Math.toIntExact(total[0]);
                continue;
            }
            ByteBuffer b = s.buffer();
            List<Range> ranges = new ArrayList<>((int) total[0]);
            for (int i = 0; i < total[0]; i++) {
                ranges.add(new Range(b.getInt(i * Layout.RANGE_SIZE + Layout.RANGE_START),
                        b.getInt(i * Layout.RANGE_SIZE + Layout.RANGE_END)));
            }
            return ranges;
        }
    }

    /** Number of sessions (roster_guild_session_count). */
    public int sessionCount() {
        int[] out = new int[1];
        check(CApi.roster_guild_session_count(out, handle()), "roster_guild_session_count");
        return out[0];
    }

    /* ---- Helpers ------------------------------------------------------------- */

    private long handle() {
        if (handle == 0) {
            throw new IllegalStateException("the guild is closed");
        }
        return handle;
    }

    /**
     * The native memory for the structs of one call. A call made from inside
     * a callback gets other memory than the call that is delivering (which
     * may still be using its own).
     */
    private NativeBuffer scratch(long bytes) {
        if (depth > 1) {
            return new NativeBuffer((int) bytes);
        }
        NativeBuffer b = scratch[depth];
        if (b == null) {
            b = scratch[depth] = new NativeBuffer(256);
        }
        return b.ensure(bytes);
    }

    private void check(int status, String call) {
        check(status, call, -1);
    }

    /**
     * Turns a call's outcome into Java: first what a callback threw during
     * the call (if anything, with the failing status suppressed), else a
     * RosterException for a failing status. A call made from inside a
     * callback leaves what an earlier callback of the outer call threw to
     * the outer call.
     */
    private void check(int status, String call, long failedIndex) {
        Throwable err = depth == 0 ? callbackError : null;
        if (err != null) {
            callbackError = null;
            if (status != Roster.OK) {
                err.addSuppressed(new RosterException(status, call, failedIndex));
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
            throw new RosterException(status, call, failedIndex);
        }
    }

    /** Names are passed as pointer + length: UTF-8 bytes, no terminator. */
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long[] orNull(long[] ids) {
        return ids == null || ids.length == 0 ? null : ids;
    }

    private static int length(long[] ids) {
        return ids == null ? 0 : ids.length;
    }
}
