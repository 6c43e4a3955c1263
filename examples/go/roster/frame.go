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

// Row is one row of a list (roster_row, with the same memory layout).
type Row struct {
	Kind  RowKind
	Count uint32 // header: members in its group; member: 0
	Group uint64 // a hoisted role's id, GroupOnline or GroupOffline
	User  uint64 // member: its user id; header: 0
}

// Group is one group of a list and its member count (roster_group, with the
// same memory layout).
type Group struct {
	ID    uint64 // a hoisted role's id, GroupOnline or GroupOffline
	Count uint32
}

// Row, Group and Range have the memory layout of roster_row, roster_group
// and roster_range, so that the library's arrays can be read as Go slices
// (a frame's rows and groups, without a copy) and Go slices of them can be
// handed to C (Rows, Groups, Subscribe, SessionRanges). Each line below
// fails to compile when a size or an offset differs: a constant index out
// of the array's bounds, or a negative constant converted to uintptr.
var (
	_ = [1]struct{}{}[unsafe.Sizeof(Row{})-unsafe.Sizeof(C.roster_row{})]
	_ = [1]struct{}{}[unsafe.Sizeof(C.roster_row{})-unsafe.Sizeof(Row{})]
	_ = [1]struct{}{}[unsafe.Offsetof(Row{}.Count)-unsafe.Offsetof(C.roster_row{}.count)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.roster_row{}.count)-unsafe.Offsetof(Row{}.Count)]
	_ = [1]struct{}{}[unsafe.Offsetof(Row{}.Group)-unsafe.Offsetof(C.roster_row{}.group)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.roster_row{}.group)-unsafe.Offsetof(Row{}.Group)]
	_ = [1]struct{}{}[unsafe.Offsetof(Row{}.User)-unsafe.Offsetof(C.roster_row{}.user)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.roster_row{}.user)-unsafe.Offsetof(Row{}.User)]

	_ = [1]struct{}{}[unsafe.Offsetof(Group{}.Count)-unsafe.Offsetof(C.roster_group{}.count)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.roster_group{}.count)-unsafe.Offsetof(Group{}.Count)]

	_ = [1]struct{}{}[unsafe.Sizeof(Range{})-unsafe.Sizeof(C.roster_range{})]
	_ = [1]struct{}{}[unsafe.Sizeof(C.roster_range{})-unsafe.Sizeof(Range{})]
	_ = [1]struct{}{}[unsafe.Offsetof(Range{}.End)-unsafe.Offsetof(C.roster_range{}.end)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.roster_range{}.end)-unsafe.Offsetof(Range{}.End)]

	_ = [1]struct{}{}[unsafe.Sizeof(uint64(0))-unsafe.Sizeof(C.uint64_t(0))]

	_ = [1]struct{}{}[unsafe.Sizeof(opRecord{})-unsafe.Sizeof(C.roster_op{})]
	_ = [1]struct{}{}[unsafe.Sizeof(C.roster_op{})-unsafe.Sizeof(opRecord{})]
	_ = [1]struct{}{}[unsafe.Offsetof(opRecord{}.itemCount)-unsafe.Offsetof(C.roster_op{}.item_count)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.roster_op{}.item_count)-unsafe.Offsetof(opRecord{}.itemCount)]
	_ = [1]struct{}{}[unsafe.Offsetof(opRecord{}.items)-unsafe.Offsetof(C.roster_op{}.items)]
	_ = [1]struct{}{}[unsafe.Offsetof(C.roster_op{}.items)-unsafe.Offsetof(opRecord{}.items)]
)

