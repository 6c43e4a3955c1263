package roster;

import com.sun.jna.Pointer;

import java.util.ArrayList;
import java.util.List;

/**
 * One frame (roster_frame) and the sessions it is for: the list's counts,
 * its complete groups array and the ops that bring the rows those sessions
 * hold up to date (docs/frames.md §5: apply the ops in order).
 *
 * A Frame is a plain Java copy, made during the callback: the C frame, its
 * arrays and the session array are valid only during the callback, so
 * nothing here points into library memory and a Frame may be kept freely.
 *
 * Ids are unsigned 64-bit values in a long (print them with
 * Long.toUnsignedString); counts, row indices and kinds are unsigned 32-bit
 * values in an int (Integer.toUnsignedString).
 *
 * @param listId      the list
 * @param sessions    the sessions this frame is for, in the library's order
 * @param memberCount members visible in the list (as roster_list_counts)
 * @param onlineCount those of them not offline
 * @param groups      every group that appears, in order
 * @param ops         the ops, in order (may be empty: only counts or groups changed)
 */
public record Frame(long listId, List<Long> sessions, int memberCount, int onlineCount,
                    List<Group> groups, List<Op> ops) {

    public Frame {
        sessions = List.copyOf(sessions);
        groups = List.copyOf(groups);
        ops = List.copyOf(ops);
    }

    /** roster_group: a hoisted role's id or Roster.GROUP_*, and its member count. */
    public record Group(long id, int count) {}

    /**
     * roster_row: a header (count = members in its group, user = 0) or a
     * member (count = 0, user = its user id); group is a role id or
     * Roster.GROUP_*.
     */
    public record Row(int kind, int count, long group, long user) {
        /** ROSTER_ROW_HEADER. */
        public static final int HEADER = 0;
        /** ROSTER_ROW_MEMBER. */
        public static final int MEMBER = 1;

        public boolean isHeader() {
            return kind == HEADER;
        }
    }

    /** roster_op, one record per kind. Indices are rows of the list, from 0. */
    public sealed interface Op {
        /** ROSTER_OP_SYNC: rows start..end are rows (fewer at the end of the list). */
        record Sync(int start, int end, List<Row> rows) implements Op {
            public Sync {
                rows = List.copyOf(rows);
            }
        }

        /** ROSTER_OP_INSERT: insert row at index; later rows shift +1. */
        record Insert(int index, Row row) implements Op {}

        /** ROSTER_OP_UPDATE: replace the row at index. */
        record Update(int index, Row row) implements Op {}

        /** ROSTER_OP_DELETE: remove the row at index; later rows shift -1. */
        record Delete(int index) implements Op {}

        /** ROSTER_OP_INVALIDATE: the sessions no longer hold rows start..end. */
        record Invalidate(int start, int end) implements Op {}

        /** An op kind this binding does not know (from a newer library), kept as is. */
        record Unknown(int kind, int index, int end, List<Row> rows) implements Op {
            public Unknown {
                rows = List.copyOf(rows);
            }
        }
    }

    /* The C values of roster_op.kind. */
    private static final int OP_SYNC = 0;
    private static final int OP_INSERT = 1;
    private static final int OP_UPDATE = 2;
    private static final int OP_DELETE = 3;
    private static final int OP_INVALIDATE = 4;

    /**
     * Copies a frame handed to the callback into Java objects. Must run
     * during the callback: afterwards the pointers are dangling.
     */
    static Frame copyOf(Pointer frame, Pointer sessions, long sessionCount) {
        CApi.RosterFrame f = new CApi.RosterFrame(frame);

        List<Long> ids = new ArrayList<>();
        if (sessionCount > 0) {
            for (long id : sessions.getLongArray(0, Math.toIntExact(sessionCount))) {
                ids.add(id);
            }
        }

        List<Group> groups = new ArrayList<>();
        for (CApi.RosterGroup g : CApi.groups(f.groups, Math.toIntExact(f.group_count.longValue()))) {
            groups.add(new Group(g.id, g.count));
        }

        List<Op> ops = new ArrayList<>();
        for (CApi.RosterOp op : CApi.ops(f.ops, Math.toIntExact(f.op_count.longValue()))) {
            ops.add(copyOp(op));
        }
        return new Frame(f.list_id, ids, f.member_count, f.online_count, groups, ops);
    }

    private static Op copyOp(CApi.RosterOp op) {
        List<Row> rows = new ArrayList<>();
        // item_count is unsigned; a count past Integer.MAX_VALUE cannot be a real array.
        for (CApi.RosterRow r : CApi.rows(op.items, Math.toIntExact(Integer.toUnsignedLong(op.item_count)))) {
            rows.add(new Row(r.kind, r.count, r.group, r.user));
        }
        return switch (op.kind) {
            case OP_SYNC -> new Op.Sync(op.index, op.end, rows);
            case OP_INSERT -> new Op.Insert(op.index, rows.get(0));
            case OP_UPDATE -> new Op.Update(op.index, rows.get(0));
            case OP_DELETE -> new Op.Delete(op.index);
            case OP_INVALIDATE -> new Op.Invalidate(op.index, op.end);
            default -> new Op.Unknown(op.kind, op.index, op.end, rows);
        };
    }
}
