// Package roster is a Go binding of roster's C API
// (include/roster/roster.h): a guild's member list, its lists, and the
// sessions that receive frames of ops for the rows they view. Every
// function of the C API is reachable from this package (README.md has the
// table: C function -> Go API). Frames go to a callback (SetFrameCallback)
// or to a queue the host takes after its calls (SetFrameQueue, TakeFrames);
// both are read in place through a FrameView.
//
// Every call that can fail returns an error; a failing status of the C API
// becomes an *Error carrying the status code (its String method is the
// library's name for it), so
//
//	var rerr *roster.Error
//	if errors.As(err, &rerr) && rerr.Status == roster.StatusNotFound { ... }
//
// gets the code back.
//
// Ownership: a Guild owns C memory (the roster_guild, with the frame
// queue's blocks, and a scratch buffer of the bulk calls); Close frees it, exactly once (later calls of Close do
// nothing, and calls on a closed guild fail with StatusInvalid). There is no
// finalizer: a Guild that is not closed leaks its C memory.
//
// Threading: a Guild is not safe for concurrent use (one goroutine at a time,
// as the C API says); distinct guilds are independent. The frame callback
// runs on the goroutine that made the call delivering the frame.
//
// The library is found with pkg-config (package "roster"); at run time the
// dynamic linker must find libroster.so (e.g. through LD_LIBRARY_PATH).
package roster

/*
#cgo pkg-config: roster
#include <stdint.h>
#include <stdlib.h>
#include <roster/roster.h>

// The frame trampoline, exported from Go in callback.go. Its prototype in
// Go's terms has no const and takes the handle as an integer.
extern void rosterGoFrame(roster_frame *frame, uint64_t *sessions, size_t session_count,
                          uintptr_t handle);

// Adapts the trampoline to roster_frame_fn. user_data points to C memory
// holding a runtime/cgo.Handle (an integer): the library keeps user_data
// after the call, so it must not be a Go pointer.
static void roster_go_on_frame(const roster_frame *frame, const uint64_t *sessions,
                               size_t session_count, void *user_data) {
    rosterGoFrame((roster_frame *)frame, (uint64_t *)sessions, session_count,
                  *(const uintptr_t *)user_data);
}

// The callback to give roster_guild_set_frame_callback (Go cannot take the
// address of a C function).
static roster_frame_fn roster_go_frame_fn(void) {
    return roster_go_on_frame;
}

// The initialisers are macros, which cgo cannot use directly.
static roster_config roster_go_config_init(void) {
    roster_config config = ROSTER_CONFIG_INIT;
    return config;
}

static roster_list_rule roster_go_list_rule_init(void) {
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    return rule;
}

static roster_stats roster_go_stats_init(void) {
    roster_stats stats = ROSTER_STATS_INIT;
    return stats;
}
*/
import "C"

import (
	"runtime/cgo"
	"time"
	"unsafe"
)

// ---- Version ----------------------------------------------------------------

// HeaderVersionNumber is the version of roster.h this package was built
// with (major * 10000 + minor * 100 + patch); compare it with VersionNumber
// to detect a header/library mismatch.
const HeaderVersionNumber = C.ROSTER_VERSION_NUMBER

// Version is the version of the library actually linked, e.g. "0.1.0"
// (roster_version_string).
func Version() string {
	return C.GoString(C.roster_version_string())
}

// VersionNumber is the version of the library actually linked, as major *
// 10000 + minor * 100 + patch (roster_version_number).
func VersionNumber() uint {
	return uint(C.roster_version_number())
}

// ---- Status codes and errors ----------------------------------------------

// Status is a status code of the C API: StatusOK or a negative error code.
type Status int

// The status codes (fixed forever by the C API).
const (
	StatusOK       Status = C.ROSTER_OK
	StatusInvalid  Status = C.ROSTER_EINVAL
	StatusNotFound Status = C.ROSTER_ENOTFOUND
	StatusExists   Status = C.ROSTER_EEXIST
	StatusLimit    Status = C.ROSTER_ELIMIT
	StatusNoMemory Status = C.ROSTER_ENOMEM
	StatusBusy     Status = C.ROSTER_EBUSY
	StatusCorrupt  Status = C.ROSTER_ECORRUPT
	StatusVersion  Status = C.ROSTER_EVERSION
	StatusInternal Status = C.ROSTER_EINTERNAL
	StatusFlush    Status = C.ROSTER_EFLUSH // the change was made, its frames come at the next flush
	StatusIO       Status = C.ROSTER_EIO    // a snapshot's write (or read) callback failed
)

