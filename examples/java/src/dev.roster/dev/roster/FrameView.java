package dev.roster;

import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The frame a {@link FrameListener} receives (roster_frame and the sessions
 * it is for), read in place, in the library's memory: no copy of its arrays
 * and no Java object per frame, op or row. It is valid only during
 * {@link FrameListener#onFrame}; afterwards every accessor throws
 * IllegalStateException (the guild reuses the view for the next frame, and
 * the library's memory is gone). Keep {@link #copy()} to hold a frame
 * longer.
 *
 * How it reads: through direct ByteBuffers over the library's memory
 * (JNA's Pointer.getByteBuffer, native byte order), so an accessor is a
 * plain memory load after its checks (the view is open, the index is in
 * range). The library builds its frames in a few arrays it reuses (the
 * frame itself, the ops, the rows, the groups), so the view keeps a few
 * buffers, each spanning a window of address space around an array it was
 * asked for, and serves later arrays that fall inside a window from it:
 * after the first frames a frame costs no JNI call at all. Only the bytes of
 * the arrays the frame points at are ever read. The session ids are copied
 * into a Java array the first time they are asked for (each group of
 * sessions has its own array in the library).
 *
 * The same view reads the records of the frame queue
 * ({@link Guild#takeFrames}): the guild copies each take into a Java int
 * array in one call, and the view reads a record from it with plain array
 * loads; valid during the listener call for that record, as for a callback
 * frame.
 *
 * Indices are checked (IndexOutOfBoundsException). Ids are unsigned 64-bit
 * values in a long; counts, row indices and kinds are unsigned 32-bit
 * values in an int (read them with Integer.toUnsignedLong).
 */
public final class FrameView {
    /** ROSTER_OP_SYNC: rows [index, end]; its rows are the ones that exist. */
    public static final int SYNC = 0;
    /** ROSTER_OP_INSERT: insert row 0 at index; later rows shift +1. */
    public static final int INSERT = 1;
    /** ROSTER_OP_UPDATE: replace the row at index with row 0. */
    public static final int UPDATE = 2;
    /** ROSTER_OP_DELETE: remove the row at index; later rows shift -1. */
    public static final int DELETE = 3;
    /** ROSTER_OP_INVALIDATE: the sessions no longer hold rows [index, end]. */
    public static final int INVALIDATE = 4;

    /** Windows of address space kept (replaced round robin) and the span of a new one. */
    private static final int WINDOWS = 8;
    private static final long WINDOW_SPAN = 1 << 20;

    private final long[] windowStart = new long[WINDOWS];
    private final long[] windowEnd = new long[WINDOWS];
    private final ByteBuffer[] windows = new ByteBuffer[WINDOWS];
    private int windowCount;
    private int nextWindow;
    private int lastWindow;

    /** Repointed at an address (Pointer.nativeValue), so no Pointer per window or copy. */
    private final Pointer at = new Pointer(0);
    private boolean valid;

    private long listId;
    private int memberCount;
    private int onlineCount;

    private long sessionsAddress;
    private int sessionCount;
    private boolean sessionsRead;
    private long[] sessions = new long[16];

    private long groupsAddress;
    private int groupCount;
    private ByteBuffer groups;
    private int groupsAt;

    /**
     * A queue record (Guild.takeFrames): the taken buffer copied into Java
     * ints, read with plain array loads; null for a callback frame. Word
     * offsets: wSessions, wGroups, wOps; opRowAt[i] is then the word of op
     * i's first row.
     */
    private int[] words;
    private int wSessions;
    private int wGroups;
    private int wOps;
    private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private int opCount;
    private ByteBuffer ops;
    private int opsAt;

    /** Per op: its row count, the buffer holding its rows and the offset of the first. */
    private int[] opRows = new int[64];
    private ByteBuffer[] opRowBuffer = new ByteBuffer[64];
    private int[] opRowAt = new int[64];

    FrameView() {}

    /**
     * The window holding bytes [address, address + length) of the library's
     * memory (made when none does). Its buffer is windows[k] and the bytes
     * start at offset address - windowStart[k].
     */
    private int window(long address, long length) {
        int k = lastWindow;
        if (address >= windowStart[k] && address + length <= windowEnd[k] && windows[k] != null) {
            return k;
        }
        for (k = 0; k < windowCount; k++) {
            if (address >= windowStart[k] && address + length <= windowEnd[k]) {
                lastWindow = k;
                return k;
            }
        }
        // A new window from address on. It may span past the array's end, over
        // memory that is not the library's: nothing outside the arrays the
        // frame points at is ever read through it.
        long span = Math.max(length, WINDOW_SPAN);
        if (span > Integer.MAX_VALUE) {
            throw new IllegalStateException("a frame array of " + length + " bytes");
        }
        k = nextWindow;
        nextWindow = (nextWindow + 1) % WINDOWS;
        windowCount = Math.max(windowCount, k + 1);
        Pointer.nativeValue(at, address);
        windows[k] = at.getByteBuffer(0, span).order(ByteOrder.nativeOrder());
        windowStart[k] = address;
        windowEnd[k] = address + span;
        lastWindow = k;
        return k;
    }

    /** Starts a frame: called by the guild when the library calls back. */
    void open(long frame, long sessionArray, long count) {
        words = null;
        int k = window(frame, Layout.FRAME_SIZE);
        ByteBuffer f = windows[k];
        int o = (int) (frame - windowStart[k]);
        listId = f.getLong(o + Layout.FRAME_LIST_ID);
        memberCount = f.getInt(o + Layout.FRAME_MEMBER_COUNT);
        onlineCount = f.getInt(o + Layout.FRAME_ONLINE_COUNT);
        groupsAddress = f.getLong(o + Layout.FRAME_GROUPS);
        groupCount = count(f.getLong(o + Layout.FRAME_GROUP_COUNT));
        groups = null;
        long opsAddress = f.getLong(o + Layout.FRAME_OPS);
        opCount = count(f.getLong(o + Layout.FRAME_OP_COUNT));
        sessionsAddress = sessionArray;
        words = null;
        sessionCount = count(count);
        sessionsRead = false;
        readOps(opsAddress);
        valid = true;
    }

    /* Record layout of the frame queue (docs/frames.md, "The frame queue"). */
    static final int RECORD_HEAD = 40;
    static final int RECORD_OP_SIZE = 16;

    /**
     * Starts the frame of the queue record at word at of w (the taken bytes
     * as native-order ints; limit words are valid): returns the record's
     * size in words. Throws IllegalStateException when the record does not
     * fit or its size disagrees with its counts: nothing outside
     * [at, limit) is read.
     */
    int openRecord(int[] w, int at, int limit) {
        if (limit - at < RECORD_HEAD / 4) {
            throw malformed(at, "shorter than its head");
        }
        long size = word64(w, at);
        long s = Integer.toUnsignedLong(w[at + 6]);
        long g = Integer.toUnsignedLong(w[at + 7]);
        long o = Integer.toUnsignedLong(w[at + 8]);
        long r = Integer.toUnsignedLong(w[at + 9]);
        if (size != RECORD_HEAD + 8 * s + Layout.GROUP_SIZE * g + RECORD_OP_SIZE * o + Layout.ROW_SIZE * r
                || size > 4L * (limit - at)) {
            throw malformed(at, "size " + Long.toUnsignedString(size) + " against its counts");
        }
        words = w;
        listId = word64(w, at + 2);
        memberCount = w[at + 4];
        onlineCount = w[at + 5];
        sessionCount = (int) s;
        groupCount = (int) g;
        opCount = (int) o;
        wSessions = at + RECORD_HEAD / 4;
        wGroups = wSessions + 2 * sessionCount;
        wOps = wGroups + 4 * groupCount;
        if (opRows.length < opCount) {
            int n = Math.max(opCount, 2 * opRows.length);
            opRows = new int[n];
            opRowBuffer = new ByteBuffer[n];
            opRowAt = new int[n];
        }
        int row = wOps + 4 * opCount;
        long left = r;
        for (int i = 0; i < opCount; i++) {
            int n = w[wOps + 4 * i + 3];
            long un = Integer.toUnsignedLong(n);
            if (un > left) {
                throw malformed(at, "ops carry more rows than it has");
            }
            left -= un;
            opRows[i] = n;
            opRowAt[i] = row;
            row += 6 * n;
        }
        if (left != 0) {
            throw malformed(at, "rows no op carries");
        }
        valid = true;
        return (int) (size / 4);
    }

    /** The u64 at word k of w (native order). */
    private static long word64(int[] w, int k) {
        long a = Integer.toUnsignedLong(w[k]);
        long b = Integer.toUnsignedLong(w[k + 1]);
        return LITTLE ? a | b << 32 : b | a << 32;
    }

    private static IllegalStateException malformed(int at, String why) {
        return new IllegalStateException("a malformed frame queue record at byte " + at + ": " + why);
    }

    /** Ends the frame: the library's memory is no longer valid. */
    void close() {
        valid = false;
    }

    private static int count(long n) {
        if (n < 0 || n > Integer.MAX_VALUE / Layout.OP_SIZE) {
            throw new IllegalStateException("a frame array of " + Long.toUnsignedString(n) + " entries");
        }
        return (int) n;
    }

    private void check() {
        if (!valid) {
            throw invalid();
        }
    }

    private static IllegalStateException invalid() {
        return new IllegalStateException("a FrameView is valid only during FrameListener.onFrame (keep copy())");
    }

    private static IndexOutOfBoundsException outOfBounds(int i, int n) {
        return new IndexOutOfBoundsException("index " + i + " out of bounds for length " + n);
    }

    /** Whether the view may be read (true only during the listener call). */
    public boolean isValid() {
        return valid;
    }

    /* ---- The frame --------------------------------------------------------------- */

    /** The list the frame is about. */
    public long listId() {
        check();
        return listId;
    }

    /** Members visible in the list (as roster_list_counts). */
    public int memberCount() {
        check();
        return memberCount;
    }

    /** Those of them not offline. */
    public int onlineCount() {
        check();
        return onlineCount;
    }

    /* ---- Sessions ------------------------------------------------------------------ */

    /** Number of sessions this frame is for (they share it: identical subscriptions). */
    public int sessionCount() {
        check();
        return sessionCount;
    }

    /** Session i, in the library's order. */
    public long session(int i) {
        check();
        if (i < 0 || i >= sessionCount) {
            throw outOfBounds(i, sessionCount);
        }
        if (words != null) {
            return word64(words, wSessions + 2 * i);
        }
        if (!sessionsRead) {
            if (sessions.length < sessionCount) {
                sessions = new long[Math.max(sessionCount, 2 * sessions.length)];
            }
            Pointer.nativeValue(at, sessionsAddress);
            at.read(0, sessions, 0, sessionCount);
            sessionsRead = true;
        }
        return sessions[i];
    }

    /* ---- Groups -------------------------------------------------------------------- */

    /** Number of groups (sections) that appear in the list. */
    public int groupCount() {
        check();
        return groupCount;
    }

    /** The id of group i: a hoisted role's id or Roster.GROUP_ONLINE / GROUP_OFFLINE. */
    public long groupId(int i) {
        if (words != null) {
            checkGroup(i);
            return word64(words, wGroups + 4 * i);
        }
        ByteBuffer g = groupBuffer(i); // first: it may find the buffer
        return g.getLong(groupsAt + i * Layout.GROUP_SIZE + Layout.GROUP_ID);
    }

    /** The members in group i. */
    public int groupMembers(int i) {
        if (words != null) {
            checkGroup(i);
            return words[wGroups + 4 * i + 2];
        }
        ByteBuffer g = groupBuffer(i);
        return g.getInt(groupsAt + i * Layout.GROUP_SIZE + Layout.GROUP_COUNT);
    }

    private void checkGroup(int i) {
        check();
        if (i < 0 || i >= groupCount) {
            throw outOfBounds(i, groupCount);
        }
    }

    private ByteBuffer groupBuffer(int i) {
        check();
        if (i < 0 || i >= groupCount) {
            throw outOfBounds(i, groupCount);
        }
        if (groups == null) {
            int k = window(groupsAddress, (long) groupCount * Layout.GROUP_SIZE);
            groups = windows[k];
            groupsAt = (int) (groupsAddress - windowStart[k]);
        }
        return groups;
    }

    /* ---- Ops ------------------------------------------------------------------------- */

    /** Number of ops (0: only the counts or the groups changed). */
    public int opCount() {
        check();
        return opCount;
    }

    /** The kind of op i: {@link #SYNC}, {@link #INSERT}, {@link #UPDATE}, {@link #DELETE}, {@link #INVALIDATE}. */
    public int opKind(int i) {
        checkOp(i);
        return words != null ? words[wOps + 4 * i] : ops.getInt(opsAt + i * Layout.OP_SIZE + Layout.OP_KIND);
    }

    /** The row of op i, or the first row of its range (SYNC, INVALIDATE). */
    public int opIndex(int i) {
        checkOp(i);
        return words != null ? words[wOps + 4 * i + 1] : ops.getInt(opsAt + i * Layout.OP_SIZE + Layout.OP_INDEX);
    }

    /** The last row of op i's range (SYNC, INVALIDATE); the same as opIndex for the others. */
    public int opEnd(int i) {
        checkOp(i);
        return words != null ? words[wOps + 4 * i + 2] : ops.getInt(opsAt + i * Layout.OP_SIZE + Layout.OP_END);
    }

    /** The rows op i carries: SYNC the rows that exist in its range, INSERT and UPDATE 1, others 0. */
    public int opRowCount(int i) {
        checkOp(i);
        return opRows[i];
    }

    private void checkOp(int i) {
        check();
        if (i < 0 || i >= opCount) {
            throw outOfBounds(i, opCount);
        }
    }

    /* ---- Rows of an op ------------------------------------------------------------------ */

    /** Row j of op i: {@link Row#HEADER} or {@link Row#MEMBER}. */
    public int rowKind(int i, int j) {
        int r = rowAt(i, j);
        return words != null ? words[r] : opRowBuffer[i].getInt(r + Layout.ROW_KIND);
    }

    /** Row j of op i: a header's member count (0 for a member). */
    public int rowCount(int i, int j) {
        int r = rowAt(i, j);
        return words != null ? words[r + 1] : opRowBuffer[i].getInt(r + Layout.ROW_COUNT);
    }

    /** Row j of op i: its group, a role id or Roster.GROUP_*. */
    public long rowGroup(int i, int j) {
        int r = rowAt(i, j);
        return words != null ? word64(words, r + 2) : opRowBuffer[i].getLong(r + Layout.ROW_GROUP);
    }

    /** Row j of op i: a member's user id (0 for a header). */
    public long rowUser(int i, int j) {
        int r = rowAt(i, j);
        return words != null ? word64(words, r + 4) : opRowBuffer[i].getLong(r + Layout.ROW_USER);
    }

    /** Row j of op i, as a record (allocates; the accessors above do not). */
    public Row row(int i, int j) {
        int r = rowAt(i, j);
        if (words != null) {
            return new Row(words[r], words[r + 1], word64(words, r + 2), word64(words, r + 4));
        }
        ByteBuffer b = opRowBuffer[i];
        return new Row(b.getInt(r + Layout.ROW_KIND), b.getInt(r + Layout.ROW_COUNT),
                b.getLong(r + Layout.ROW_GROUP), b.getLong(r + Layout.ROW_USER));
    }

    /** The offset of row j of op i in opRowBuffer[i] (a queue record: its word in words). */
    private int rowAt(int i, int j) {
        checkOp(i);
        int n = opRows[i];
        if (j < 0 || j >= n) {
            throw outOfBounds(j, n);
        }
        return words != null ? opRowAt[i] + 6 * j : opRowAt[i] + j * Layout.ROW_SIZE;
    }

    /** Finds the ops array and each op's rows. */
    private void readOps(long opsAddress) {
        if (opRows.length < opCount) {
            int n = Math.max(opCount, 2 * opRows.length);
            opRows = new int[n];
            opRowBuffer = new ByteBuffer[n];
            opRowAt = new int[n];
        }
        // The window of the last op's rows, in locals: the rows of the next op
        // are usually in it too (one arena).
        ByteBuffer rows = null;
        long start = 0;
        long end = 0;
        for (int i = 0; i < opCount; i++) {
            if (i == 0) {
                // Here rather than before the loop: a frame without ops then
                // takes no branch of its own (a JIT that never saw one would
                // otherwise deoptimise on it).
                int k = window(opsAddress, (long) opCount * Layout.OP_SIZE);
                ops = windows[k];
                opsAt = (int) (opsAddress - windowStart[k]);
            }
            int o = opsAt + i * Layout.OP_SIZE;
            int n = ops.getInt(o + Layout.OP_ITEM_COUNT);
            opRows[i] = n;
            if (n != 0) {
                long items = ops.getLong(o + Layout.OP_ITEMS);
                long length = Integer.toUnsignedLong(n) * Layout.ROW_SIZE;
                if (items < start || items + length > end || rows == null) {
                    int w = window(items, length);
                    rows = windows[w];
                    start = windowStart[w];
                    end = windowEnd[w];
                }
                opRowBuffer[i] = rows;
                opRowAt[i] = (int) (items - start);
            }
        }
    }

    /* ---- Copy ------------------------------------------------------------------------ */

    /** The frame as plain Java objects, valid after the listener returns. */
    public Frame copy() {
        check();
        List<Long> ids = new ArrayList<>(sessionCount);
        for (int i = 0; i < sessionCount; i++) {
            ids.add(session(i));
        }
        List<Group> gs = new ArrayList<>(groupCount);
        for (int i = 0; i < groupCount; i++) {
            gs.add(new Group(groupId(i), groupMembers(i)));
        }
        List<Frame.Op> os = new ArrayList<>(opCount);
        for (int i = 0; i < opCount; i++) {
            List<Row> rs = new ArrayList<>();
            for (int j = 0; j < opRowCount(i); j++) {
                rs.add(row(i, j));
            }
            os.add(switch (opKind(i)) {
                case SYNC -> new Frame.Op.Sync(opIndex(i), opEnd(i), rs);
                case INSERT -> new Frame.Op.Insert(opIndex(i), rs.get(0));
                case UPDATE -> new Frame.Op.Update(opIndex(i), rs.get(0));
                case DELETE -> new Frame.Op.Delete(opIndex(i));
                case INVALIDATE -> new Frame.Op.Invalidate(opIndex(i), opEnd(i));
                default -> new Frame.Op.Unknown(opKind(i), opIndex(i), opEnd(i), rs);
            });
        }
        return new Frame(listId, ids, memberCount, onlineCount, gs, os);
    }
}
