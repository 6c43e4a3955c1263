package roster

// The frame queue (docs/frames.md §12): instead of calling a function per
// frame, the guild appends each frame as a record to a block of C memory
// it owns, and the host takes the block after its calls. One cgo call per
// take instead of a C-to-Go callback per frame; the records are read in
// place, through the same FrameView as a callback's frames.

/*
#include <roster/roster.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// recordHeader is the start of a record of the queue's block: size, the
// frame's list and counts, and the counts of the arrays that follow.
type recordHeader struct {
	size         uint64 // bytes of the record, header included
	listID       uint64
	memberCount  uint32
	onlineCount  uint32
	sessionCount uint32 // S: u64 session ids after the header
	groupCount   uint32 // G: groups of 16 bytes after the sessions
	opCount      uint32 // O: ops of 16 bytes after the groups
	rowCount     uint32 // R: rows of 24 bytes (roster_row) after the ops
}

// queuedOp is an op of a record: roster_op without its items pointer (its
// rows follow those of the ops before it).
type queuedOp struct {
	kind, index, end, itemCount uint32
}

// queuedGroup is a group of a record: roster_group padded to 16 bytes on
// every platform.
type queuedGroup struct {
	id    uint64
	count uint32
	_     uint32
}

// The sizes of docs/frames.md §12.
const (
	recordHeaderSize = 40
	queuedGroupSize  = 16
	queuedOpSize     = 16
	queuedRowSize    = 24
)

// The record's parts have the layout of these types (Row's is roster_row's,
// checked in frame.go); each line fails to compile when a size differs.
var (
	_ = [1]struct{}{}[unsafe.Sizeof(recordHeader{})-recordHeaderSize]
	_ = [1]struct{}{}[recordHeaderSize-unsafe.Sizeof(recordHeader{})]
	_ = [1]struct{}{}[unsafe.Sizeof(queuedOp{})-queuedOpSize]
	_ = [1]struct{}{}[queuedOpSize-unsafe.Sizeof(queuedOp{})]
	_ = [1]struct{}{}[unsafe.Sizeof(queuedGroup{})-queuedGroupSize]
	_ = [1]struct{}{}[queuedGroupSize-unsafe.Sizeof(queuedGroup{})]
	_ = [1]struct{}{}[unsafe.Sizeof(Row{})-queuedRowSize]
	_ = [1]struct{}{}[queuedRowSize-unsafe.Sizeof(Row{})]
)

// SetFrameQueue switches the frame queue on or off
// (roster_guild_set_frame_queue). On: every frame the guild delivers is
// appended, as a record, to a block the guild owns, which TakeFrames hands
// out; the frame callback, if any, is cleared. Off: frames are dropped
// until a callback or the queue is set again. Either way, records not
// taken yet stay to be taken; SetFrameCallback, in turn, switches the
// queue off. Records pile up until taken: with the queue on, take after
// every call that can deliver frames. Errors: StatusInvalid (a closed
// guild), StatusBusy (inside the frame callback).
func (g *Guild) SetFrameQueue(enable bool) error {
	v := C.int(0)
	if enable {
		v = 1
	}
	if err := g.done("roster_guild_set_frame_queue",
		C.roster_guild_set_frame_queue(g.ptr, v)); err != nil {
		return err
	}
	g.onFrame = nil // the library has cleared the callback
	return nil
}

// TakeFrames hands out the frames queued since the last take
// (roster_guild_take_frames) and empties the queue: one cgo call, however
// many frames. The batch reads the library's block in place and is valid,
// unchanged, until the guild's next TakeFrames or Close; calls in between
// (flushes included) queue their frames for the next take. The guild
// reuses one FrameBatch: the next take re-points it at the new block, and
// Close empties it. With nothing queued the batch is empty. Errors:
// StatusInvalid (a closed guild).
func (g *Guild) TakeFrames() (*FrameBatch, error) {
	g.batch.reset(nil, 0) // the block taken before is the library's again
	var data unsafe.Pointer
	var n C.size_t
	if err := g.done("roster_guild_take_frames",
		C.roster_guild_take_frames(&data, &n, g.ptr)); err != nil {
		return nil, err
	}
	g.batch.reset(data, uintptr(n))
	return &g.batch, nil
}

// FrameBatch is the frames of one TakeFrames: a block of records, read in
// place, in the order a callback would have received them. Iterate it as
// a bufio.Scanner:
//
//	b, err := g.TakeFrames()
//	for b.Next() {
//		f := b.Frame() // as a callback's *FrameView
//	}
//	if err := b.Err(); err != nil { ... }
//
// Reading it allocates nothing. Every record is checked before it is read
// (its size against its counts and the block's end, its ops' item counts
// against its rows): a malformed one stops the iteration with an error
// instead of a read outside the block.
type FrameBatch struct {
	data unsafe.Pointer // the block: the guild's C memory, 8-byte aligned
	size uintptr        // its bytes
	next uintptr        // where the next record starts
	view FrameView      // the current record
	err  error
	// Where Group is not 16 bytes (a u64 aligned to 4 bytes, as on 32-bit
	// x86), the current record's groups, copied; reused between records.
	groups []Group
	// The ops of the records read since the take (the queue's 16-byte ops
	// in roster_op's layout, for OpView); reused from take to take.
	ops []opRecord
}

// reset points the batch at a block and before its first record.
func (b *FrameBatch) reset(data unsafe.Pointer, size uintptr) {
	*b = FrameBatch{data: data, size: size, groups: b.groups[:0], ops: b.ops[:0]}
}

// fail stops the batch at the malformed record at byte at.
func (b *FrameBatch) fail(at uintptr, format string, args ...interface{}) bool {
	b.view = FrameView{}
	b.err = &Error{Op: "roster_guild_take_frames", Status: StatusCorrupt,
		Err: fmt.Errorf("frame record at byte %d of %d: "+format,
			append([]interface{}{at, b.size}, args...)...)}
	return false
}

// Next moves to the next record, which Frame then presents; false at the
// end of the block, or at a malformed record (Err then says which).
func (b *FrameBatch) Next() bool {
	b.view.clear()
	if b.err != nil || b.next >= b.size {
		return false
	}
	at := b.next
	rest := b.size - at
	p := unsafe.Add(b.data, at)
	if uintptr(p)%8 != 0 {
		return b.fail(at, "not 8-byte aligned")
	}
	if rest < recordHeaderSize {
		return b.fail(at, "%d bytes left, less than a header", rest)
	}
	h := (*recordHeader)(p)
	// Counts are u32: the sum cannot overflow a u64.
	want := recordHeaderSize + 8*uint64(h.sessionCount) + queuedGroupSize*uint64(h.groupCount) +
		queuedOpSize*uint64(h.opCount) + queuedRowSize*uint64(h.rowCount)
	if h.size != want {
		return b.fail(at, "size %d, not the %d its counts make", h.size, want)
	}
	if want > uint64(rest) {
		return b.fail(at, "size %d, past the block's end", want)
	}
	// Within the block from here on: every count times its size fits.
	nSessions, nGroups := int(h.sessionCount), int(h.groupCount)
	nOps, nRows := int(h.opCount), int(h.rowCount)
	sessions := unsafe.Add(p, recordHeaderSize)
	groups := unsafe.Add(sessions, 8*nSessions)
	ops := unsafe.Add(groups, queuedGroupSize*nGroups)
	rows := unsafe.Add(ops, queuedOpSize*nOps)
	qops := unsafe.Slice((*queuedOp)(ops), nOps)
	var items uint64
	for i := range qops {
		items += uint64(qops[i].itemCount)
	}
	if items != uint64(h.rowCount) {
		return b.fail(at, "its ops carry %d rows, it has %d", items, h.rowCount)
	}
	v := &b.view
	v.listID, v.memberCount, v.onlineCount = h.listID, h.memberCount, h.onlineCount
	if nSessions > 0 {
		v.sessions = unsafe.Slice((*uint64)(sessions), nSessions)
	}
	if nGroups > 0 {
		if unsafe.Sizeof(Group{}) == queuedGroupSize {
			v.groups = unsafe.Slice((*Group)(groups), nGroups)
		} else {
			b.groups = b.groups[:0]
			for _, q := range unsafe.Slice((*queuedGroup)(groups), nGroups) {
				b.groups = append(b.groups, Group{ID: q.id, Count: q.count})
			}
			v.groups = b.groups
		}
	}
	if nOps > 0 {
		// Op i's rows follow those of the ops before it (their item counts
		// add up to the rows: checked above).
		all := unsafe.Slice((*Row)(rows), nRows)
		// The records' ops go one after another into b.ops, which is not
		// rewritten before the next take: an OpView (a pointer into it)
		// stays valid as long as the record's rows. When it grows, the
		// OpViews already given keep the old array, unchanged.
		start := len(b.ops)
		if cap(b.ops)-start < nOps {
			grown := make([]opRecord, start, 2*cap(b.ops)+nOps)
			copy(grown, b.ops)
			b.ops = grown
		}
		b.ops = b.ops[:start+nOps]
		ops, r := b.ops[start:start+nOps:start+nOps], 0
		v.ops = ops
		for i := range qops {
			q, o := &qops[i], &ops[i]
			o.kind, o.index, o.end, o.itemCount = q.kind, q.index, q.end, q.itemCount
			o.items = nil
			if q.itemCount > 0 {
				o.items = &all[r]
			}
			r += int(q.itemCount)
		}
	}
	b.next = at + uintptr(want)
	return true
}

// Frame is the current record (after Next returned true), read in place
// as a callback's frame; an empty frame before Next and after the end. The
// batch reuses one FrameView for all its records. What it gives (slices,
// OpViews) is valid until the guild's next TakeFrames or Close; Copy what
// you keep longer.
func (b *FrameBatch) Frame() *FrameView { return &b.view }

// Err is the error that stopped the iteration: nil at the end of a well
// formed block; an *Error with StatusCorrupt, whose Err says which record
// and why, when a record does not match docs/frames.md §12 (a library
// whose layout differs from this binding's).
func (b *FrameBatch) Err() error { return b.err }

// Bytes is the whole block as the library wrote it (docs/frames.md §12;
// nil when empty): read-only C memory, valid until the guild's next
// TakeFrames or Close. For a host that passes the records on as they are.
func (b *FrameBatch) Bytes() []byte {
	if b.size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(b.data), b.size)
}
