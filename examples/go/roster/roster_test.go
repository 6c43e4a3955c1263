package roster_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/roster-engine/roster/examples/go/roster"
)

func newGuild(t *testing.T) *roster.Guild {
	t.Helper()
	cfg := roster.DefaultConfig()
	cfg.ChunkSize = 10
	g, err := roster.NewGuild(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// wantStatus requires err to be a *roster.Error with the status.
func wantStatus(t *testing.T, err error, want roster.Status) {
	t.Helper()
	var rerr *roster.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("error %v (%T): want a *roster.Error", err, err)
	}
	if rerr.Status != want {
		t.Fatalf("status %d (%v): want %d (%v)", rerr.Status, rerr.Status, want, want)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recorder keeps a copy of every frame a guild delivers.
type recorder struct{ frames []*roster.Frame }

func (r *recorder) on(f *roster.FrameView) { r.frames = append(r.frames, f.Copy()) }

func (r *recorder) take() []*roster.Frame {
	f := r.frames
	r.frames = nil
	return f
}

// Every function of the linker map (capi/roster.map) is called through cgo
// (C.roster_xxx) by the package's own code, not only by a C helper.
func TestCoversCAPI(t *testing.T) {
	mapText, err := os.ReadFile(filepath.Join("..", "..", "..", "capi", "roster.map"))
	if err != nil {
		t.Skipf("capi/roster.map not found (not run from the source tree): %v", err)
	}
	names := regexp.MustCompile(`(?m)^\s*(roster_\w+);`).FindAllStringSubmatch(string(mapText), -1)
	if len(names) < 40 {
		t.Fatalf("only %d functions in roster.map", len(names))
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	for _, n := range names {
		if !strings.Contains(src.String(), "C."+n[1]+"(") {
			t.Errorf("%s is not called through cgo (C.%s) by the package", n[1], n[1])
		}
	}
}

func TestVersionStatusAndDefaults(t *testing.T) {
	v := roster.VersionNumber()
	if v != roster.HeaderVersionNumber {
		t.Fatalf("library %d, header %d", v, roster.HeaderVersionNumber)
	}
	if got, want := roster.Version(), fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100); got != want {
		t.Fatalf("version %q, want %q", got, want)
	}
	for s, want := range map[roster.Status]string{
		roster.StatusOK: "ok", roster.StatusInvalid: "invalid argument",
		roster.StatusNotFound: "not found", roster.Status(-100): "unknown status",
	} {
		if got := s.String(); got != want {
			t.Fatalf("status %d: %q, want %q", int(s), got, want)
		}
	}
	for _, s := range []roster.Status{roster.StatusExists, roster.StatusLimit,
		roster.StatusNoMemory, roster.StatusBusy, roster.StatusCorrupt, roster.StatusVersion,
		roster.StatusInternal, roster.StatusFlush, roster.StatusIO} {
		if s.String() == "unknown status" || s.String() == "" {
			t.Fatalf("status %d has no name", int(s))
		}
	}
	kinds := map[roster.OpKind]string{roster.OpSync: "SYNC", roster.OpInsert: "INSERT",
		roster.OpUpdate: "UPDATE", roster.OpDelete: "DELETE", roster.OpInvalidate: "INVALIDATE",
		roster.OpKind(99): "UNKNOWN"}
	for k, want := range kinds {
		if k.String() != want {
			t.Fatalf("op kind %d: %q", uint32(k), k.String())
		}
	}
	cfg := roster.DefaultConfig()
	if cfg.ChunkSize != 100 || cfg.MaxRanges != 3 || !cfg.EveryoneView ||
		cfg.OfflineThreshold != 1000 {
		t.Fatalf("defaults: %+v", cfg)
	}
	g, err := roster.NewGuild(nil)
	ok(t, err)
	ok(t, g.Close())
	cfg.ChunkSize = 0
	_, err = roster.NewGuild(&cfg)
	wantStatus(t, err, roster.StatusInvalid)
}

func TestErrors(t *testing.T) {
	g := newGuild(t)
	err := g.RemoveMember(42)
	wantStatus(t, err, roster.StatusNotFound)
	if got, want := err.Error(), "roster: roster_member_remove: not found"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if errors.Unwrap(err) != nil {
		t.Fatalf("unwrap: %v", errors.Unwrap(err))
	}
	ok(t, g.AddMember(1, "a", nil, roster.Online))
	wantStatus(t, g.AddMember(1, "a", nil, roster.Online), roster.StatusExists)
	wantStatus(t, g.AddMember(2, "", nil, roster.Online), roster.StatusInvalid)
	wantStatus(t, g.CommitBatch(), roster.StatusInvalid)
	wantStatus(t, g.Subscribe(1, 99, roster.Range{Start: 0, End: 9}), roster.StatusNotFound)
	// A closed guild: calls fail, Close again does nothing.
	ok(t, g.Close())
	wantStatus(t, g.SetStatus(1, roster.Idle), roster.StatusInvalid)
	wantStatus(t, g.SetFrameCallback(func(*roster.FrameView) {}), roster.StatusInvalid)
	wantStatus(t, g.SetFrameCallback(nil), roster.StatusInvalid)
	wantStatus(t, g.AddMembers([]roster.MemberSpec{{ID: 5, Name: "e"}}), roster.StatusInvalid)
	wantStatus(t, g.ApplyEvents([]roster.Event{{Kind: roster.EventTouch, UserID: 1}}, nil),
		roster.StatusInvalid)
	wantStatus(t, g.SetList(3, roster.ListRule{Roles: []roster.Overwrite{{ID: 1}}}),
		roster.StatusInvalid)
	ok(t, g.Close())
}

func TestGuildSettings(t *testing.T) {
	g := newGuild(t)
	rec := &recorder{}
	ok(t, g.SetFrameCallback(rec.on))
	for i := uint64(1); i <= 4; i++ {
		status := roster.Online
		if i > 2 {
			status = roster.Offline
		}
		ok(t, g.AddMember(i, fmt.Sprintf("m%d", i), nil, status))
	}
	n, err := g.MemberCount()
	if err != nil || n != 4 {
		t.Fatalf("members %d, %v", n, err)
	}
	// 4 members < the threshold (1000): offline members are shown.
	if l, err := g.ListLength(0); err != nil || l != 6 {
		t.Fatalf("length %d, %v", l, err)
	}
	ok(t, g.SetOfflineThreshold(2))
	if l, err := g.ListLength(0); err != nil || l != 3 {
		t.Fatalf("length %d after the threshold, %v", l, err)
	}
	if _, err := g.IndexOf(0, 3); err == nil {
		t.Fatal("a hidden member has a row")
	} else {
		wantStatus(t, err, roster.StatusNotFound)
	}
	ok(t, g.SetEveryoneView(false))
	if m, o, err := g.ListCounts(0); err != nil || m != 4 || o != 2 {
		t.Fatalf("counts %d %d, %v", m, o, err)
	}
	ok(t, g.SetEveryoneView(true))
	ok(t, g.SetFrameCallback(nil))
	ok(t, g.SetStatus(1, roster.Idle))
	if f := rec.take(); len(f) != 0 {
		t.Fatalf("%d frames without a subscriber", len(f))
	}
	g.Close()
	wantStatus(t, g.SetEveryoneView(true), roster.StatusInvalid)
	wantStatus(t, g.SetOfflineThreshold(1), roster.StatusInvalid)
	_, err = g.MemberCount()
	wantStatus(t, err, roster.StatusInvalid)
	_, err = g.SessionCount()
	wantStatus(t, err, roster.StatusInvalid)
}

func TestRolesAndMembers(t *testing.T) {
	g := newGuild(t)
	for i, pos := range []int32{3, 2, 1} {
		ok(t, g.UpsertRole(roster.Role{ID: uint64(101 + i), Position: pos, Flags: roster.RoleHoist}))
	}
	wantStatus(t, g.UpsertRole(roster.Role{ID: 0}), roster.StatusInvalid)
	wantStatus(t, g.UpsertRole(roster.Role{ID: roster.GroupOnline}), roster.StatusInvalid)
	wantStatus(t, g.UpsertRole(roster.Role{ID: 104, Flags: roster.RoleView | roster.RoleAdmin | 64}),
		roster.StatusInvalid)
	ok(t, g.AddMember(1, "alice", []uint64{101}, roster.Online))
	ok(t, g.AddMember(2, "bob", []uint64{102}, roster.Online))
	wantStatus(t, g.AddMember(3, "carol", []uint64{999}, roster.Online), roster.StatusNotFound)
	wantStatus(t, g.AddMember(3, "carol", nil, roster.Presence(7)), roster.StatusInvalid)

	groups, err := g.Groups(0)
	ok(t, err)
	want := []roster.Group{{ID: 101, Count: 1}, {ID: 102, Count: 1}}
	if !reflect.DeepEqual(groups, want) {
		t.Fatalf("groups %+v, want %+v", groups, want)
	}
	// 102 above 101.
	ok(t, g.ReorderRoles([]roster.RolePosition{{ID: 101, Position: 1}, {ID: 102, Position: 5}}))
	groups, err = g.Groups(0)
	ok(t, err)
	if groups[0].ID != 102 {
		t.Fatalf("groups after reorder %+v", groups)
	}
	ok(t, g.ReorderRoles(nil))
	wantStatus(t, g.ReorderRoles([]roster.RolePosition{{ID: 101}, {ID: 101}}), roster.StatusInvalid)
	wantStatus(t, g.ReorderRoles([]roster.RolePosition{{ID: 555}}), roster.StatusNotFound)

	// Upsert replaces; the roles come back ascending.
	ok(t, g.UpsertMember(2, "bobby", []uint64{103, 101}, roster.DND))
	ok(t, g.UpsertMember(3, "carol", nil, roster.Idle))
	wantStatus(t, g.UpsertMember(4, string([]byte{0xff}), nil, roster.Idle), roster.StatusInvalid)
	m, err := g.Member(2)
	ok(t, err)
	if want := (roster.MemberInfo{ID: 2, Name: "bobby", Status: roster.DND, Group: 101,
		Roles: []uint64{101, 103}}); !reflect.DeepEqual(m, want) {
		t.Fatalf("member %+v, want %+v", m, want)
	}
	m, err = g.Member(3)
	ok(t, err)
	if m.Roles != nil || m.Group != roster.GroupOnline || m.Name != "carol" {
		t.Fatalf("member %+v", m)
	}
	_, err = g.Member(99)
	wantStatus(t, err, roster.StatusNotFound)

	// More roles than Member's first buffer holds.
	var many []uint64
	for i := uint64(0); i < 12; i++ {
		ok(t, g.UpsertRole(roster.Role{ID: 200 + i, Position: int32(10 + i)}))
		many = append(many, 200+i)
	}
	ok(t, g.SetRoles(3, many))
	m, err = g.Member(3)
	ok(t, err)
	if !reflect.DeepEqual(m.Roles, many) {
		t.Fatalf("roles %v, want %v", m.Roles, many)
	}
	ok(t, g.SetRoles(3, nil))
	wantStatus(t, g.SetRoles(3, []uint64{9999}), roster.StatusNotFound)
	wantStatus(t, g.SetRoles(99, nil), roster.StatusNotFound)

	ok(t, g.AddRole(3, 103))
	ok(t, g.AddRole(3, 103)) // nothing when it has it
	wantStatus(t, g.AddRole(3, 9999), roster.StatusNotFound)
	ok(t, g.RemoveMemberRole(3, 103))
	ok(t, g.RemoveMemberRole(3, 103))
	wantStatus(t, g.RemoveMemberRole(99, 103), roster.StatusNotFound)
	if m, _ := g.Member(3); m.Roles != nil {
		t.Fatalf("roles %v", m.Roles)
	}

	ok(t, g.SetName(1, "zed"))
	wantStatus(t, g.SetName(1, ""), roster.StatusInvalid)
	wantStatus(t, g.SetName(99, "x"), roster.StatusNotFound)
	ok(t, g.SetStatus(1, roster.Idle))
	wantStatus(t, g.SetStatus(1, roster.Presence(-1)), roster.StatusInvalid)
	ok(t, g.Touch(1))
	wantStatus(t, g.Touch(99), roster.StatusNotFound)

	// Sort keys: within the online group, "carol" sorts before "dave"
	// by name, and after it with a key.
	ok(t, g.AddMember(4, "dave", nil, roster.Online))
	before, err := g.IndexOf(0, 3)
	ok(t, err)
	ok(t, g.SetSortKey(3, []byte("zzz")))
	after, err := g.IndexOf(0, 3)
	ok(t, err)
	if after != before+1 {
		t.Fatalf("row %d with the key, %d without", after, before)
	}
	ok(t, g.SetSortKey(3, nil))
	if again, _ := g.IndexOf(0, 3); again != before {
		t.Fatalf("row %d with the default key, want %d", again, before)
	}
	wantStatus(t, g.SetSortKey(3, []byte{}), roster.StatusInvalid)
	wantStatus(t, g.SetSortKey(3, make([]byte, 257)), roster.StatusLimit)
	wantStatus(t, g.SetSortKey(99, []byte("a")), roster.StatusNotFound)

	ok(t, g.RemoveRole(101))
	wantStatus(t, g.RemoveRole(101), roster.StatusNotFound)
	if m, _ := g.Member(2); !reflect.DeepEqual(m.Roles, []uint64{103}) {
		t.Fatalf("roles after RemoveRole %v", m.Roles)
	}
	ok(t, g.RemoveMember(2))
	wantStatus(t, g.RemoveMember(2), roster.StatusNotFound)
}

func TestLists(t *testing.T) {
	g := newGuild(t)
	ok(t, g.UpsertRole(roster.Role{ID: 101, Position: 1, Flags: roster.RoleHoist}))
	for i := uint64(1); i <= 5; i++ {
		var roles []uint64
		if i%2 == 1 {
			roles = []uint64{101}
		}
		ok(t, g.AddMember(i, fmt.Sprintf("m%d", i), roles, roster.Online))
	}
	// List 7: the role's members, plus 2, minus 5.
	ok(t, g.SetList(7, roster.ListRule{
		Everyone: roster.OverwriteDeny,
		Roles:    []roster.Overwrite{{ID: 101, Allow: true}},
		Members:  []roster.Overwrite{{ID: 2, Allow: true}, {ID: 5, Allow: false}},
	}))
	if m, o, err := g.ListCounts(7); err != nil || m != 3 || o != 3 {
		t.Fatalf("counts %d %d, %v", m, o, err)
	}
	rows, err := g.Rows(7, 0, 100)
	ok(t, err)
	want := []roster.Row{
		{Kind: roster.RowHeader, Count: 2, Group: 101},
		{Kind: roster.RowMember, Group: 101, User: 1},
		{Kind: roster.RowMember, Group: 101, User: 3},
		{Kind: roster.RowHeader, Count: 1, Group: roster.GroupOnline},
		{Kind: roster.RowMember, Group: roster.GroupOnline, User: 2},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	if l, err := g.ListLength(7); err != nil || l != 5 {
		t.Fatalf("length %d, %v", l, err)
	}
	if i, err := g.IndexOf(7, 2); err != nil || i != 4 {
		t.Fatalf("index %d, %v", i, err)
	}
	_, err = g.IndexOf(7, 5)
	wantStatus(t, err, roster.StatusNotFound)
	// CanView: the role's holders and member 2 may view list 7; member 5
	// (denied by name), member 4 (no role) and a non-member may not.
	for user, want := range map[uint64]bool{1: true, 2: true, 3: true, 4: false, 5: false, 99: false} {
		if v, err := g.CanView(7, user); err != nil || v != want {
			t.Fatalf("CanView(7, %d) = %v, %v; want %v", user, v, err, want)
		}
	}
	if v, err := g.CanView(0, 4); err != nil || !v {
		t.Fatalf("CanView(0, 4) = %v, %v", v, err)
	}
	_, err = g.CanView(12345, 1)
	wantStatus(t, err, roster.StatusNotFound)
	_, err = g.CanView(7, 0)
	wantStatus(t, err, roster.StatusInvalid)
	if rows, err := g.Rows(7, 10, 20); err != nil || rows != nil {
		t.Fatalf("rows past the end %v, %v", rows, err)
	}
	_, err = g.Rows(7, 3, 1)
	wantStatus(t, err, roster.StatusInvalid)
	// An empty rule: everyone who may view the guild.
	ok(t, g.SetList(8, roster.ListRule{}))
	if l, err := g.ListLength(8); err != nil || l != 7 {
		t.Fatalf("length %d, %v", l, err)
	}
	wantStatus(t, g.SetList(0, roster.ListRule{}), roster.StatusInvalid)
	wantStatus(t, g.SetList(9, roster.ListRule{Everyone: 7}), roster.StatusInvalid)
	wantStatus(t, g.SetList(9, roster.ListRule{Members: []roster.Overwrite{{ID: 2}, {ID: 2}}}),
		roster.StatusInvalid)
	ok(t, g.RemoveList(8))
	wantStatus(t, g.RemoveList(8), roster.StatusNotFound)
	wantStatus(t, g.RemoveList(0), roster.StatusInvalid)
	_, err = g.ListLength(8)
	wantStatus(t, err, roster.StatusNotFound)
	_, _, err = g.ListCounts(8)
	wantStatus(t, err, roster.StatusNotFound)
	_, err = g.Groups(8)
	wantStatus(t, err, roster.StatusNotFound)
	_, err = g.Rows(8, 0, 9)
	wantStatus(t, err, roster.StatusNotFound)
	_, err = g.IndexOf(8, 1)
	wantStatus(t, err, roster.StatusNotFound)
	if groups, err := g.Groups(7); err != nil || len(groups) != 2 {
		t.Fatalf("groups %v, %v", groups, err)
	}
}

// The view reads the frame in place; Copy keeps it; calls that change the
// guild from inside fail with EBUSY, those the library allows work.
func TestFramesAndBusy(t *testing.T) {
	g := newGuild(t)
	var frames []*roster.Frame
	var kept *roster.FrameView
	var busy []error
	var inside struct {
		ops, items, groups, sessions int
		itemCount                    int
	}
	ok(t, g.SetFrameCallback(func(f *roster.FrameView) {
		frames = append(frames, f.Copy())
		kept = f
		inside.groups = len(f.Groups())
		inside.sessions = len(f.Sessions())
		inside.ops = f.OpCount()
		for i := 0; i < f.OpCount(); i++ {
			inside.items += len(f.Op(i).Items())
			inside.itemCount += f.Op(i).ItemCount()
		}
		busy = append(busy,
			g.AddMember(99, "x", nil, roster.Online),
			g.AddMembers([]roster.MemberSpec{{ID: 98, Name: "y"}}),
			g.ApplyEvents([]roster.Event{{Kind: roster.EventTouch, UserID: 10}}, nil),
			g.SetList(5, roster.ListRule{Roles: []roster.Overwrite{{ID: 5}}}),
			g.Flush(),
			g.Close())
	}))
	ok(t, g.UpsertRole(roster.Role{ID: 5, Position: 1, Flags: roster.RoleHoist}))
	for i, name := range []string{"b", "a", "c"} {
		roles := []uint64{5}
		if i == 2 {
			roles = nil
		}
		ok(t, g.AddMember(uint64(10+i), name, roles, roster.Online))
	}
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	if len(frames) != 1 {
		t.Fatalf("%d frames, want 1", len(frames))
	}
	for _, err := range busy {
		wantStatus(t, err, roster.StatusBusy)
	}
	f := frames[0]
	if f.ListID != 0 || f.MemberCount != 3 || f.OnlineCount != 3 ||
		!reflect.DeepEqual(f.Sessions, []uint64{1}) {
		t.Fatalf("frame %+v", f)
	}
	wantGroups := []roster.Group{{ID: 5, Count: 2}, {ID: roster.GroupOnline, Count: 1}}
	if !reflect.DeepEqual(f.Groups, wantGroups) {
		t.Fatalf("groups %+v, want %+v", f.Groups, wantGroups)
	}
	rows, err := g.Rows(0, 0, 9)
	ok(t, err)
	if len(rows) != 5 || rows[1].User != 11 || rows[3].Kind != roster.RowHeader {
		t.Fatalf("rows %+v", rows)
	}
	wantOps := []roster.Op{{Kind: roster.OpSync, Index: 0, End: 9, Items: rows}}
	if !reflect.DeepEqual(f.Ops, wantOps) {
		t.Fatalf("ops %+v, want %+v", f.Ops, wantOps)
	}
	if inside.groups != 2 || inside.sessions != 1 || inside.ops != 1 || inside.items != 5 ||
		inside.itemCount != 5 {
		t.Fatalf("read inside the callback: %+v", inside)
	}
	// After the callback the view is empty.
	if kept.ListID() != 0 || kept.MemberCount() != 0 || kept.OnlineCount() != 0 ||
		kept.OpCount() != 0 || kept.Groups() != nil || kept.Sessions() != nil {
		t.Fatalf("the view after the callback: %+v", kept.Copy())
	}
	if n, err := g.SessionCount(); err != nil || n != 1 {
		t.Fatalf("sessions %d, %v", n, err)
	}
	if n, err := g.MemberCount(); err != nil || n != 3 {
		t.Fatalf("members %d, %v", n, err)
	}
}

// Inside the callback a session may be removed or unsubscribed; an
// unsubscribed one gets its INVALIDATE frame in the same flush.
func TestCallbackRemovesSessions(t *testing.T) {
	g := newGuild(t)
	for i := uint64(1); i <= 3; i++ {
		ok(t, g.AddMember(i, fmt.Sprintf("m%d", i), nil, roster.Online))
	}
	var errs []error
	var lines []string
	ok(t, g.SetFrameCallback(func(f *roster.FrameView) {
		s := f.Sessions()[0]
		ops := ""
		for i := 0; i < f.OpCount(); i++ {
			ops += f.Op(i).Kind().String() + ";"
		}
		lines = append(lines, fmt.Sprintf("%d:%s", s, ops))
		switch s {
		case 1:
			errs = append(errs, g.Unsubscribe(1, 0))
		case 2:
			errs = append(errs, g.RemoveSession(2))
		}
	}))
	ok(t, g.BeginBatch())
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	ok(t, g.Subscribe(2, 0, roster.Range{Start: 0, End: 19}))
	ok(t, g.CommitBatch())
	for _, err := range errs {
		ok(t, err)
	}
	if len(lines) != 3 || lines[2] != "1:INVALIDATE;" {
		t.Fatalf("frames %v", lines)
	}
	if n, err := g.SessionCount(); err != nil || n != 1 {
		t.Fatalf("sessions %d, %v", n, err)
	}
}

func TestSessions(t *testing.T) {
	cfg := roster.DefaultConfig()
	cfg.ChunkSize = 10
	cfg.MaxRanges = 6
	cfg.MaxRangeSpan = 20
	g, err := roster.NewGuild(&cfg)
	ok(t, err)
	defer g.Close()
	for i := uint64(1); i <= 3; i++ {
		ok(t, g.AddMember(i, fmt.Sprintf("m%d", i), nil, roster.Online))
	}
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 5, End: 12}))
	ranges, err := g.SessionRanges(1, 0)
	ok(t, err)
	if want := []roster.Range{{Start: 0, End: 19}}; !reflect.DeepEqual(ranges, want) {
		t.Fatalf("ranges %v, want %v", ranges, want)
	}
	// Five separate chunks: more than SessionRanges' first buffer holds.
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 0}, roster.Range{Start: 29, End: 20},
		roster.Range{Start: 40, End: 40}, roster.Range{Start: 60, End: 60},
		roster.Range{Start: 80, End: 80}))
	ranges, err = g.SessionRanges(1, 0)
	ok(t, err)
	want := []roster.Range{{Start: 0, End: 9}, {Start: 20, End: 29}, {Start: 40, End: 49},
		{Start: 60, End: 69}, {Start: 80, End: 89}}
	if !reflect.DeepEqual(ranges, want) {
		t.Fatalf("ranges %v, want %v", ranges, want)
	}
	wantStatus(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 100}), roster.StatusLimit)
	wantStatus(t, g.Subscribe(0, 0, roster.Range{Start: 0, End: 1}), roster.StatusInvalid)
	ok(t, g.Unsubscribe(1, 0))
	if ranges, err := g.SessionRanges(1, 0); err != nil || ranges != nil {
		t.Fatalf("ranges after unsubscribing %v, %v", ranges, err)
	}
	if n, _ := g.SessionCount(); n != 1 {
		t.Fatalf("sessions %d", n)
	}
	ok(t, g.RemoveSession(1))
	wantStatus(t, g.RemoveSession(1), roster.StatusNotFound)
	_, err = g.SessionRanges(1, 0)
	wantStatus(t, err, roster.StatusNotFound)
	if n, _ := g.SessionCount(); n != 0 {
		t.Fatalf("sessions %d", n)
	}
}

