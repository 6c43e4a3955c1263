package roster

// This file holds the //export'ed functions only: a preamble of a file with
// exports is copied into two C files, so it may declare but not define.

/*
#include <stdint.h>
#include <roster/roster.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// rosterGoFrame is the frame callback the C library calls (through
// roster_go_on_frame in roster.go). handle is the guild's cgo.Handle. It
// points the guild's FrameView at the frame (no copy, no allocation) and
// hands it to the guild's FrameFunc. A panic of that function is caught
// here, so it never unwinds through the library; the guild re-raises it
// when the call that delivered the frame returns, and the rest of that
// call's frames are dropped.
//
//export rosterGoFrame
func rosterGoFrame(frame *C.roster_frame, sessions *C.uint64_t, sessionCount C.size_t,
	handle C.uintptr_t) {
	g := cgo.Handle(handle).Value().(*Guild)
	g.frames++
	fn := g.onFrame
	if fn == nil || g.hasPanic {
		return
	}
	// The guild's view is reused from frame to frame (its op array too). A
	// callback inside a callback (not something the library does today)
	// gets a view of its own, leaving the outer one intact.
	v := &g.view
	if g.delivering > 0 {
		v = new(FrameView)
	}
	v.set(frame, sessions, sessionCount)
	g.delivering++
	defer func() {
		g.delivering--
		// After the callback the view reads as empty (its memory is gone);
		// the op array is kept for the next frame.
		v.clear()
		if r := recover(); r != nil {
			g.panicked, g.hasPanic = r, true
		}
	}()
	fn(v)
}

// rosterGoWrite is the snapshot write callback the C library calls (through
// roster_go_on_write in snapshot.go) during SaveTo. handle is the save's
// cgo.Handle (a *saveSink). It hands the bytes, C memory valid only during
// the call, to the sink's io.Writer; 0 goes on, anything else stops the save.
//
//export rosterGoWrite
func rosterGoWrite(data unsafe.Pointer, length C.size_t, handle C.uintptr_t) C.int {
	s := cgo.Handle(handle).Value().(*saveSink)
	if length == 0 {
		return 0
	}
	return s.write(unsafe.Slice((*byte)(data), int(length)))
}

// rosterGoRead is the snapshot read callback the C library calls (through
// roster_go_on_read in snapshot.go) during LoadFrom. handle is the load's
// cgo.Handle (a *loadSource). It lets the source's io.Reader fill buf (C
// memory, valid only during the call) and sets *got; 0 goes on, anything
// else stops the load.
//
//export rosterGoRead
func rosterGoRead(buf unsafe.Pointer, capacity C.size_t, got *C.size_t,
	handle C.uintptr_t) C.int {
	s := cgo.Handle(handle).Value().(*loadSource)
	*got = 0
	if capacity == 0 {
		return 0
	}
	n, rc := s.read(unsafe.Slice((*byte)(buf), int(capacity)))
	*got = C.size_t(n)
	return rc
}