// String is the library's name for the status (roster_status_str), e.g.
// "not found"; "unknown status" for a value that is not a status.
func (s Status) String() string {
	return C.GoString(C.roster_status_str(C.int(s)))
}

// Error is a failing status returned by a call of the C API.
type Error struct {
	Op     string // the C function, e.g. "roster_member_add"
	Status Status // never StatusOK; Status.String() is its name
	// Err is what made the call fail on the Go side, if anything: the
	// io.Writer's error behind a StatusIO of SaveTo, the io.Reader's behind
	// one of LoadFrom. errors.Is and errors.As reach it through Unwrap.
	Err error
}

func (e *Error) Error() string {
	msg := "roster: " + e.Op + ": " + e.Status.String()
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns Err (nil for most errors).
func (e *Error) Unwrap() error {
	return e.Err
}

// check turns the status of the C call op into an error (nil for ROSTER_OK).
func check(op string, rc C.int) error {
	if rc == C.ROSTER_OK {
		return nil
	}
	return &Error{Op: op, Status: Status(rc)}
}

// ---- Guild ----------------------------------------------------------------

// Config holds a guild's limits and session settings (roster_config). Start
// from DefaultConfig and change fields.
//
// roster_config's allocator hooks (roster_config.allocator) are not exposed:
// a Go allocator cannot serve C memory, so the C struct passed to the
// library always has them unset (the C runtimes' allocator) and its
// reserved field 0, as ROSTER_CONFIG_INIT leaves them.
type Config struct {
	OfflineThreshold  uint32 // offline members shown while members < this
	EveryoneView      bool   // @everyone may VIEW the guild
	MaxMembers        uint32
	MaxRoles          uint32
	MaxRolesPerMember uint32
	MaxLists          uint32 // lists besides list 0
	MaxOverwrites     uint32 // role + member overwrites per list
	MaxSortKeyBytes   uint32
	ChunkSize         uint32 // rows per chunk that ranges are widened to
	MaxRanges         uint32 // ranges per subscription
	MaxRangeSpan      uint32 // rows one range may span before widening
	MaxSessionLists   uint32 // lists one session may subscribe to
	MaxSessions       uint32
}

// DefaultConfig is the library's default configuration (ROSTER_CONFIG_INIT).
func DefaultConfig() Config {
	c := C.roster_go_config_init()
	return Config{
		OfflineThreshold:  uint32(c.offline_threshold),
		EveryoneView:      c.everyone_view != 0,
		MaxMembers:        uint32(c.max_members),
		MaxRoles:          uint32(c.max_roles),
		MaxRolesPerMember: uint32(c.max_roles_per_member),
		MaxLists:          uint32(c.max_lists),
		MaxOverwrites:     uint32(c.max_overwrites),
		MaxSortKeyBytes:   uint32(c.max_sort_key_bytes),
		ChunkSize:         uint32(c.chunk_size),
		MaxRanges:         uint32(c.max_ranges),
		MaxRangeSpan:      uint32(c.max_range_span),
		MaxSessionLists:   uint32(c.max_session_lists),
		MaxSessions:       uint32(c.max_sessions),
	}
}

func (cfg *Config) toC() C.roster_config {
	// ROSTER_CONFIG_INIT sets size, reserved (0) and the allocator (none).
	c := C.roster_go_config_init()
	c.offline_threshold = C.uint32_t(cfg.OfflineThreshold)
	c.everyone_view = 0
	if cfg.EveryoneView {
		c.everyone_view = 1
	}
	c.max_members = C.uint32_t(cfg.MaxMembers)
	c.max_roles = C.uint32_t(cfg.MaxRoles)
	c.max_roles_per_member = C.uint32_t(cfg.MaxRolesPerMember)
	c.max_lists = C.uint32_t(cfg.MaxLists)
	c.max_overwrites = C.uint32_t(cfg.MaxOverwrites)
	c.max_sort_key_bytes = C.uint32_t(cfg.MaxSortKeyBytes)
	c.chunk_size = C.uint32_t(cfg.ChunkSize)
	c.max_ranges = C.uint32_t(cfg.MaxRanges)
	c.max_range_span = C.uint32_t(cfg.MaxRangeSpan)
	c.max_session_lists = C.uint32_t(cfg.MaxSessionLists)
	c.max_sessions = C.uint32_t(cfg.MaxSessions)
	return c
}

// Guild is one guild of the C library (roster_guild). Create it with
// NewGuild (or Load, LoadFrom) and release it with Close.
type Guild struct {
	ptr *C.roster_guild

	// The frame callback, and the handle that names this guild in the
	// trampoline (0 until a callback is first set); handleSlot is the C
	// memory holding the handle, given to the library as user_data.
	onFrame    FrameFunc
	handle     cgo.Handle
	handleSlot *C.uintptr_t
	// The view handed to the callback, re-pointed at each frame (so that a
	// frame costs no allocation), and the frames delivered so far.
	view   FrameView
	frames uint64
	// The frames of the last TakeFrames (queue.go): the library's block,
	// valid until the next take or Close.
	batch FrameBatch

	// C memory of the bulk calls (bulk.go): kept between calls, grown when a
	// call needs more, freed by Close.
	scratch    unsafe.Pointer
	scratchCap uintptr

	// Callbacks running (frames are delivered from inside the guild's own
	// calls), and a panic of the callback, re-raised when the C call that
	// delivered the frame has returned (a panic must not unwind through the
	// library's frames).
	delivering int
	panicked   interface{}
	hasPanic   bool
}

// NewGuild creates an empty guild (list 0, "everyone", exists from the
// start; roster_guild_create). cfg nil means DefaultConfig(). The caller
// owns the guild: Close it.
func NewGuild(cfg *Config) (*Guild, error) {
	var ptr *C.roster_guild
	var rc C.int
	if cfg == nil {
		rc = C.roster_guild_create(&ptr, nil)
	} else {
		c := cfg.toC()
		rc = C.roster_guild_create(&ptr, &c)
	}
	if err := check("roster_guild_create", rc); err != nil {
		return nil, err
	}
	return &Guild{ptr: ptr}, nil
}

// Close destroys the guild and everything it holds (roster_guild_destroy).
// Calling it again does nothing. It must not be called from the guild's
// frame callback or a snapshot writer (that returns a StatusBusy error).
func (g *Guild) Close() error {
	if g.delivering > 0 {
		return &Error{Op: "roster_guild_destroy", Status: StatusBusy}
	}
	g.batch.reset(nil, 0) // the taken block goes with the guild
	if g.ptr != nil {
		C.roster_guild_destroy(g.ptr)
		g.ptr = nil
	}
	if g.scratch != nil {
		C.free(g.scratch)
		g.scratch, g.scratchCap = nil, 0
	}
	if g.handleSlot != nil {
		C.free(unsafe.Pointer(g.handleSlot))
		g.handleSlot = nil
	}
	if g.handle != 0 {
		g.handle.Delete()
		g.handle = 0
	}
	g.onFrame = nil
	return nil
}

// done turns the status of the C call op into an error, after re-raising a
// panic of the frame callback that happened during that call.
func (g *Guild) done(op string, rc C.int) error {
	if g.hasPanic && g.delivering == 0 {
		p := g.panicked
		g.panicked, g.hasPanic = nil, false
		panic(p)
	}
	return check(op, rc)
}

// SetFrameCallback sets the function that receives the frames
// (roster_guild_set_frame_callback; nil clears it: frames are then computed
// and dropped). Frames are delivered from inside the guild's calls that
// change the guild or a subscription, before they return. Inside fn,
// queries see the guild as of the flush; calls that change the guild or
// subscribe fail with StatusBusy, except RemoveSession and Unsubscribe. The
// *FrameView fn receives is valid only until fn returns (see FrameView).
// Setting a callback (or clearing it) switches the frame queue off
// (SetFrameQueue).
func (g *Guild) SetFrameCallback(fn FrameFunc) error {
	const op = "roster_guild_set_frame_callback"
	if fn == nil {
		rc := C.roster_guild_set_frame_callback(g.ptr, nil, nil)
		if err := g.done(op, rc); err != nil {
			return err
		}
		g.onFrame = nil
		return nil
	}
	if g.ptr == nil {
		return &Error{Op: op, Status: StatusInvalid}
	}
	if g.handle == 0 {
		// The handle names the guild; the guild keeps the current function,
		// so one handle serves every callback set later.
		g.handle = cgo.NewHandle(g)
		g.handleSlot = (*C.uintptr_t)(C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0)))))
		*g.handleSlot = C.uintptr_t(g.handle)
	}
	rc := C.roster_guild_set_frame_callback(g.ptr, C.roster_go_frame_fn(),
		unsafe.Pointer(g.handleSlot))
	if err := g.done(op, rc); err != nil {
		return err
	}
	g.onFrame = fn
	return nil
}