// Group's size ends in padding, which the sizes of go vet before Go 1.20 leave
// out (they would see 12 bytes), so it is checked here rather than above.
// The comparison is of constants: the compiler keeps nothing of it when it
// holds.
func init() {
	if unsafe.Sizeof(Group{}) != unsafe.Sizeof(C.roster_group{}) {
		panic("roster: Group does not have roster_group's layout")
	}
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

// Op is one op of a frame (roster_op), copied into Go memory.
type Op struct {
	Kind  OpKind
	Index uint32 // the row, or the first row of a SYNC/INVALIDATE range
	End   uint32 // SYNC/INVALIDATE: last row of the range; others: Index
	Items []Row  // SYNC: the rows that exist; INSERT/UPDATE: one row; others: none
}

// Frame is a copy of what one callback delivers (roster_frame plus the
// sessions it is for), made by FrameView.Copy: the list's counts, its
// complete groups, and the ops that bring the rows the sessions hold up to
// date, to apply in order. It is Go memory and may be kept.
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

// FrameFunc receives the frames of a guild (see FrameView for how long the
// view is valid).
type FrameFunc func(frame *FrameView)

// FrameView is the frame being delivered to a FrameFunc, read in place: its
// accessors read the library's C memory, so reading a frame allocates
// nothing, however many rows it has. It is valid only until the FrameFunc
// returns, and so is every slice and OpView it gives: the library frees or
// reuses that memory afterwards. Copy what you keep (Copy makes a Frame of
// Go memory). The slices are read-only (they alias the library's memory).
// The guild reuses one FrameView for all its frames: after the callback
// returns, a kept *FrameView reads as an empty frame (or as a later one).
//
// The same view presents the records of a FrameBatch (the frame queue,
// queue.go), reading the taken block in place: the batch re-points it at
// each record (FrameBatch.Next), and what it gives, slices and OpViews
// included, stays valid until the guild's next TakeFrames or Close.
type FrameView struct {
	listID      uint64
	memberCount uint32
	onlineCount uint32
	groups      []Group
	sessions    []uint64
	// The ops: a callback's frame's own array, read in place (set costs
	// nothing per op); for a queued record, the record's ops as the batch
	// wrote them out (FrameBatch.Next), their items in the record's rows.
	ops []opRecord
}

// opRecord has roster_op's layout (checked above), so that a callback's op
// array is read as it is.
type opRecord struct {
	kind, index, end, itemCount uint32
	items                       *Row
}

// set points the view at a frame the library delivers (memory valid during
// the callback only).
func (v *FrameView) set(f *C.roster_frame, sessions *C.uint64_t, sessionCount C.size_t) {
	v.listID = uint64(f.list_id)
	v.memberCount = uint32(f.member_count)
	v.onlineCount = uint32(f.online_count)
	v.groups = unsafe.Slice((*Group)(unsafe.Pointer(f.groups)), int(f.group_count))
	v.sessions = unsafe.Slice((*uint64)(unsafe.Pointer(sessions)), int(sessionCount))
	v.ops = unsafe.Slice((*opRecord)(unsafe.Pointer(f.ops)), int(f.op_count))
}

// clear makes the view read as an empty frame.
func (v *FrameView) clear() {
	*v = FrameView{}
}

// ListID is the list the frame is about.
func (v *FrameView) ListID() uint64 { return v.listID }

// MemberCount is the list's member count (as Guild.ListCounts).
func (v *FrameView) MemberCount() uint32 { return v.memberCount }

// OnlineCount is the list's count of members not offline (as
// Guild.ListCounts).
func (v *FrameView) OnlineCount() uint32 { return v.onlineCount }

// Groups are every group that appears in the list, in order (read-only,
// valid as long as the view's frame: during the callback only).
func (v *FrameView) Groups() []Group { return v.groups }

// Sessions are the ids of the sessions the frame is for, in the library's
// order (read-only, valid as long as the view's frame: during the callback
// only).
func (v *FrameView) Sessions() []uint64 { return v.sessions }

// OpCount is the number of ops (0: only the counts or groups changed).
func (v *FrameView) OpCount() int { return len(v.ops) }

// Op is op i (0 <= i < OpCount), to apply in order; O(1), in any order.
func (v *FrameView) Op(i int) OpView { return OpView{&v.ops[i]} }

// Copy copies the frame into Go memory, which stays valid after the
// callback returns.
func (v *FrameView) Copy() *Frame {
	out := &Frame{ListID: v.listID, MemberCount: v.memberCount, OnlineCount: v.onlineCount}
	if len(v.groups) > 0 {
		out.Groups = append([]Group(nil), v.groups...)
	}
	if n := v.OpCount(); n > 0 {
		out.Ops = make([]Op, n)
		for i := range out.Ops {
			out.Ops[i] = v.Op(i).Copy()
		}
	}
	if len(v.sessions) > 0 {
		out.Sessions = append([]uint64(nil), v.sessions...)
	}
	return out
}

// OpView is one op of a FrameView, read in place: valid as long as the
// view's frame (during the callback only, for a callback's frame).
type OpView struct {
	// One pointer: to the op in the library's array (a callback's frame)
	// or in the batch's array of queued ops. Making an OpView writes one
	// word; copying each op's fields into the view, as it once did, was
	// 4-5% of the Go host benchmark's time (README.md).
	op *opRecord
}

// Kind is the op's kind.
func (o OpView) Kind() OpKind { return OpKind(o.op.kind) }

// Index is the row, or the first row of a SYNC/INVALIDATE range.
func (o OpView) Index() uint32 { return o.op.index }

// End is the last row of a SYNC/INVALIDATE range; for the other kinds,
// Index.
func (o OpView) End() uint32 { return o.op.end }

// ItemCount is the number of rows the op carries (SYNC: the rows that
// exist in the range; INSERT/UPDATE: 1; DELETE/INVALIDATE: 0).
func (o OpView) ItemCount() int { return int(o.op.itemCount) }

// Items are the rows the op carries (read-only, valid as long as the
// view's frame: during the callback only).
func (o OpView) Items() []Row {
	if o.op.itemCount == 0 {
		return nil
	}
	return unsafe.Slice(o.op.items, int(o.op.itemCount))
}

// Copy copies the op into Go memory.
func (o OpView) Copy() Op {
	op := Op{Kind: o.Kind(), Index: o.op.index, End: o.op.end}
	if items := o.Items(); len(items) > 0 {
		op.Items = append([]Row(nil), items...)
	}
	return op
}