func TestBatchAndFlush(t *testing.T) {
	g := newGuild(t)
	rec := &recorder{}
	ok(t, g.SetFrameCallback(rec.on))
	ok(t, g.AddMember(1, "a", nil, roster.Online))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	rec.take()
	ok(t, g.Flush()) // nothing owed
	if n := len(rec.take()); n != 0 {
		t.Fatalf("%d frames from an empty flush", n)
	}
	ok(t, g.BeginBatch())
	ok(t, g.BeginBatch())
	ok(t, g.AddMember(2, "b", nil, roster.Online))
	ok(t, g.SetStatus(1, roster.Idle))
	wantStatus(t, g.Flush(), roster.StatusInvalid) // inside a batch
	ok(t, g.CommitBatch())
	if n := len(rec.take()); n != 0 {
		t.Fatalf("%d frames before the outermost commit", n)
	}
	ok(t, g.CommitBatch())
	if f := rec.take(); len(f) != 1 || len(f[0].Ops) == 0 {
		t.Fatalf("frames at the commit: %+v", f)
	}
	wantStatus(t, g.CommitBatch(), roster.StatusInvalid)
	g.Close()
	wantStatus(t, g.Flush(), roster.StatusInvalid)
	wantStatus(t, g.BeginBatch(), roster.StatusInvalid)
}