// SetEveryoneView sets the guild-wide @everyone VIEW permission
// (roster_guild_set_everyone_view).
func (g *Guild) SetEveryoneView(view bool) error {
	v := C.int(0)
	if view {
		v = 1
	}
	return g.done("roster_guild_set_everyone_view", C.roster_guild_set_everyone_view(g.ptr, v))
}

// SetOfflineThreshold sets the member count below which offline members are
// shown (roster_guild_set_offline_threshold).
func (g *Guild) SetOfflineThreshold(threshold uint32) error {
	return g.done("roster_guild_set_offline_threshold",
		C.roster_guild_set_offline_threshold(g.ptr, C.uint32_t(threshold)))
}

// MemberCount is the number of members in the guild
// (roster_guild_member_count).
func (g *Guild) MemberCount() (uint32, error) {
	var n C.uint32_t
	err := g.done("roster_guild_member_count", C.roster_guild_member_count(&n, g.ptr))
	return uint32(n), err
}

// SessionCount is the number of sessions in the guild
// (roster_guild_session_count).
func (g *Guild) SessionCount() (uint32, error) {
	var n C.uint32_t
	err := g.done("roster_guild_session_count", C.roster_guild_session_count(&n, g.ptr))
	return uint32(n), err
}

// Stats are a guild's counters and sizes, for monitoring (roster_stats).
// The counters count from the guild's creation; a loaded guild's start at 0.
type Stats struct {
	Members       uint32        // members in the guild
	Lists         uint32        // lists, list 0 included
	Sessions      uint32        // as SessionCount
	Subscriptions uint64        // distinct subscriptions (each gets one frame per flush)
	ChunksHeld    uint64        // chunks some session holds, over all lists
	MemoryBytes   uint64        // bytes the guild holds, by its own accounting (not the RSS)
	Flushes       uint64        // flushes run
	Frames        uint64        // frames delivered: calls of the frame callback
	Deliveries    uint64        // frames x the sessions each was for
	Ops           uint64        // ops in the delivered frames (once per frame)
	Rows          uint64        // rows (items) in the delivered frames (once per frame)
	LastFlush     time.Duration // the last flush, the callback's time included
	MaxFlush      time.Duration // the longest flush
}

