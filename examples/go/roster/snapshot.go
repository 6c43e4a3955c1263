package roster

// Snapshots (docs/snapshot.md): a guild written to bytes and loaded back,
// in this process or another, with its sessions if asked.

/*
#include <stdint.h>
#include <roster/roster.h>

// The trampolines, exported from Go in callback.go (Go's prototypes: no
// const, the handle as an integer).
extern int rosterGoWrite(void *data, size_t len, uintptr_t handle);
extern int rosterGoRead(void *buf, size_t cap, size_t *got, uintptr_t handle);

// Adapt the trampolines to roster_write_fn and roster_read_fn. user_data
// points to a runtime/cgo.Handle (an integer) that lives for the call.
static int roster_go_on_write(const void *data, size_t len, void *user_data) {
    return rosterGoWrite((void *)data, len, *(const uintptr_t *)user_data);
}

static int roster_go_on_read(void *buf, size_t cap, size_t *got, void *user_data) {
    return rosterGoRead(buf, cap, got, *(const uintptr_t *)user_data);
}

// The callbacks to give roster_guild_save and roster_guild_load (Go cannot
// take the address of a C function).
static roster_write_fn roster_go_write_fn(void) {
    return roster_go_on_write;
}

static roster_read_fn roster_go_read_fn(void) {
    return roster_go_on_read;
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

// SaveTo writes the guild's snapshot to w (roster_guild_save), in pieces
// (no second copy of the guild is made). flags: 0 or SaveSessions. Saving
// flushes first, so it may deliver frames still owed after a StatusFlush;
// the guild is not changed.
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
	// &h: Go memory without Go pointers, used by C only during the call.
	rc := C.roster_guild_save(g.ptr, C.uint32_t(flags), C.roster_go_write_fn(),
		unsafe.Pointer(&h))
	err := g.done(op, rc) // re-raises a panic of the frame callback first
	if sink.hasPanic {
		panic(sink.panicked)
	}
	if rc == C.ROSTER_EIO && sink.err != nil {
		return &Error{Op: op, Status: StatusIO, Err: sink.err}
	}
	return err
}

// Save returns the guild's snapshot (roster_guild_save, see SaveTo) as
// bytes.
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

// loadSource is what the C read callback's handle names: the reader, and
// what went wrong in it (its error, or a panic to re-raise once the C call
// has returned).
type loadSource struct {
	r        io.Reader
	eof      bool
	err      error
	panicked interface{}
	hasPanic bool
}

// read lets the reader fill p (C memory, valid only during the call: an
// io.Reader must not retain it). It returns the bytes read (0: the
// snapshot has ended) and 0 to go on, or -1 to stop the load (ROSTER_EIO).
func (s *loadSource) read(p []byte) (n int, rc C.int) {
	defer func() {
		if r := recover(); r != nil {
			s.panicked, s.hasPanic = r, true
			n, rc = 0, -1
		}
	}()
	if s.eof {
		return 0, 0
	}
	// An io.Reader may return 0 bytes and no error; 0 bytes tell the
	// library that the bytes have ended, so ask again (as bufio does).
	for tries := 0; tries < 100; tries++ {
		k, err := s.r.Read(p)
		if err == io.EOF {
			s.eof = true
			return k, 0
		}
		if err != nil {
			s.err = err
			return 0, -1
		}
		if k > 0 {
			return k, 0
		}
	}
	s.err = io.ErrNoProgress
	return 0, -1
}

// LoadFrom creates a guild from a snapshot read from r (roster_guild_load):
// the library asks for one block (a little over 64 KiB) at a time and keeps
// no more than that, so the snapshot is never held whole in memory. It
// reads r to its end: a byte after the snapshot's end is StatusCorrupt, as
// for Load. cfg, the
// result and the errors are as for Load; besides, a failing reader makes it
// return an *Error with StatusIO whose Err is the reader's error, and a
// panic of the reader is re-raised once the library has returned (no guild
// is made either way).
func LoadFrom(r io.Reader, cfg *Config) (*Guild, error) {
	const op = "roster_guild_load"
	src := &loadSource{r: r}
	h := cgo.NewHandle(src)
	defer h.Delete()
	var ptr *C.roster_guild
	var rc C.int
	// &h: Go memory without Go pointers, used by C only during the call.
	if cfg == nil {
		rc = C.roster_guild_load(&ptr, nil, C.roster_go_read_fn(), unsafe.Pointer(&h))
	} else {
		c := cfg.toC()
		rc = C.roster_guild_load(&ptr, &c, C.roster_go_read_fn(), unsafe.Pointer(&h))
	}
	if src.hasPanic {
		if rc == C.ROSTER_OK { // not expected: the read that panicked failed
			C.roster_guild_destroy(ptr)
		}
		panic(src.panicked)
	}
	if rc == C.ROSTER_EIO && src.err != nil {
		return nil, &Error{Op: op, Status: StatusIO, Err: src.err}
	}
	if err := check(op, rc); err != nil {
		return nil, err
	}
	return &Guild{ptr: ptr}, nil
}