func TestAddMembers(t *testing.T) {
	cfg := roster.DefaultConfig()
	cfg.ChunkSize = 10
	cfg.MaxMembers = 6
	g, err := roster.NewGuild(&cfg)
	ok(t, err)
	defer g.Close()
	rec := &recorder{}
	ok(t, g.SetFrameCallback(rec.on))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	rec.take()
	ok(t, g.UpsertRole(roster.Role{ID: 101, Position: 1, Flags: roster.RoleHoist}))
	ok(t, g.AddMembers(nil))
	ok(t, g.AddMembers([]roster.MemberSpec{
		{ID: 1, Name: "alice", Roles: []uint64{101}, Status: roster.Online},
		{ID: 2, Name: "bob", Status: roster.Idle},
		{ID: 3, Name: "carol", Roles: []uint64{101, 101}, Status: roster.Offline},
	}))
	if f := rec.take(); len(f) != 1 {
		t.Fatalf("%d frames for one bulk add", len(f))
	}
	m, err := g.Member(3)
	ok(t, err)
	// An offline member is in the offline group, whatever its roles.
	if want := (roster.MemberInfo{ID: 3, Name: "carol", Status: roster.Offline,
		Group: roster.GroupOffline, Roles: []uint64{101}}); !reflect.DeepEqual(m, want) {
		t.Fatalf("member %+v, want %+v", m, want)
	}
	// All or nothing: the duplicate id at index 1 fails the whole call.
	idx, err := g.AddMembersAt([]roster.MemberSpec{
		{ID: 4, Name: "dave", Status: roster.Online},
		{ID: 4, Name: "dave2", Status: roster.Online},
	})
	wantStatus(t, err, roster.StatusExists)
	if idx != 1 {
		t.Fatalf("failed index %d, want 1", idx)
	}
	idx, err = g.AddMembersAt([]roster.MemberSpec{{ID: 5, Name: "", Status: roster.Online}})
	wantStatus(t, err, roster.StatusInvalid)
	if idx != 0 {
		t.Fatalf("failed index %d, want 0", idx)
	}
	wantStatus(t, g.AddMembers([]roster.MemberSpec{{ID: 6, Name: "f", Roles: []uint64{7}}}),
		roster.StatusNotFound)
	if n, _ := g.MemberCount(); n != 3 {
		t.Fatalf("members %d after failed bulk adds", n)
	}
	// Over MaxMembers: not about one entry.
	var specs []roster.MemberSpec
	for i := uint64(10); i < 14; i++ {
		specs = append(specs, roster.MemberSpec{ID: i, Name: fmt.Sprintf("n%d", i)})
	}
	idx, err = g.AddMembersAt(specs)
	wantStatus(t, err, roster.StatusLimit)
	if idx != len(specs) {
		t.Fatalf("failed index %d, want %d", idx, len(specs))
	}
	idx, err = g.AddMembersAt(specs[:3])
	ok(t, err)
	if idx != -1 {
		t.Fatalf("index %d on success", idx)
	}
	if n, _ := g.MemberCount(); n != 6 {
		t.Fatalf("members %d", n)
	}
}