// Stats returns the guild's counters and sizes (roster_guild_stats).
func (g *Guild) Stats() (Stats, error) {
	c := C.roster_go_stats_init() // sets size
	if err := g.done("roster_guild_stats", C.roster_guild_stats(&c, g.ptr)); err != nil {
		return Stats{}, err
	}
	return Stats{
		Members:       uint32(c.members),
		Lists:         uint32(c.lists),
		Sessions:      uint32(c.sessions),
		Subscriptions: uint64(c.subscriptions),
		ChunksHeld:    uint64(c.chunks_held),
		MemoryBytes:   uint64(c.memory_bytes),
		Flushes:       uint64(c.flushes),
		Frames:        uint64(c.frames),
		Deliveries:    uint64(c.deliveries),
		Ops:           uint64(c.ops),
		Rows:          uint64(c.rows),
		LastFlush:     time.Duration(c.last_flush_ns),
		MaxFlush:      time.Duration(c.max_flush_ns),
	}, nil
}

// ---- Batches ----------------------------------------------------------------

// BeginBatch starts a batch (roster_batch_begin): the frames of the events
// until the matching CommitBatch are delivered together at the outermost
// commit. Batches nest.
func (g *Guild) BeginBatch() error {
	return g.done("roster_batch_begin", C.roster_batch_begin(g.ptr))
}

// CommitBatch ends a batch (roster_batch_commit); the outermost commit
// delivers its frames.
func (g *Guild) CommitBatch() error {
	return g.done("roster_batch_commit", C.roster_batch_commit(g.ptr))
}

