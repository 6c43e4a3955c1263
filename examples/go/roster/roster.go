// Package roster is a small Go wrapper over roster's C API
// (include/roster/roster.h): a guild's member list, its lists, and the
// sessions that receive frames of ops for the rows they view.
//
// Every call that can fail returns an error; a failing status of the C API
// becomes an *Error carrying the status code, so
//
//	var rerr *roster.Error
//	if errors.As(err, &rerr) && rerr.Status == roster.StatusNotFound { ... }
//
// gets the code back. A Guild owns C memory: Close it when done. A Guild is
// not safe for concurrent use (one goroutine at a time, as the C API says);
// distinct guilds are independent.
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

// Adapts the trampoline to roster_frame_fn: user_data carries a
// runtime/cgo.Handle, never a Go pointer.
static void roster_go_on_frame(const roster_frame *frame, const uint64_t *sessions,
                               size_t session_count, void *user_data) {
    rosterGoFrame((roster_frame *)frame, (uint64_t *)sessions, session_count,
                  (uintptr_t)user_data);
}

static int roster_go_set_frame_callback(roster_guild *guild, uintptr_t handle) {
    return roster_guild_set_frame_callback(guild, roster_go_on_frame, (void *)handle);
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

// Version is the version of the library actually linked, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.roster_version_string())
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
// "not found".
func (s Status) String() string {
	return C.GoString(C.roster_status_str(C.int(s)))
}

// Error is a failing status returned by a call of the C API.
type Error struct {
	Op     string // the C function, e.g. "roster_member_add"
	Status Status // never StatusOK
	// Err is what made the call fail on the Go side, if anything: the
	// io.Writer's error behind a StatusIO of SaveTo. errors.Is and errors.As
	// reach it through Unwrap.
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
// NewGuild and release it with Close.
type Guild struct {
	ptr *C.roster_guild

	// The frame callback, and the handle that the C side holds as its
	// user_data (0 until a callback is first set).
	onFrame FrameFunc
	handle  cgo.Handle

	// Callbacks running (frames are delivered from inside the guild's own
	// calls), and a panic of the callback, re-raised when the C call that
	// delivered the frame has returned (a panic must not unwind through the
	// library's frames).
	delivering int
	panicked   interface{}
	hasPanic   bool
}

// NewGuild creates an empty guild (list 0, "everyone", exists from the
// start). cfg nil means DefaultConfig().
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

// Close destroys the guild and everything it holds. Calling it again does
// nothing. It must not be called from the guild's frame callback (that
// returns a StatusBusy error).
func (g *Guild) Close() error {
	if g.delivering > 0 {
		return &Error{Op: "roster_guild_destroy", Status: StatusBusy}
	}
	if g.ptr != nil {
		C.roster_guild_destroy(g.ptr)
		g.ptr = nil
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

// SetFrameCallback sets the function that receives the frames (nil clears
// it: frames are then computed and dropped). Frames are delivered from
// inside the guild's calls that change the guild or a subscription, before
// they return. Inside fn, queries see the guild as of the flush; calls
// that change the guild or subscribe fail with StatusBusy, except
// RemoveSession and Unsubscribe.
func (g *Guild) SetFrameCallback(fn FrameFunc) error {
	if fn == nil {
		rc := C.roster_guild_set_frame_callback(g.ptr, nil, nil)
		if err := g.done("roster_guild_set_frame_callback", rc); err != nil {
			return err
		}
		g.onFrame = nil
		return nil
	}
	if g.ptr == nil {
		return &Error{Op: "roster_guild_set_frame_callback", Status: StatusInvalid}
	}
	if g.handle == 0 {
		// The handle names the guild; the guild keeps the current function,
		// so one handle serves every callback set later.
		g.handle = cgo.NewHandle(g)
	}
	rc := C.roster_go_set_frame_callback(g.ptr, C.uintptr_t(g.handle))
	if err := g.done("roster_guild_set_frame_callback", rc); err != nil {
		return err
	}
	g.onFrame = fn
	return nil
}

// SetEveryoneView sets the guild-wide @everyone VIEW permission.
func (g *Guild) SetEveryoneView(view bool) error {
	v := C.int(0)
	if view {
		v = 1
	}
	return g.done("roster_guild_set_everyone_view", C.roster_guild_set_everyone_view(g.ptr, v))
}

// SetOfflineThreshold sets the member count below which offline members are
// shown.
func (g *Guild) SetOfflineThreshold(threshold uint32) error {
	return g.done("roster_guild_set_offline_threshold",
		C.roster_guild_set_offline_threshold(g.ptr, C.uint32_t(threshold)))
}

// MemberCount is the number of members in the guild.
func (g *Guild) MemberCount() (uint32, error) {
	var n C.uint32_t
	err := g.done("roster_guild_member_count", C.roster_guild_member_count(&n, g.ptr))
	return uint32(n), err
}

// SessionCount is the number of sessions in the guild.
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

// BeginBatch starts a batch: the frames of the events until the matching
// CommitBatch are delivered together at the outermost commit. Batches nest.
func (g *Guild) BeginBatch() error {
	return g.done("roster_batch_begin", C.roster_batch_begin(g.ptr))
}

// CommitBatch ends a batch; the outermost commit delivers its frames.
func (g *Guild) CommitBatch() error {
	return g.done("roster_batch_commit", C.roster_batch_commit(g.ptr))
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

// UpsertRole creates the role or replaces the settings of an existing one.
func (g *Guild) UpsertRole(r Role) error {
	c := C.roster_role{id: C.uint64_t(r.ID), position: C.int32_t(r.Position),
		flags: C.uint32_t(r.Flags)}
	return g.done("roster_role_upsert", C.roster_role_upsert(g.ptr, &c))
}

// RemoveRole removes the role from the guild and from every member.
func (g *Guild) RemoveRole(id uint64) error {
	return g.done("roster_role_remove", C.roster_role_remove(g.ptr, C.uint64_t(id)))
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
// roles (duplicates ignored) and presence.
func (g *Guild) AddMember(id uint64, name string, roles []uint64, status Presence) error {
	n, nlen := cBytes(name)
	r, rlen := cIDs(roles)
	return g.done("roster_member_add",
		C.roster_member_add(g.ptr, C.uint64_t(id), n, nlen, r, rlen, C.int(status)))
}

// UpsertMember is AddMember that replaces the data of an existing member.
func (g *Guild) UpsertMember(id uint64, name string, roles []uint64, status Presence) error {
	n, nlen := cBytes(name)
	r, rlen := cIDs(roles)
	return g.done("roster_member_upsert",
		C.roster_member_upsert(g.ptr, C.uint64_t(id), n, nlen, r, rlen, C.int(status)))
}

// RemoveMember removes a member.
func (g *Guild) RemoveMember(id uint64) error {
	return g.done("roster_member_remove", C.roster_member_remove(g.ptr, C.uint64_t(id)))
}

// SetStatus changes a member's presence.
func (g *Guild) SetStatus(id uint64, status Presence) error {
	return g.done("roster_member_set_status",
		C.roster_member_set_status(g.ptr, C.uint64_t(id), C.int(status)))
}

// SetName changes a member's display name.
func (g *Guild) SetName(id uint64, name string) error {
	n, nlen := cBytes(name)
	return g.done("roster_member_set_name",
		C.roster_member_set_name(g.ptr, C.uint64_t(id), n, nlen))
}

// SetRoles replaces a member's roles (none: no roles).
func (g *Guild) SetRoles(id uint64, roles []uint64) error {
	r, rlen := cIDs(roles)
	return g.done("roster_member_set_roles",
		C.roster_member_set_roles(g.ptr, C.uint64_t(id), r, rlen))
}

// AddRole gives a member one more role.
func (g *Guild) AddRole(id, role uint64) error {
	return g.done("roster_member_add_role",
		C.roster_member_add_role(g.ptr, C.uint64_t(id), C.uint64_t(role)))
}

// RemoveMemberRole takes one role from a member.
func (g *Guild) RemoveMemberRole(id, role uint64) error {
	return g.done("roster_member_remove_role",
		C.roster_member_remove_role(g.ptr, C.uint64_t(id), C.uint64_t(role)))
}

// Touch tells that a member's data changed without moving it (avatar,
// activity, ...): its rows are sent again.
func (g *Guild) Touch(id uint64) error {
	return g.done("roster_member_touch", C.roster_member_touch(g.ptr, C.uint64_t(id)))
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

// cOverwrites copies overwrites into C memory: the rule that points to them
// is itself passed to C, and Go memory handed to C must not hold Go
// pointers. The caller frees the result with C.free (nil when empty).
func cOverwrites(ows []Overwrite) *C.roster_overwrite {
	if len(ows) == 0 {
		return nil
	}
	size := C.size_t(len(ows)) * C.size_t(unsafe.Sizeof(C.roster_overwrite{}))
	p := (*C.roster_overwrite)(C.malloc(size))
	if p == nil {
		panic("roster: out of memory")
	}
	out := unsafe.Slice(p, len(ows))
	for i, ow := range ows {
		out[i].id = C.uint64_t(ow.ID)
		out[i].allow = 0
		if ow.Allow {
			out[i].allow = 1
		}
	}
	return p
}

// SetList creates the list with the rule, or replaces its rule. List 0
// cannot be changed.
func (g *Guild) SetList(id uint64, rule ListRule) error {
	c := C.roster_go_list_rule_init()
	c.everyone = C.int32_t(rule.Everyone)
	c.roles = cOverwrites(rule.Roles)
	defer C.free(unsafe.Pointer(c.roles))
	c.role_count = C.size_t(len(rule.Roles))
	c.members = cOverwrites(rule.Members)
	defer C.free(unsafe.Pointer(c.members))
	c.member_count = C.size_t(len(rule.Members))
	return g.done("roster_list_set", C.roster_list_set(g.ptr, C.uint64_t(id), &c))
}

// RemoveList removes a list; its subscribers get a last frame.
func (g *Guild) RemoveList(id uint64) error {
	return g.done("roster_list_remove", C.roster_list_remove(g.ptr, C.uint64_t(id)))
}

// Rows returns the rows [start, end] of a list that exist (end is clipped
// to the last row), headers included.
func (g *Guild) Rows(list uint64, start, end uint32) ([]Row, error) {
	const op = "roster_list_rows"
	var total C.size_t
	rc := C.roster_list_rows(nil, 0, &total, g.ptr, C.uint64_t(list), C.uint32_t(start),
		C.uint32_t(end))
	if err := g.done(op, rc); err != nil || total == 0 {
		return nil, err
	}
	buf := make([]C.roster_row, total)
	rc = C.roster_list_rows(&buf[0], total, &total, g.ptr, C.uint64_t(list), C.uint32_t(start),
		C.uint32_t(end))
	if err := g.done(op, rc); err != nil {
		return nil, err
	}
	return copyRows(&buf[0], C.uint32_t(len(buf))), nil
}

// ---- Sessions ---------------------------------------------------------------

// Range is a range of rows, both ends inclusive (reversed ends are swapped).
type Range struct {
	Start, End uint32
}

// Subscribe subscribes the session (created on first use) to ranges of the
// list, replacing its previous subscription to that list. No ranges
// unsubscribes.
func (g *Guild) Subscribe(session, list uint64, ranges ...Range) error {
	var p *C.roster_range
	if len(ranges) > 0 {
		cr := make([]C.roster_range, len(ranges))
		for i, r := range ranges {
			cr[i] = C.roster_range{start: C.uint32_t(r.Start), end: C.uint32_t(r.End)}
		}
		p = &cr[0]
	}
	return g.done("roster_session_subscribe", C.roster_session_subscribe(g.ptr,
		C.uint64_t(session), C.uint64_t(list), p, C.size_t(len(ranges))))
}

// Unsubscribe ends the session's subscription to the list (the session
// itself stays until RemoveSession).
func (g *Guild) Unsubscribe(session, list uint64) error {
	return g.Subscribe(session, list)
}

// RemoveSession removes the session and all its subscriptions.
func (g *Guild) RemoveSession(session uint64) error {
	return g.done("roster_session_remove", C.roster_session_remove(g.ptr, C.uint64_t(session)))
}