// A large bulk add (its scratch buffer is over the size a guild keeps).
func TestAddMembersLarge(t *testing.T) {
	g := newGuild(t)
	specs := make([]roster.MemberSpec, 30000)
	for i := range specs {
		specs[i] = roster.MemberSpec{ID: uint64(i + 1), Name: fmt.Sprintf("member%06d", i),
			Status: roster.Online}
	}
	ok(t, g.AddMembers(specs))
	if n, _ := g.MemberCount(); n != 30000 {
		t.Fatalf("members %d", n)
	}
	m, err := g.Member(30000)
	ok(t, err)
	if m.Name != "member029999" {
		t.Fatalf("member %+v", m)
	}
}

func TestApplyEvents(t *testing.T) {
	g := newGuild(t)
	rec := &recorder{}
	ok(t, g.SetFrameCallback(rec.on))
	ok(t, g.UpsertRole(roster.Role{ID: 101, Position: 1, Flags: roster.RoleHoist}))
	ok(t, g.UpsertRole(roster.Role{ID: 102, Position: 2, Flags: roster.RoleHoist}))
	ok(t, g.AddMember(1, "a", nil, roster.Online))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	rec.take()
	events := []roster.Event{
		{Kind: roster.EventAdd, UserID: 2, Name: "b", Roles: []uint64{101}, Status: roster.Online},
		{Kind: roster.EventUpsert, UserID: 3, Name: "c", Roles: []uint64{102, 101}, Status: roster.Idle},
		{Kind: roster.EventStatus, UserID: 1, Status: roster.DND},
		{Kind: roster.EventName, UserID: 1, Name: "aa"},
		{Kind: roster.EventRoles, UserID: 1, Roles: []uint64{102}},
		{Kind: roster.EventAddRole, UserID: 2, RoleID: 102},
		{Kind: roster.EventRemoveRole, UserID: 2, RoleID: 101},
		{Kind: roster.EventTouch, UserID: 3},
		{Kind: roster.EventRemove, UserID: 3},
		{Kind: roster.EventStatus, UserID: 99, Status: roster.Online}, // unknown member
		{Kind: roster.EventKind(77), UserID: 1},                       // unknown kind
		{Kind: roster.EventName, UserID: 1},                           // empty name
	}
	statuses := make([]roster.Status, len(events))
	err := g.ApplyEvents(events, statuses)
	wantStatus(t, err, roster.StatusNotFound) // the first failing event's
	want := make([]roster.Status, len(events))
	want[9], want[10], want[11] = roster.StatusNotFound, roster.StatusInvalid, roster.StatusInvalid
	if !reflect.DeepEqual(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if f := rec.take(); len(f) != 1 {
		t.Fatalf("%d frames for one call", len(f))
	}
	m, err := g.Member(1)
	ok(t, err)
	if m.Name != "aa" || m.Status != roster.DND || !reflect.DeepEqual(m.Roles, []uint64{102}) {
		t.Fatalf("member 1 %+v", m)
	}
	m, err = g.Member(2)
	ok(t, err)
	if !reflect.DeepEqual(m.Roles, []uint64{102}) {
		t.Fatalf("member 2 %+v", m)
	}
	_, err = g.Member(3)
	wantStatus(t, err, roster.StatusNotFound)

	// Every event fails: nothing changes, nothing is delivered.
	wantStatus(t, g.ApplyEvents([]roster.Event{{Kind: roster.EventRemove, UserID: 42}}, nil),
		roster.StatusNotFound)
	if f := rec.take(); len(f) != 0 {
		t.Fatalf("%d frames from failed events", len(f))
	}
	ok(t, g.ApplyEvents(nil, nil))
	// statuses too short: refused, nothing applied, statuses untouched.
	short := []roster.Status{roster.StatusLimit}
	wantStatus(t, g.ApplyEvents([]roster.Event{{Kind: roster.EventTouch, UserID: 1},
		{Kind: roster.EventTouch, UserID: 2}}, short), roster.StatusInvalid)
	if short[0] != roster.StatusLimit {
		t.Fatalf("statuses written: %v", short)
	}
	// Inside a batch the frames wait for the commit; a large call.
	ok(t, g.BeginBatch())
	big := make([]roster.Event, 25000)
	for i := range big {
		big[i] = roster.Event{Kind: roster.EventStatus, UserID: 1 + uint64(i%2),
			Status: roster.Presence(i % 4)}
	}
	bigStatuses := make([]roster.Status, len(big))
	for i := range bigStatuses {
		bigStatuses[i] = roster.StatusLimit
	}
	ok(t, g.ApplyEvents(big, bigStatuses))
	for i, s := range bigStatuses {
		if s != roster.StatusOK {
			t.Fatalf("status %d: %v", i, s)
		}
	}
	if f := rec.take(); len(f) != 0 {
		t.Fatalf("%d frames inside a batch", len(f))
	}
	ok(t, g.CommitBatch())
	if f := rec.take(); len(f) != 1 {
		t.Fatalf("%d frames at the commit", len(f))
	}
}

// A panic of the callback comes out of the call that delivered the frame,
// and the guild stays usable.
func TestCallbackPanic(t *testing.T) {
	g := newGuild(t)
	ok(t, g.SetFrameCallback(func(*roster.FrameView) { panic("boom") }))
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want boom", r)
			}
		}()
		_ = g.Subscribe(1, 0, roster.Range{Start: 0, End: 9})
		t.Fatal("no panic")
	}()
	ok(t, g.SetFrameCallback(nil))
	ok(t, g.AddMember(1, "a", nil, roster.Online))
}