// Flush delivers now the frames of everything not delivered yet
// (roster_guild_flush): after a StatusFlush error it brings the sessions up
// to date without waiting for the next event. Nothing owed: no frame, nil.
// Errors: StatusInvalid (inside a batch: the commit flushes), StatusBusy
// (inside the frame callback), StatusFlush (memory ran out again).
func (g *Guild) Flush() error {
	return g.done("roster_guild_flush", C.roster_guild_flush(g.ptr))
}

// ---- Roles ------------------------------------------------------------------

// RoleFlags are a role's ROSTER_ROLE_* bits.
type RoleFlags uint32

// Role flags.
const (
	RoleHoist RoleFlags = C.ROSTER_ROLE_HOIST // members shown in the role's own section
	RoleView  RoleFlags = C.ROSTER_ROLE_VIEW  // the role grants VIEW at guild level
	RoleAdmin RoleFlags = C.ROSTER_ROLE_ADMIN // sees everything
)

// Role is a role's settings (roster_role).
type Role struct {
	ID       uint64
	Position int32 // higher is shown first
	Flags    RoleFlags
}

// UpsertRole creates the role or replaces the settings of an existing one
// (roster_role_upsert).
func (g *Guild) UpsertRole(r Role) error {
	c := C.roster_role{id: C.uint64_t(r.ID), position: C.int32_t(r.Position),
		flags: C.uint32_t(r.Flags)}
	return g.done("roster_role_upsert", C.roster_role_upsert(g.ptr, &c))
}

// RemoveRole removes the role from the guild and from every member
// (roster_role_remove).
func (g *Guild) RemoveRole(id uint64) error {
	return g.done("roster_role_remove", C.roster_role_remove(g.ptr, C.uint64_t(id)))
}

// RolePosition is one entry of ReorderRoles: a role and its new position.
type RolePosition struct {
	ID       uint64
	Position int32
}

// ReorderRoles sets the positions of many roles at once (roster_roles_reorder;
// ids distinct and existing). Errors: StatusInvalid (a duplicate or zero
// id), StatusNotFound.
func (g *Guild) ReorderRoles(roles []RolePosition) error {
	var ids *C.uint64_t
	var positions *C.int32_t
	if len(roles) > 0 {
		// Two Go arrays without pointers, read only during the call.
		idv := make([]C.uint64_t, len(roles))
		posv := make([]C.int32_t, len(roles))
		for i, r := range roles {
			idv[i], posv[i] = C.uint64_t(r.ID), C.int32_t(r.Position)
		}
		ids, positions = &idv[0], &posv[0]
	}
	return g.done("roster_roles_reorder",
		C.roster_roles_reorder(g.ptr, ids, positions, C.size_t(len(roles))))
}

// ---- Members ----------------------------------------------------------------

// Presence is a member's status (roster_presence).
type Presence int32

// Presences. Offline is also what a host sends for "invisible".
const (
	Offline Presence = C.ROSTER_OFFLINE
	Online  Presence = C.ROSTER_ONLINE
	Idle    Presence = C.ROSTER_IDLE
	DND     Presence = C.ROSTER_DND
)

// Group ids of the two reserved groups (every other group id is a hoisted
// role's id).
const (
	GroupOnline  uint64 = C.ROSTER_GROUP_ONLINE
	GroupOffline uint64 = C.ROSTER_GROUP_OFFLINE
)

