package roster

// Snapshots (docs/snapshot.md): a guild written to bytes and loaded back,
// in this process or another, with its sessions if asked.

/*
#include <stdint.h>
#include <roster/roster.h>

// The write trampoline, exported from Go in callback.go (Go's prototype:
// no const, the handle as an integer).
extern int rosterGoWrite(void *data, size_t len, uintptr_t handle);

// Adapts the trampoline to roster_write_fn: user_data carries a
// runtime/cgo.Handle, never a Go pointer.
static int roster_go_on_write(const void *data, size_t len, void *user_data) {
    return rosterGoWrite((void *)data, len, (uintptr_t)user_data);
}

static int roster_go_save(roster_guild *guild, uint32_t flags, uintptr_t handle) {
    return roster_guild_save(guild, flags, roster_go_on_write, (void *)handle);
}
*/
import "C"

import (
	"bytes"
	"io"
	"runtime/cgo"
	"unsafe"
)

// SaveFlags are the flags of a save (ROSTER_SAVE_*).
type SaveFlags uint32

// SaveSessions also writes the sessions and what their clients hold: the
// loaded guild goes on sending them incremental ops. Without it the loaded
// guild has no sessions (clients subscribe again and get SYNC).
const SaveSessions SaveFlags = C.ROSTER_SAVE_SESSIONS

// saveSink is what the C write callback's handle names: the writer, and
// what went wrong in it (its error, or a panic to re-raise once the C call
// has returned: a panic must not unwind through the library).
type saveSink struct {
	g        *Guild
	w        io.Writer
	err      error
	panicked interface{}
	hasPanic bool
}

// write hands one piece of the snapshot to the writer; 0 goes on, -1 stops
// the save (ROSTER_EIO). p is C memory, valid only during the call (an
// io.Writer must not retain it).
func (s *saveSink) write(p []byte) (rc C.int) {
	s.g.delivering++ // Close is refused meanwhile, as in a frame callback
	defer func() {
		s.g.delivering--
		if r := recover(); r != nil {
			s.panicked, s.hasPanic = r, true
			rc = -1
		}
	}()
	n, err := s.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		s.err = err
		return -1
	}
	return 0
}

// SaveTo writes the guild's snapshot to w, in pieces (no second copy of the
// guild is made). flags: 0 or SaveSessions. Saving flushes first, so it may
// deliver frames still owed after a StatusFlush; the guild is not changed.
// A failing writer makes it return an *Error with StatusIO whose Err is the
// writer's error (what was written is then not a snapshot); a panic of the
// writer is re-raised once the library has returned. Other errors:
// StatusInvalid (unknown flags, inside a batch), StatusBusy (inside the frame
// callback), StatusFlush, StatusNoMemory.
func (g *Guild) SaveTo(w io.Writer, flags SaveFlags) error {
	const op = "roster_guild_save"
	sink := &saveSink{g: g, w: w}
	h := cgo.NewHandle(sink)
	defer h.Delete()
	rc := C.roster_go_save(g.ptr, C.uint32_t(flags), C.uintptr_t(h))
	err := g.done(op, rc) // re-raises a panic of the frame callback first
	if sink.hasPanic {
		panic(sink.panicked)
	}
	if rc == C.ROSTER_EIO && sink.err != nil {
		return &Error{Op: op, Status: StatusIO, Err: sink.err}
	}
	return err
}

// Save returns the guild's snapshot (see SaveTo) as bytes.
func (g *Guild) Save(flags SaveFlags) ([]byte, error) {
	var buf bytes.Buffer
	if err := g.SaveTo(&buf, flags); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load creates a guild from a snapshot in memory (roster_guild_load_buffer;
// data is not kept after the call). cfg gives the limits (nil means
// DefaultConfig()); the settings come from the snapshot (the offline
// threshold, @everyone's VIEW and the chunk size of cfg are not used). The
// loaded guild is a Guild like one from NewGuild: Close it when done. It
// has no frame callback: set one with SetFrameCallback (loading delivers no
// frame; saved sessions go on receiving incremental ops). Errors:
// StatusCorrupt (damaged or truncated bytes), StatusVersion (a format this
// library does not read), StatusLimit (the snapshot exceeds a limit of
// cfg), StatusInvalid (a config NewGuild refuses), StatusNoMemory.
func Load(data []byte, cfg *Config) (*Guild, error) {
	var ptr *C.roster_guild
	var p unsafe.Pointer // NULL for no bytes (then: StatusCorrupt)
	if len(data) > 0 {
		// Go memory without pointers, read only during the call.
		p = unsafe.Pointer(&data[0])
	}
	var rc C.int
	if cfg == nil {
		rc = C.roster_guild_load_buffer(&ptr, nil, p, C.size_t(len(data)))
	} else {
		c := cfg.toC()
		rc = C.roster_guild_load_buffer(&ptr, &c, p, C.size_t(len(data)))
	}
	if err := check("roster_guild_load_buffer", rc); err != nil {
		return nil, err
	}
	return &Guild{ptr: ptr}, nil
}