// A guild saved with its sessions and loaded back sends the same frames
// for the same event; the stats count from the load; errors keep their
// status (and the writer's error).
func TestSnapshotAndStats(t *testing.T) {
	cfg := roster.DefaultConfig()
	cfg.ChunkSize = 10
	g := newGuild(t)
	rec := &recorder{}
	ok(t, g.SetFrameCallback(rec.on))
	for i := uint64(1); i <= 5; i++ {
		ok(t, g.AddMember(i, fmt.Sprintf("m%d", i), nil, roster.Online))
	}
	ok(t, g.Subscribe(7, 0, roster.Range{Start: 0, End: 9}))
	st, err := g.Stats()
	ok(t, err)
	if st.Members != 5 || st.Lists != 1 || st.Sessions != 1 || st.Subscriptions != 1 ||
		st.ChunksHeld != 1 || st.Frames != 1 || st.Deliveries != 1 || st.Ops != 1 ||
		st.Rows != 6 || st.MemoryBytes == 0 || st.Flushes == 0 || st.MaxFlush < st.LastFlush {
		t.Fatalf("stats %+v", st)
	}

	snap, err := g.Save(roster.SaveSessions)
	ok(t, err)
	loaded, err := roster.Load(snap, &cfg)
	ok(t, err)
	t.Cleanup(func() { loaded.Close() })
	if st, err := loaded.Stats(); err != nil || st.Members != 5 || st.Sessions != 1 ||
		st.Frames != 0 || st.Flushes != 0 {
		t.Fatalf("loaded stats %+v, %v", st, err)
	}
	loadedRec := &recorder{}
	ok(t, loaded.SetFrameCallback(loadedRec.on))
	rec.take()
	ok(t, g.SetStatus(3, roster.Offline))
	ok(t, loaded.SetStatus(3, roster.Offline))
	frames, loadedFrames := rec.take(), loadedRec.take()
	if len(frames) != 1 || !reflect.DeepEqual(frames, loadedFrames) {
		t.Fatalf("frames %+v, loaded %+v", frames, loadedFrames)
	}
	// Without the sessions, and with the default config.
	snap, err = g.Save(0)
	ok(t, err)
	bare, err := roster.Load(snap, nil)
	ok(t, err)
	if n, err := bare.SessionCount(); err != nil || n != 0 {
		t.Fatalf("sessions %d, %v", n, err)
	}
	bare.Close()

	// Errors.
	_, err = roster.Load(nil, nil)
	wantStatus(t, err, roster.StatusCorrupt)
	_, err = roster.Load(snap[:len(snap)-1], nil)
	wantStatus(t, err, roster.StatusCorrupt)
	small := roster.DefaultConfig()
	small.MaxMembers = 2
	_, err = roster.Load(snap, &small)
	wantStatus(t, err, roster.StatusLimit)
	_, err = g.Save(roster.SaveFlags(2))
	wantStatus(t, err, roster.StatusInvalid)
	failure := errors.New("disk full")
	err = g.SaveTo(failingWriter{failure}, roster.SaveSessions)
	wantStatus(t, err, roster.StatusIO)
	if !errors.Is(err, failure) {
		t.Fatalf("error %v does not wrap the writer's", err)
	}
	if got, want := err.Error(), "roster: roster_guild_save: callback failed: disk full"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	ok(t, g.BeginBatch())
	_, err = g.Save(roster.SaveSessions)
	wantStatus(t, err, roster.StatusInvalid)
	ok(t, g.CommitBatch())
	ok(t, g.Close())
	_, err = g.Stats()
	wantStatus(t, err, roster.StatusInvalid)
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

type funcWriter func([]byte) (int, error)

func (f funcWriter) Write(p []byte) (int, error) { return f(p) }

type funcReader func([]byte) (int, error)

func (f funcReader) Read(p []byte) (int, error) { return f(p) }

// A panic of the writer comes out of SaveTo once the library has returned;
// the guild cannot be closed from inside the writer.
func TestSaveWriterPanicAndClose(t *testing.T) {
	g := newGuild(t)
	var closeErr error
	ok(t, g.SaveTo(funcWriter(func(p []byte) (int, error) {
		closeErr = g.Close()
		return len(p), nil
	}), 0))
	wantStatus(t, closeErr, roster.StatusBusy)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want boom", r)
			}
		}()
		_ = g.SaveTo(funcWriter(func([]byte) (int, error) { panic("boom") }), 0)
		t.Fatal("no panic")
	}()
	_, err := g.Save(roster.SaveSessions)
	ok(t, err)
}

