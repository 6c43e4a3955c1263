package roster

// The bulk calls: many members or many events in one call, which crosses
// into C once. Their arrays hold pointers (names, roles), and Go memory
// handed to C must not hold Go pointers, so the arrays, the names and the
// roles are written straight into C memory: the guild's scratch buffer,
// which is kept between calls, so that a call in the steady state makes no
// cgo call but the library's own.

/*
#include <stdlib.h>
#include <roster/roster.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// scratchKeep is the largest scratch buffer a guild keeps after a call; a
// call that needed more (a large AddMembers) gives its buffer back when it
// returns.
const scratchKeep = 1 << 20

// bulkReady refuses a bulk call before the scratch buffer is touched: on a
// closed guild (StatusInvalid, as the library says for a NULL guild), and
// inside a callback of the guild (StatusBusy, as the library says), where
// the call that delivers the frame may still be reading the buffer.
func (g *Guild) bulkReady(op string) error {
	if g.ptr == nil {
		return &Error{Op: op, Status: StatusInvalid}
	}
	if g.delivering > 0 {
		return &Error{Op: op, Status: StatusBusy}
	}
	return nil
}

// scratchFor returns the guild's scratch C memory, at least size bytes
// (size > 0), aligned as malloc aligns. Its contents are not kept.
func (g *Guild) scratchFor(size uintptr) unsafe.Pointer {
	if size > g.scratchCap {
		capacity := 2 * g.scratchCap
		if capacity < size {
			capacity = size
		}
		if capacity < 4096 {
			capacity = 4096
		}
		if g.scratch != nil {
			C.free(g.scratch)
		}
		// cgo's C.malloc never returns nil (it aborts when memory is out).
		g.scratch = C.malloc(C.size_t(capacity))
		g.scratchCap = capacity
	}
	return g.scratch
}

// releaseScratch gives back a scratch buffer larger than scratchKeep.
func (g *Guild) releaseScratch() {
	if g.scratchCap > scratchKeep {
		C.free(g.scratch)
		g.scratch, g.scratchCap = nil, 0
	}
}

// yieldAfter lets the scheduler run (runtime.Gosched) after a bulk call
// that delivered frames (the guild's frame count moved from frames). Such a
// call is a long cgo call with many callbacks, and a callback runs with its
// goroutine locked to the thread; a goroutine that goes 10 ms without being
// rescheduled is preempted by the runtime, and a preemption inside a
// callback hands the P to another thread and back (thread wake-ups, slow on
// a busy machine). Yielding between bulk calls reschedules the goroutine
// before that happens, and lets other goroutines run. It costs well under a
// microsecond, against the milliseconds of such a call.
func (g *Guild) yieldAfter(frames uint64) {
	if g.frames != frames {
		runtime.Gosched()
	}
}

// ---- Many members at once ---------------------------------------------------

// MemberSpec is one new member of AddMembers (roster_member_spec).
type MemberSpec struct {
	ID     uint64
	Name   string // display name: UTF-8, 1..128 bytes
	Roles  []uint64
	Status Presence
}

// AddMembers adds many new members at once, all or nothing
// (roster_members_add): one sort per list instead of an insert per member.
// Each entry is checked as AddMember checks it, and an id given earlier in
// the slice counts as existing (StatusExists for the later entry); the
// error is that of the first failing entry (AddMembersAt also says which).
// Errors not about one entry: StatusLimit (the guild would exceed
// MaxMembers), StatusNoMemory, StatusBusy.
func (g *Guild) AddMembers(members []MemberSpec) error {
	_, err := g.addMembers("roster_members_add", members)
	return err
}

// AddMembersAt is AddMembers that also returns, on an error, the index of
// the first failing entry, or len(members) when the error is not about one
// entry (roster_members_add_at). On success the index is -1.
func (g *Guild) AddMembersAt(members []MemberSpec) (int, error) {
	return g.addMembers("roster_members_add_at", members)
}

func (g *Guild) addMembers(op string, members []MemberSpec) (int, error) {
	if err := g.bulkReady(op); err != nil {
		return len(members), err
	}
	n := len(members)
	var specs *C.roster_member_spec
	if n > 0 {
		// Layout in the scratch buffer: the specs, the roles, the names.
		var nameBytes, roleCount uintptr
		for i := range members {
			nameBytes += uintptr(len(members[i].Name))
			roleCount += uintptr(len(members[i].Roles))
		}
		rolesAt := uintptr(n) * unsafe.Sizeof(C.roster_member_spec{})
		namesAt := rolesAt + roleCount*unsafe.Sizeof(C.uint64_t(0))
		base := g.scratchFor(namesAt + nameBytes)
		cs := unsafe.Slice((*C.roster_member_spec)(base), n)
		roles := unsafe.Slice((*C.uint64_t)(unsafe.Add(base, rolesAt)), roleCount)
		names := unsafe.Slice((*byte)(unsafe.Add(base, namesAt)), nameBytes)
		var ri, ni uintptr
		for i := range members {
			m, c := &members[i], &cs[i]
			c.id = C.uint64_t(m.ID)
			c.status = C.int32_t(m.Status)
			c.name, c.name_len = nil, C.size_t(len(m.Name))
			if len(m.Name) > 0 {
				copy(names[ni:], m.Name)
				c.name = (*C.char)(unsafe.Pointer(&names[ni]))
				ni += uintptr(len(m.Name))
			}
			c.roles, c.role_count = nil, C.size_t(len(m.Roles))
			if len(m.Roles) > 0 {
				c.roles = &roles[ri]
				for _, r := range m.Roles {
					roles[ri] = C.uint64_t(r)
					ri++
				}
			}
		}
		specs = &cs[0]
	}
	failed := C.size_t(n)
	var rc C.int
	frames := g.frames
	if op == "roster_members_add" {
		rc = C.roster_members_add(g.ptr, specs, C.size_t(n))
	} else {
		rc = C.roster_members_add_at(&failed, g.ptr, specs, C.size_t(n))
	}
	g.releaseScratch()
	g.yieldAfter(frames)
	if err := g.done(op, rc); err != nil {
		return int(failed), err
	}
	return -1, nil
}

// ---- Many events at once ----------------------------------------------------

// EventKind is the kind of an Event (ROSTER_EVENT_*): it says which fields
// the event reads.
type EventKind uint32

// Event kinds, and the fields (besides UserID) each reads.
const (
	EventStatus     EventKind = C.ROSTER_EVENT_STATUS      // Status (as SetStatus)
	EventName       EventKind = C.ROSTER_EVENT_NAME        // Name (as SetName)
	EventRoles      EventKind = C.ROSTER_EVENT_ROLES       // Roles: the whole set (as SetRoles)
	EventAddRole    EventKind = C.ROSTER_EVENT_ADD_ROLE    // RoleID (as AddRole)
	EventRemoveRole EventKind = C.ROSTER_EVENT_REMOVE_ROLE // RoleID (as RemoveMemberRole)
	EventTouch      EventKind = C.ROSTER_EVENT_TOUCH       // no field (as Touch)
	EventAdd        EventKind = C.ROSTER_EVENT_ADD         // Name, Roles, Status (as AddMember)
	EventUpsert     EventKind = C.ROSTER_EVENT_UPSERT      // Name, Roles, Status (as UpsertMember)
	EventRemove     EventKind = C.ROSTER_EVENT_REMOVE      // no field (as RemoveMember)
)

// Event is one member event of ApplyEvents (roster_event): Kind says which
// fields it reads.
type Event struct {
	Kind   EventKind
	UserID uint64 // the member; every kind
	Status Presence
	Name   string
	Roles  []uint64
	RoleID uint64
}

// statusUnset marks the statuses the library did not write (it writes all
// or none); it is not a status.
const statusUnset = 1

// ApplyEvents applies events in order, in one call into C
// (roster_events_apply). Each event does what its own call does, with the
// same checks; an event that fails changes nothing and the ones after it
// still apply. The events are one batch: their frames are delivered once,
// when the call returns (or at the commit of an enclosing batch).
//
// statuses, when not nil, must have room for every event (else the call
// fails with StatusInvalid and applies nothing); it receives each event's
// status (StatusInvalid for an unknown kind). The error is nil when every
// event succeeded, else that of the first that failed; StatusFlush
// (applied, but the flush ran out of memory) takes precedence. Errors of
// the call itself, when nothing is applied and statuses is left as it was:
// StatusBusy (inside the frame callback), StatusInvalid (a closed guild).
func (g *Guild) ApplyEvents(events []Event, statuses []Status) error {
	const op = "roster_events_apply"
	if statuses != nil && len(statuses) < len(events) {
		return &Error{Op: op, Status: StatusInvalid}
	}
	if err := g.bulkReady(op); err != nil {
		return err
	}
	n := len(events)
	if n == 0 {
		return g.done(op, C.roster_events_apply(g.ptr, nil, 0,
			C.size_t(unsafe.Sizeof(C.roster_event{})), nil))
	}
	// Layout in the scratch buffer: the events, the roles, the statuses,
	// the names.
	var nameBytes, roleCount uintptr
	for i := range events {
		nameBytes += uintptr(len(events[i].Name))
		roleCount += uintptr(len(events[i].Roles))
	}
	rolesAt := uintptr(n) * unsafe.Sizeof(C.roster_event{})
	statusesAt := rolesAt + roleCount*unsafe.Sizeof(C.uint64_t(0))
	namesAt := statusesAt
	if statuses != nil {
		namesAt += uintptr(n) * unsafe.Sizeof(C.int(0))
	}
	base := g.scratchFor(namesAt + nameBytes)
	ce := unsafe.Slice((*C.roster_event)(base), n)
	roles := unsafe.Slice((*C.uint64_t)(unsafe.Add(base, rolesAt)), roleCount)
	names := unsafe.Slice((*byte)(unsafe.Add(base, namesAt)), nameBytes)
	var ri, ni uintptr
	for i := range events {
		e, c := &events[i], &ce[i]
		c.kind = C.uint32_t(e.Kind)
		c.status = C.int32_t(e.Status)
		c.user_id = C.uint64_t(e.UserID)
		c.role_id = C.uint64_t(e.RoleID)
		c.name, c.name_len = nil, C.size_t(len(e.Name))
		if len(e.Name) > 0 {
			copy(names[ni:], e.Name)
			c.name = (*C.char)(unsafe.Pointer(&names[ni]))
			ni += uintptr(len(e.Name))
		}
		c.roles, c.role_count = nil, C.size_t(len(e.Roles))
		if len(e.Roles) > 0 {
			c.roles = &roles[ri]
			for _, r := range e.Roles {
				roles[ri] = C.uint64_t(r)
				ri++
			}
		}
	}
	var cst []C.int
	var st *C.int
	if statuses != nil {
		cst = unsafe.Slice((*C.int)(unsafe.Add(base, statusesAt)), n)
		cst[0] = statusUnset
		st = &cst[0]
	}
	frames := g.frames
	rc := C.roster_events_apply(g.ptr, &ce[0], C.size_t(n),
		C.size_t(unsafe.Sizeof(C.roster_event{})), st)
	if cst != nil && cst[0] != statusUnset {
		for i, s := range cst {
			statuses[i] = Status(s)
		}
	}
	g.releaseScratch()
	g.yieldAfter(frames)
	return g.done(op, rc)
}
