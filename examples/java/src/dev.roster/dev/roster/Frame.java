package dev.roster;

import java.util.List;

/**
 * A copy of one frame (roster_frame) and the sessions it is for, made by
 * {@link FrameView#copy()}: the list's counts, its complete groups array and
 * the ops that bring the rows those sessions hold up to date
 * (docs/frames.md §5: apply the ops in order). Nothing here points into
 * library memory: a Frame may be kept freely.
 *
 * Ids are unsigned 64-bit values in a long (print them with
 * Long.toUnsignedString); counts and row indices are unsigned 32-bit values
 * in an int (Integer.toUnsignedString).
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
}