// LoadFrom reads the snapshot through an io.Reader, whatever its pieces.
func TestLoadFrom(t *testing.T) {
	g := newGuild(t)
	specs := make([]roster.MemberSpec, 3000) // a snapshot of more than one block
	for i := range specs {
		specs[i] = roster.MemberSpec{ID: uint64(i + 1), Name: fmt.Sprintf("member-%d", i),
			Status: roster.Presence(i % 4)}
	}
	ok(t, g.AddMembers(specs))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	snap, err := g.Save(roster.SaveSessions)
	ok(t, err)
	if len(snap) < 70000 {
		t.Logf("snapshot of %d bytes: one block", len(snap))
	}
	wantRows, err := g.Rows(0, 0, 99)
	ok(t, err)
	readers := map[string]func() io.Reader{
		"bytes":    func() io.Reader { return bytes.NewReader(snap) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(snap)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(snap)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(snap)) },
	}
	for name, r := range readers {
		loaded, err := roster.LoadFrom(r(), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows, err := loaded.Rows(0, 0, 99)
		ok(t, err)
		if !reflect.DeepEqual(rows, wantRows) {
			t.Fatalf("%s: rows differ", name)
		}
		if n, _ := loaded.SessionCount(); n != 1 {
			t.Fatalf("%s: sessions %d", name, n)
		}
		ok(t, loaded.Close())
	}
	cfg := roster.DefaultConfig()
	loaded, err := roster.LoadFrom(bytes.NewReader(snap), &cfg)
	ok(t, err)
	loaded.Close()

	// Errors: truncated, a failing reader, one that makes no progress, a
	// panicking one.
	_, err = roster.LoadFrom(bytes.NewReader(snap[:len(snap)/2]), nil)
	wantStatus(t, err, roster.StatusCorrupt)
	_, err = roster.LoadFrom(strings.NewReader(""), nil)
	wantStatus(t, err, roster.StatusCorrupt)
	_, err = roster.LoadFrom(io.MultiReader(bytes.NewReader(snap), strings.NewReader("x")), nil)
	wantStatus(t, err, roster.StatusCorrupt) // a byte after the end
	failure := errors.New("network down")
	broken := io.MultiReader(bytes.NewReader(snap[:100]), iotest.ErrReader(failure))
	_, err = roster.LoadFrom(broken, nil)
	wantStatus(t, err, roster.StatusIO)
	if !errors.Is(err, failure) {
		t.Fatalf("error %v does not wrap the reader's", err)
	}
	_, err = roster.LoadFrom(funcReader(func([]byte) (int, error) { return 0, nil }), nil)
	wantStatus(t, err, roster.StatusIO)
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("error %v, want io.ErrNoProgress", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want boom", r)
			}
		}()
		_, _ = roster.LoadFrom(funcReader(func([]byte) (int, error) { panic("boom") }), nil)
		t.Fatal("no panic")
	}()
	bad := roster.DefaultConfig()
	bad.MaxSessions = 0
	_, err = roster.LoadFrom(bytes.NewReader(snap), &bad)
	wantStatus(t, err, roster.StatusInvalid)
}

// ---- The frame queue ----------------------------------------------------------

// queueSetup gives the guild roles, members, a second list and sessions
// (two of them with the same subscription, so that they share frames).
func queueSetup(t *testing.T, g *roster.Guild) {
	t.Helper()
	ok(t, g.UpsertRole(roster.Role{ID: 101, Position: 3, Flags: roster.RoleHoist}))
	ok(t, g.UpsertRole(roster.Role{ID: 102, Position: 2, Flags: roster.RoleHoist}))
	ok(t, g.UpsertRole(roster.Role{ID: 103, Position: 1}))
	roles := [][]uint64{{101}, {102}, nil, {103}}
	specs := make([]roster.MemberSpec, 60)
	for i := range specs {
		specs[i] = roster.MemberSpec{ID: uint64(1000 + i), Name: fmt.Sprintf("m%02d", (i*37)%60),
			Roles: roles[i%4], Status: roster.Presence(i % 3)}
	}
	ok(t, g.AddMembers(specs))
	ok(t, g.SetList(9, roster.ListRule{Roles: []roster.Overwrite{{ID: 103}}}))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	ok(t, g.Subscribe(2, 0, roster.Range{Start: 0, End: 9}))
	ok(t, g.Subscribe(3, 0, roster.Range{Start: 0, End: 9}, roster.Range{Start: 30, End: 39}))
	ok(t, g.Subscribe(4, 9, roster.Range{Start: 0, End: 19}))
}

// queueStep makes the guild's step-th change of a script: single changes,
// bulk events, batches, subscriptions that change or end.
func queueStep(t *testing.T, g *roster.Guild, step int) {
	t.Helper()
	id := uint64(1000 + (step*7)%60)
	switch step % 9 {
	case 0, 4:
		ok(t, g.SetStatus(id, roster.Presence((step/9+1)%4)))
	case 1:
		ok(t, g.SetName(id, fmt.Sprintf("renamed%d", step)))
	case 2:
		events := []roster.Event{
			{Kind: roster.EventStatus, UserID: id, Status: roster.Online},
			{Kind: roster.EventAddRole, UserID: id + 1, RoleID: 101},
			{Kind: roster.EventTouch, UserID: id + 2},
			{Kind: roster.EventAdd, UserID: uint64(2000 + step), Name: "new", Status: roster.Idle},
		}
		ok(t, g.ApplyEvents(events, nil))
	case 3:
		ok(t, g.BeginBatch())
		ok(t, g.RemoveMember(uint64(2000+step-1)))
		ok(t, g.SetRoles(id, []uint64{102}))
		ok(t, g.CommitBatch())
	case 5:
		ok(t, g.Touch(id))
	case 6:
		if step%2 == 0 {
			ok(t, g.Unsubscribe(1, 0)) // INVALIDATE
		} else {
			ok(t, g.Subscribe(1, 0, roster.Range{Start: 10, End: 19}))
		}
	case 7:
		ok(t, g.SetStatus(id, roster.Offline))
	case 8:
		ok(t, g.Subscribe(3, 0, roster.Range{Start: 0, End: 9},
			roster.Range{Start: uint32(step % 5 * 10), End: uint32(step%5*10 + 9)}))
	}
}