// cBytes is the string's bytes for a call that reads them only during the
// call (Go memory without pointers may be passed to C for that long). An
// empty string gives nil, which the library rejects as a bad name.
func cBytes(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	b := []byte(s)
	return (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// cIDs is a pointer to the ids for the duration of a call (nil when empty).
func cIDs(ids []uint64) (*C.uint64_t, C.size_t) {
	if len(ids) == 0 {
		return nil, 0
	}
	return (*C.uint64_t)(unsafe.Pointer(&ids[0])), C.size_t(len(ids))
}

// AddMember adds a member with a display name (UTF-8, 1..128 bytes), its
// roles (duplicates ignored) and presence (roster_member_add). Many at once:
// AddMembers.
func (g *Guild) AddMember(id uint64, name string, roles []uint64, status Presence) error {
	n, nlen := cBytes(name)
	r, rlen := cIDs(roles)
	return g.done("roster_member_add",
		C.roster_member_add(g.ptr, C.uint64_t(id), n, nlen, r, rlen, C.int(status)))
}

// UpsertMember is AddMember that replaces the data of an existing member
// (roster_member_upsert).
func (g *Guild) UpsertMember(id uint64, name string, roles []uint64, status Presence) error {
	n, nlen := cBytes(name)
	r, rlen := cIDs(roles)
	return g.done("roster_member_upsert",
		C.roster_member_upsert(g.ptr, C.uint64_t(id), n, nlen, r, rlen, C.int(status)))
}

// RemoveMember removes a member from the guild and every list
// (roster_member_remove).
func (g *Guild) RemoveMember(id uint64) error {
	return g.done("roster_member_remove", C.roster_member_remove(g.ptr, C.uint64_t(id)))
}

// SetStatus changes a member's presence (roster_member_set_status).
func (g *Guild) SetStatus(id uint64, status Presence) error {
	return g.done("roster_member_set_status",
		C.roster_member_set_status(g.ptr, C.uint64_t(id), C.int(status)))
}

// SetName changes a member's display name (roster_member_set_name).
func (g *Guild) SetName(id uint64, name string) error {
	n, nlen := cBytes(name)
	return g.done("roster_member_set_name",
		C.roster_member_set_name(g.ptr, C.uint64_t(id), n, nlen))
}

// SetSortKey gives a member a host sort key (bytes, 1..MaxSortKeyBytes)
// that replaces the default one, its name with A-Z folded to a-z
// (roster_member_set_sort_key). A nil key restores the default; an empty
// non-nil key is StatusInvalid, a longer one than the config allows
// StatusLimit.
func (g *Guild) SetSortKey(id uint64, key []byte) error {
	var p unsafe.Pointer // NULL: the default key
	if key != nil {
		var empty [1]byte // a non-NULL pointer for an empty key (refused)
		p = unsafe.Pointer(&empty[0])
		if len(key) > 0 {
			p = unsafe.Pointer(&key[0])
		}
	}
	return g.done("roster_member_set_sort_key",
		C.roster_member_set_sort_key(g.ptr, C.uint64_t(id), p, C.size_t(len(key))))
}

// SetRoles replaces a member's roles (none: no roles; roster_member_set_roles).
func (g *Guild) SetRoles(id uint64, roles []uint64) error {
	r, rlen := cIDs(roles)
	return g.done("roster_member_set_roles",
		C.roster_member_set_roles(g.ptr, C.uint64_t(id), r, rlen))
}

// AddRole gives a member one more role (roster_member_add_role).
func (g *Guild) AddRole(id, role uint64) error {
	return g.done("roster_member_add_role",
		C.roster_member_add_role(g.ptr, C.uint64_t(id), C.uint64_t(role)))
}

// RemoveMemberRole takes one role from a member (roster_member_remove_role).
func (g *Guild) RemoveMemberRole(id, role uint64) error {
	return g.done("roster_member_remove_role",
		C.roster_member_remove_role(g.ptr, C.uint64_t(id), C.uint64_t(role)))
}

// Touch tells that a member's data changed without moving it (avatar,
// activity, ...): its rows are sent again (roster_member_touch).
func (g *Guild) Touch(id uint64) error {
	return g.done("roster_member_touch", C.roster_member_touch(g.ptr, C.uint64_t(id)))
}

// MemberInfo is a member's data (roster_member_info and its roles), copied
// into Go memory.
type MemberInfo struct {
	ID     uint64
	Name   string
	Status Presence
	Group  uint64   // its group: a hoisted role's id, GroupOnline or GroupOffline
	Roles  []uint64 // ascending ids; nil when it has none
}

// Member returns a member's data (roster_member_get). Errors:
// StatusNotFound (unknown member).
func (g *Guild) Member(id uint64) (MemberInfo, error) {
	const op = "roster_member_get"
	var info C.roster_member_info
	var local [8]C.uint64_t
	roles := local[:]
	var total C.size_t
	rc := C.roster_member_get(&info, &roles[0], C.size_t(len(roles)), &total, g.ptr,
		C.uint64_t(id))
	if rc == C.ROSTER_OK && int(total) > len(roles) {
		roles = make([]C.uint64_t, total)
		rc = C.roster_member_get(&info, &roles[0], C.size_t(len(roles)), &total, g.ptr,
			C.uint64_t(id))
	}
	if err := g.done(op, rc); err != nil {
		return MemberInfo{}, err
	}
	// The name points into the guild: copy it before anything else runs.
	m := MemberInfo{
		ID:     uint64(info.id),
		Name:   C.GoStringN(info.name, C.int(info.name_len)),
		Status: Presence(info.status),
		Group:  uint64(info.group),
	}
	if total > 0 {
		m.Roles = make([]uint64, total)
		for i, r := range roles[:total] {
			m.Roles[i] = uint64(r)
		}
	}
	return m, nil
}

// ---- Lists ------------------------------------------------------------------

// OverwriteMode is the @everyone setting of a list rule (ROSTER_OVERWRITE_*).
type OverwriteMode int32

// Overwrite modes.
const (
	OverwriteNone  OverwriteMode = C.ROSTER_OVERWRITE_NONE
	OverwriteAllow OverwriteMode = C.ROSTER_OVERWRITE_ALLOW
	OverwriteDeny  OverwriteMode = C.ROSTER_OVERWRITE_DENY
)

// Overwrite allows or denies VIEW to one role or member.
type Overwrite struct {
	ID    uint64 // a role id (role overwrites) or a user id (member overwrites)
	Allow bool   // true: allow VIEW; false: deny VIEW
}

// ListRule says who may view a list (roster_list_rule).
type ListRule struct {
	Everyone OverwriteMode
	Roles    []Overwrite
	Members  []Overwrite
}

func cOverwrite(ow Overwrite) C.roster_overwrite {
	c := C.roster_overwrite{id: C.uint64_t(ow.ID)}
	if ow.Allow {
		c.allow = 1
	}
	return c
}

// SetList creates the list with the rule, or replaces its rule
// (roster_list_set). List 0 cannot be changed.
func (g *Guild) SetList(id uint64, rule ListRule) error {
	const op = "roster_list_set"
	c := C.roster_go_list_rule_init()
	c.everyone = C.int32_t(rule.Everyone)
	c.role_count = C.size_t(len(rule.Roles))
	c.member_count = C.size_t(len(rule.Members))
	if n := len(rule.Roles) + len(rule.Members); n > 0 {
		// The rule is passed to C and points to the overwrites, so they
		// must be C memory (Go memory handed to C holds no Go pointers):
		// the guild's scratch buffer.
		if err := g.bulkReady(op); err != nil {
			return err
		}
		all := unsafe.Slice((*C.roster_overwrite)(g.scratchFor(uintptr(n)*
			unsafe.Sizeof(C.roster_overwrite{}))), n)
		for i, ow := range rule.Roles {
			all[i] = cOverwrite(ow)
		}
		for i, ow := range rule.Members {
			all[len(rule.Roles)+i] = cOverwrite(ow)
		}
		if len(rule.Roles) > 0 {
			c.roles = &all[0]
		}
		if len(rule.Members) > 0 {
			c.members = &all[len(rule.Roles)]
		}
	}
	return g.done(op, C.roster_list_set(g.ptr, C.uint64_t(id), &c))
}

// RemoveList removes a list (roster_list_remove); its subscribers get a last
// frame.
func (g *Guild) RemoveList(id uint64) error {
	return g.done("roster_list_remove", C.roster_list_remove(g.ptr, C.uint64_t(id)))
}

// ListLength is the number of rows of a list, headers included
// (roster_list_length).
func (g *Guild) ListLength(list uint64) (uint32, error) {
	var n C.uint32_t
	err := g.done("roster_list_length", C.roster_list_length(&n, g.ptr, C.uint64_t(list)))
	return uint32(n), err
}

// ListCounts returns the members visible in the list (shown or not) and
// those of them not offline (roster_list_counts).
func (g *Guild) ListCounts(list uint64) (members, online uint32, err error) {
	var m, o C.uint32_t
	err = g.done("roster_list_counts", C.roster_list_counts(&m, &o, g.ptr, C.uint64_t(list)))
	return uint32(m), uint32(o), err
}

// Groups returns the groups that appear in a list, in order, with their
// member counts (roster_list_groups).
func (g *Guild) Groups(list uint64) ([]Group, error) {
	const op = "roster_list_groups"
	var total C.size_t
	rc := C.roster_list_groups(nil, 0, &total, g.ptr, C.uint64_t(list))
	if err := g.done(op, rc); err != nil || total == 0 {
		return nil, err
	}
	// Group has roster_group's layout (frame.go): the library writes the
	// Go slice directly.
	out := make([]Group, total)
	rc = C.roster_list_groups((*C.roster_group)(unsafe.Pointer(&out[0])), total, &total, g.ptr,
		C.uint64_t(list))
	if err := g.done(op, rc); err != nil {
		return nil, err
	}
	return out[:minInt(len(out), int(total))], nil
}

// Rows returns the rows [start, end] of a list that exist (end is clipped
// to the last row), headers included (roster_list_rows).
func (g *Guild) Rows(list uint64, start, end uint32) ([]Row, error) {
	const op = "roster_list_rows"
	var total C.size_t
	rc := C.roster_list_rows(nil, 0, &total, g.ptr, C.uint64_t(list), C.uint32_t(start),
		C.uint32_t(end))
	if err := g.done(op, rc); err != nil || total == 0 {
		return nil, err
	}
	// Row has roster_row's layout (frame.go).
	out := make([]Row, total)
	rc = C.roster_list_rows((*C.roster_row)(unsafe.Pointer(&out[0])), total, &total, g.ptr,
		C.uint64_t(list), C.uint32_t(start), C.uint32_t(end))
	if err := g.done(op, rc); err != nil {
		return nil, err
	}
	return out[:minInt(len(out), int(total))], nil
}

// IndexOf is the row of a member shown in the list (roster_list_index_of).
// StatusNotFound when the member is unknown, not visible in the list, or
// hidden (offline past the threshold).
func (g *Guild) IndexOf(list, user uint64) (uint32, error) {
	var i C.uint32_t
	err := g.done("roster_list_index_of",
		C.roster_list_index_of(&i, g.ptr, C.uint64_t(list), C.uint64_t(user)))
	return uint32(i), err
}

// CanView says whether the member may view the list by its rule
// (roster_list_can_view), shown or hidden as offline; false for a user who
// is not a member.
func (g *Guild) CanView(list, user uint64) (bool, error) {
	var v C.int
	err := g.done("roster_list_can_view",
		C.roster_list_can_view(&v, g.ptr, C.uint64_t(list), C.uint64_t(user)))
	return v != 0, err
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// ---- Sessions ---------------------------------------------------------------

// Range is a range of rows, both ends inclusive (roster_range; reversed
// ends are swapped).
type Range struct {
	Start, End uint32
}

// Subscribe subscribes the session (created on first use) to ranges of the
// list, replacing its previous subscription to that list
// (roster_session_subscribe). No ranges unsubscribes.
func (g *Guild) Subscribe(session, list uint64, ranges ...Range) error {
	var p *C.roster_range
	if len(ranges) > 0 {
		// Range has roster_range's layout (frame.go), and no pointers.
		p = (*C.roster_range)(unsafe.Pointer(&ranges[0]))
	}
	return g.done("roster_session_subscribe", C.roster_session_subscribe(g.ptr,
		C.uint64_t(session), C.uint64_t(list), p, C.size_t(len(ranges))))
}

// Unsubscribe ends the session's subscription to the list (the session
// itself stays until RemoveSession). Allowed inside the frame callback.
func (g *Guild) Unsubscribe(session, list uint64) error {
	return g.Subscribe(session, list)
}

// RemoveSession removes the session and all its subscriptions
// (roster_session_remove). Allowed inside the frame callback.
func (g *Guild) RemoveSession(session uint64) error {
	return g.done("roster_session_remove", C.roster_session_remove(g.ptr, C.uint64_t(session)))
}

// SessionRanges returns the session's normalised ranges for a list (whole
// chunks, ascending, adjacent chunks merged; roster_session_ranges): none
// when it is not subscribed to the list. Errors: StatusNotFound (unknown
// session).
func (g *Guild) SessionRanges(session, list uint64) ([]Range, error) {
	const op = "roster_session_ranges"
	var local [4]Range
	out := local[:]
	var total C.size_t
	rc := C.roster_session_ranges((*C.roster_range)(unsafe.Pointer(&out[0])), C.size_t(len(out)),
		&total, g.ptr, C.uint64_t(session), C.uint64_t(list))
	if rc == C.ROSTER_OK && int(total) > len(out) {
		out = make([]Range, total)
		rc = C.roster_session_ranges((*C.roster_range)(unsafe.Pointer(&out[0])),
			C.size_t(len(out)), &total, g.ptr, C.uint64_t(session), C.uint64_t(list))
	}
	if err := g.done(op, rc); err != nil || total == 0 {
		return nil, err
	}
	return append([]Range(nil), out[:minInt(len(out), int(total))]...), nil
}
