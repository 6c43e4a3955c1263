package roster

/*
#include <roster/roster.h>
*/
import "C"

import "unsafe"

// RowKind tells a header row from a member row.
type RowKind uint32

// Row kinds.
const (
	RowHeader RowKind = C.ROSTER_ROW_HEADER
	RowMember RowKind = C.ROSTER_ROW_MEMBER
)

// Row is one row of a list (roster_row).
type Row struct {
	Kind  RowKind
	Count uint32 // header: members in its group; member: 0
	Group uint64 // a hoisted role's id, GroupOnline or GroupOffline
	User  uint64 // member: its user id; header: 0
}

// Group is one group of a list and its member count (roster_group).
type Group struct {
	ID    uint64 // a hoisted role's id, GroupOnline or GroupOffline
	Count uint32
}

// OpKind is the kind of an op (ROSTER_OP_*).
type OpKind uint32

// Op kinds.
const (
	OpSync       OpKind = C.ROSTER_OP_SYNC       // rows [Index, End] are Items (fewer at the list's end)
	OpInsert     OpKind = C.ROSTER_OP_INSERT     // insert Items[0] at Index; later rows shift +1
	OpUpdate     OpKind = C.ROSTER_OP_UPDATE     // replace the row at Index with Items[0]
	OpDelete     OpKind = C.ROSTER_OP_DELETE     // remove the row at Index; later rows shift -1
	OpInvalidate OpKind = C.ROSTER_OP_INVALIDATE // rows [Index, End] are no longer held
)

func (k OpKind) String() string {
	switch k {
	case OpSync:
		return "SYNC"
	case OpInsert:
		return "INSERT"
	case OpUpdate:
		return "UPDATE"
	case OpDelete:
		return "DELETE"
	case OpInvalidate:
		return "INVALIDATE"
	}
	return "UNKNOWN"
}

// Op is one op of a frame (roster_op).
type Op struct {
	Kind  OpKind
	Index uint32 // the row, or the first row of a SYNC/INVALIDATE range
	End   uint32 // SYNC/INVALIDATE: last row of the range; others: Index
	Items []Row  // SYNC: the rows that exist; INSERT/UPDATE: one row; others: none
}

// Frame is what one callback delivers (roster_frame plus the sessions it is
// for): the list's counts, its complete groups, and the ops that bring the
// rows the sessions hold up to date, to apply in order.
type Frame struct {
	ListID      uint64
	MemberCount uint32
	OnlineCount uint32
	Groups      []Group
	Ops         []Op // may be empty: only the counts or groups changed
	// The sessions the frame is for, in the library's order (sessions with
	// identical subscriptions to a list share one frame).
	Sessions []uint64
}

// FrameFunc receives the frames of a guild. The Frame and its slices are
// the function's own: they are Go copies, and stay valid after it returns.
type FrameFunc func(frame *Frame)

// The C library hands the callback a frame, its arrays and the session
// array that are valid only during the call. The functions below copy all of
// it into Go values before user code sees it, so nothing of the C memory is
// kept.

// copyRows copies n C rows into a new slice (nil when n is 0).
func copyRows(p *C.roster_row, n C.uint32_t) []Row {
	if n == 0 || p == nil {
		return nil
	}
	rows := make([]Row, n)
	for i, r := range unsafe.Slice(p, n) {
		rows[i] = Row{Kind: RowKind(r.kind), Count: uint32(r.count), Group: uint64(r.group),
			User: uint64(r.user)}
	}
	return rows
}

// copyFrame copies a frame and its session ids out of C memory.
func copyFrame(f *C.roster_frame, sessions *C.uint64_t, sessionCount C.size_t) *Frame {
	out := &Frame{
		ListID:      uint64(f.list_id),
		MemberCount: uint32(f.member_count),
		OnlineCount: uint32(f.online_count),
	}
	if f.group_count > 0 {
		out.Groups = make([]Group, f.group_count)
		for i, g := range unsafe.Slice(f.groups, f.group_count) {
			out.Groups[i] = Group{ID: uint64(g.id), Count: uint32(g.count)}
		}
	}
	if f.op_count > 0 {
		out.Ops = make([]Op, f.op_count)
		for i, op := range unsafe.Slice(f.ops, f.op_count) {
			out.Ops[i] = Op{Kind: OpKind(op.kind), Index: uint32(op.index), End: uint32(op.end),
				Items: copyRows(op.items, op.item_count)}
		}
	}
	if sessionCount > 0 {
		out.Sessions = make([]uint64, sessionCount)
		for i, s := range unsafe.Slice(sessions, sessionCount) {
			out.Sessions[i] = uint64(s)
		}
	}
	return out
}