// readInPlace reads a frame through the view's accessors only, its ops
// from the last to the first (Copy reads them in order), into a Frame.
func readInPlace(t *testing.T, f *roster.FrameView) *roster.Frame {
	t.Helper()
	out := &roster.Frame{ListID: f.ListID(), MemberCount: f.MemberCount(),
		OnlineCount: f.OnlineCount()}
	if g := f.Groups(); len(g) > 0 {
		out.Groups = append([]roster.Group(nil), g...)
	}
	if s := f.Sessions(); len(s) > 0 {
		out.Sessions = append([]uint64(nil), s...)
	}
	if n := f.OpCount(); n > 0 {
		out.Ops = make([]roster.Op, n)
		for i := n - 1; i >= 0; i-- {
			op := f.Op(i)
			if op.ItemCount() != len(op.Items()) {
				t.Fatalf("op %d: item count %d, %d items", i, op.ItemCount(), len(op.Items()))
			}
			out.Ops[i] = roster.Op{Kind: op.Kind(), Index: op.Index(), End: op.End()}
			if len(op.Items()) > 0 {
				out.Ops[i].Items = append([]roster.Row(nil), op.Items()...)
			}
		}
	}
	return out
}

// readBatch reads every record of the batch, twice (Copy, and in place in
// another order), which must agree.
func readBatch(t *testing.T, b *roster.FrameBatch) []*roster.Frame {
	t.Helper()
	var out []*roster.Frame
	// Every record's OpViews, kept past Next: they stay valid, and keep
	// reading their own record, until the next take.
	var kept [][]roster.OpView
	for b.Next() {
		f := b.Frame().Copy()
		if in := readInPlace(t, b.Frame()); !reflect.DeepEqual(f, in) {
			t.Fatalf("record read in place %+v, copied %+v", in, f)
		}
		out = append(out, f)
		views := make([]roster.OpView, b.Frame().OpCount())
		for i := range views {
			views[i] = b.Frame().Op(i)
		}
		kept = append(kept, views)
	}
	ok(t, b.Err())
	for r, views := range kept {
		for i, v := range views {
			if got := v.Copy(); !reflect.DeepEqual(got, out[r].Ops[i]) {
				t.Fatalf("record %d op %d read after the batch's end: %+v, then %+v", r, i,
					got, out[r].Ops[i])
			}
		}
	}
	if f := b.Frame(); f.OpCount() != 0 || f.ListID() != 0 || f.Sessions() != nil {
		t.Fatalf("the frame after the end: %+v", f.Copy())
	}
	return out
}

// The records taken from the queue are the frames a callback receives for
// the same calls on an identical guild, field for field and row for row,
// however the takes fall; a taken batch stays valid, unchanged, across
// later calls until the next take.
func TestFrameQueueEqualsCallback(t *testing.T) {
	cb, q := newGuild(t), newGuild(t)
	rec := &recorder{}
	ok(t, cb.SetFrameCallback(rec.on))
	ok(t, q.SetFrameQueue(true))
	queueSetup(t, cb)
	queueSetup(t, q)
	var got []*roster.Frame
	var pending *roster.FrameBatch
	var pendingBytes []byte
	readPending := func() {
		if pending == nil {
			return
		}
		if !bytes.Equal(pending.Bytes(), pendingBytes) {
			t.Fatal("a taken block changed before the next take")
		}
		got = append(got, readBatch(t, pending)...)
	}
	for step := 0; step < 120; step++ {
		queueStep(t, cb, step)
		queueStep(t, q, step)
		if step%5 == 4 {
			// The batch taken before was read only after this step's
			// calls, which queued their frames for this take.
			readPending()
			b, err := q.TakeFrames()
			ok(t, err)
			if len(b.Bytes())%8 != 0 {
				t.Fatalf("block of %d bytes", len(b.Bytes()))
			}
			pending, pendingBytes = b, append([]byte(nil), b.Bytes()...)
		}
	}
	readPending()
	b, err := q.TakeFrames()
	ok(t, err)
	got = append(got, readBatch(t, b)...)
	want := rec.take()
	if len(want) < 100 {
		t.Fatalf("only %d frames", len(want))
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, %d frames", len(got), len(want))
	}
	kinds := map[roster.OpKind]bool{}
	shared, noOps := false, false
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("record %d: %+v, frame %+v", i, got[i], want[i])
		}
		for _, op := range want[i].Ops {
			kinds[op.Kind] = true
		}
		shared = shared || len(want[i].Sessions) > 1
		noOps = noOps || len(want[i].Ops) == 0
	}
	if len(kinds) != 5 || !shared || !noOps {
		t.Fatalf("the script does not reach every case: kinds %v, shared %v, no ops %v",
			kinds, shared, noOps)
	}
	// The frames went to the queue, not through the callback trampoline,
	// and count in the stats as the callback's do.
	stCB, err := cb.Stats()
	ok(t, err)
	stQ, err := q.Stats()
	ok(t, err)
	if stQ.Frames != stCB.Frames || stQ.Rows != stCB.Rows || stQ.Ops != stCB.Ops {
		t.Fatalf("stats: queue %+v, callback %+v", stQ, stCB)
	}
}

// A take with nothing queued is an empty batch; so is the take after a
// take, and one on a guild whose queue was never on.
func TestFrameQueueEmpty(t *testing.T) {
	g := newGuild(t)
	check := func() {
		t.Helper()
		b, err := g.TakeFrames()
		ok(t, err)
		if b.Next() || b.Err() != nil || b.Bytes() != nil || b.Frame().OpCount() != 0 ||
			b.Frame().ListID() != 0 {
			t.Fatalf("an empty take: next %v, err %v, %d bytes", b.Next(), b.Err(),
				len(b.Bytes()))
		}
	}
	check()
	ok(t, g.AddMember(1, "a", nil, roster.Online))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9})) // no queue: dropped
	check()
	ok(t, g.SetFrameQueue(true))
	check()
	ok(t, g.SetStatus(1, roster.Idle))
	b, err := g.TakeFrames()
	ok(t, err)
	if n := len(readBatch(t, b)); n != 1 {
		t.Fatalf("%d records", n)
	}
	check()
	ok(t, g.Flush()) // nothing owed
	check()
}

// The queue and the callback replace each other; records not taken stay
// when the queue is switched off or a callback is set; inside the
// callback the queue cannot be switched on, but a take works.
func TestFrameQueueSwitching(t *testing.T) {
	g := newGuild(t)
	rec := &recorder{}
	ok(t, g.AddMember(1, "a", nil, roster.Online))
	ok(t, g.AddMember(2, "b", nil, roster.Online))
	takeN := func(want int) []*roster.Frame {
		t.Helper()
		b, err := g.TakeFrames()
		ok(t, err)
		f := readBatch(t, b)
		if len(f) != want {
			t.Fatalf("%d records, want %d", len(f), want)
		}
		return f
	}
	ok(t, g.SetFrameQueue(true))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	// A callback switches the queue off; the SYNC queued before stays.
	ok(t, g.SetFrameCallback(rec.on))
	ok(t, g.SetStatus(1, roster.Idle))
	if n := len(rec.take()); n != 1 {
		t.Fatalf("%d frames through the callback", n)
	}
	if f := takeN(1); f[0].Ops[0].Kind != roster.OpSync {
		t.Fatalf("record %+v", f[0])
	}
	// The queue clears the callback.
	ok(t, g.SetFrameQueue(true))
	ok(t, g.SetStatus(1, roster.DND))
	if n := len(rec.take()); n != 0 {
		t.Fatalf("%d frames through the callback with the queue on", n)
	}
	// Off: what was queued stays, new frames are dropped.
	ok(t, g.SetStatus(2, roster.Idle))
	ok(t, g.SetFrameQueue(false))
	ok(t, g.SetStatus(1, roster.Online))
	takeN(2)
	ok(t, g.SetStatus(2, roster.Online))
	takeN(0)
	if n := len(rec.take()); n != 0 {
		t.Fatalf("%d frames through the callback with the queue off", n)
	}
	// Inside the callback: switching the queue on is EBUSY, a take works
	// (and hands out what was queued before the callback was set).
	ok(t, g.SetFrameQueue(true))
	ok(t, g.SetStatus(1, roster.Idle))
	var busy error
	var inside []*roster.Frame
	ok(t, g.SetFrameCallback(func(f *roster.FrameView) {
		busy = g.SetFrameQueue(true)
		b, err := g.TakeFrames()
		ok(t, err)
		inside = append(inside, readBatch(t, b)...)
	}))
	ok(t, g.SetStatus(1, roster.DND))
	wantStatus(t, busy, roster.StatusBusy)
	if len(inside) != 1 || inside[0].Ops[0].Kind != roster.OpUpdate {
		t.Fatalf("taken inside the callback: %+v", inside)
	}
	// The callback is still set.
	busy = nil
	ok(t, g.SetStatus(1, roster.Online))
	wantStatus(t, busy, roster.StatusBusy)
}

// A closed guild: both calls fail, and a batch taken before reads as empty.
func TestFrameQueueClosed(t *testing.T) {
	g := newGuild(t)
	ok(t, g.SetFrameQueue(true))
	ok(t, g.AddMember(1, "a", nil, roster.Online))
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	b, err := g.TakeFrames()
	ok(t, err)
	if len(b.Bytes()) == 0 {
		t.Fatal("nothing taken")
	}
	ok(t, g.Close())
	if b.Next() || b.Bytes() != nil || b.Err() != nil {
		t.Fatal("a batch of a closed guild is not empty")
	}
	wantStatus(t, g.SetFrameQueue(true), roster.StatusInvalid)
	wantStatus(t, g.SetFrameQueue(false), roster.StatusInvalid)
	b, err = g.TakeFrames()
	wantStatus(t, err, roster.StatusInvalid)
	if b != nil {
		t.Fatal("a batch from a closed guild")
	}
}

// queuedRecord is the header of a record of docs/frames.md §12.
type queuedRecord struct {
	size, listID                                uint64
	memberCount, onlineCount                    uint32
	sessionCount, groupCount, opCount, rowCount uint32
}

// A malformed block stops the batch with StatusCorrupt at the record
// that is wrong, and nothing is read outside the block.
func TestFrameQueueMalformed(t *testing.T) {
	g := newGuild(t)
	ok(t, g.SetFrameQueue(true))
	for i := uint64(1); i <= 5; i++ {
		ok(t, g.AddMember(i, fmt.Sprintf("m%d", i), nil, roster.Online))
	}
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	ok(t, g.SetStatus(3, roster.Offline))
	b, err := g.TakeFrames()
	ok(t, err)
	block := append([]byte(nil), b.Bytes()...)
	want := readBatch(t, b)
	if len(want) != 2 || len(block)%8 != 0 {
		t.Fatalf("%d records in %d bytes", len(want), len(block))
	}
	second := int((*queuedRecord)(unsafe.Pointer(&block[0])).size)

	// words is an 8-byte aligned copy of the block, with one more word
	// (so that an offset of 4 stays inside it).
	words := make([]uint64, len(block)/8+1)
	reset := func() []byte {
		raw := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), 8*len(words))
		copy(raw, block)
		return raw
	}
	header := func(at int) *queuedRecord {
		return (*queuedRecord)(unsafe.Pointer(&words[at/8]))
	}
	over := func(offset, n int) *roster.FrameBatch {
		return roster.BatchOver(unsafe.Add(unsafe.Pointer(&words[0]), offset), uintptr(n))
	}
	reset()
	if got := readBatch(t, over(0, len(block))); !reflect.DeepEqual(got, want) {
		t.Fatalf("the copy reads %+v, want %+v", got, want)
	}
	cases := []struct {
		name    string
		spoil   func()
		offset  int
		n       int
		records int    // read before the error
		at      string // the error's record
	}{
		{"size 0", func() { header(0).size = 0 }, 0, len(block), 0, "byte 0 "},
		{"size too large", func() { header(0).size += 8 }, 0, len(block), 0, "byte 0 "},
		{"past the end", func() { header(second).rowCount++; header(second).size += 24 },
			0, len(block), 1, fmt.Sprintf("byte %d ", second)},
		{"huge counts", func() {
			h := header(0)
			h.sessionCount, h.rowCount = ^uint32(0), ^uint32(0)
			h.size = 40 + 8*uint64(h.sessionCount) + 16*uint64(h.groupCount) +
				16*uint64(h.opCount) + 24*uint64(h.rowCount)
		}, 0, len(block), 0, "byte 0 "},
		{"item counts", func() {
			// The second record's first op (after its header, sessions and
			// groups) claims one row more than the record has.
			h := header(second)
			op := second + 40 + 8*int(h.sessionCount) + 16*int(h.groupCount)
			(*[4]uint32)(unsafe.Pointer(&words[op/8]))[3]++
		}, 0, len(block), 1, fmt.Sprintf("byte %d ", second)},
		{"truncated header", func() {}, 0, second + 16, 1, fmt.Sprintf("byte %d ", second)},
		{"truncated record", func() {}, 0, len(block) - 8, 1, fmt.Sprintf("byte %d ", second)},
		{"misaligned", func() {}, 4, len(block), 0, "byte 0 "},
	}
	for _, c := range cases {
		reset()
		c.spoil()
		batch := over(c.offset, c.n)
		n := 0
		for batch.Next() {
			n++
		}
		err := batch.Err()
		wantStatus(t, err, roster.StatusCorrupt)
		if n != c.records || !strings.Contains(err.Error(), "frame record at "+c.at) {
			t.Fatalf("%s: %d records, then %v", c.name, n, err)
		}
		if batch.Next() || batch.Frame().OpCount() != 0 {
			t.Fatalf("%s: the batch goes on after the error", c.name)
		}
	}
}

// ---- Tail deletes ----------------------------------------------------------------

// tailDeletes returns the DELETE indices of the frame sent when the last of
// seven members leaves a list that one session holds in chunks of 5.
func tailDeletes(t *testing.T, on bool) []uint32 {
	t.Helper()
	cfg := roster.DefaultConfig()
	cfg.ChunkSize = 5
	cfg.TailDeletes = on
	g, err := roster.NewGuild(&cfg)
	ok(t, err)
	defer g.Close()
	for i := uint64(1); i <= 7; i++ {
		ok(t, g.AddMember(i, fmt.Sprintf("n%d", i), nil, roster.Online))
	}
	ok(t, g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	var deletes []uint32
	ok(t, g.SetFrameCallback(func(f *roster.FrameView) {
		for _, op := range f.Copy().Ops {
			if op.Kind == roster.OpDelete {
				deletes = append(deletes, op.Index)
			}
		}
	}))
	ok(t, g.RemoveMember(7))
	return deletes
}

// TestTailDeletes: with Config.TailDeletes the row leaving the end of the
// list gets a DELETE (for clients that do not resize); without, none.
func TestTailDeletes(t *testing.T) {
	if roster.DefaultConfig().TailDeletes {
		t.Fatal("tail deletes on by default")
	}
	if got := tailDeletes(t, true); len(got) != 1 || got[0] != 7 {
		t.Fatalf("with tail deletes: DELETEs at %v, want [7]", got)
	}
	if got := tailDeletes(t, false); len(got) != 0 {
		t.Fatalf("without tail deletes: DELETEs at %v, want none", got)
	}
}
