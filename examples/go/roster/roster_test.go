package roster_test

import (
	"errors"
	"reflect"
	"testing"

	"example.invalid/roster/roster"
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

func TestVersionAndDefaults(t *testing.T) {
	if roster.Version() == "" {
		t.Fatal("empty version")
	}
	cfg := roster.DefaultConfig()
	if cfg.ChunkSize != 100 || cfg.MaxRanges != 3 || !cfg.EveryoneView {
		t.Fatalf("defaults: %+v", cfg)
	}
	g, err := roster.NewGuild(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	g := newGuild(t)
	err := g.RemoveMember(42)
	wantStatus(t, err, roster.StatusNotFound)
	if got, want := err.Error(), "roster: roster_member_remove: not found"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if err := g.AddMember(1, "a", nil, roster.Online); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, g.AddMember(1, "a", nil, roster.Online), roster.StatusExists)
	wantStatus(t, g.AddMember(2, "", nil, roster.Online), roster.StatusInvalid)
	wantStatus(t, g.CommitBatch(), roster.StatusInvalid)
	wantStatus(t, g.Subscribe(1, 99, roster.Range{Start: 0, End: 9}), roster.StatusNotFound)
	if s := roster.Status(-100).String(); s != "unknown status" {
		t.Fatalf("unknown status: %q", s)
	}
	// A closed guild: calls fail, Close again does nothing.
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, g.SetStatus(1, roster.Idle), roster.StatusInvalid)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

// The frames are Go copies: they match the list's rows after the callback
// returned, and calls that change the guild from inside fail with EBUSY.
func TestFramesAndBusy(t *testing.T) {
	g := newGuild(t)
	var frames []*roster.Frame
	var busy error
	if err := g.SetFrameCallback(func(f *roster.Frame) {
		frames = append(frames, f)
		busy = g.AddMember(99, "x", nil, roster.Online)
	}); err != nil {
		t.Fatal(err)
	}
	if err := g.UpsertRole(roster.Role{ID: 5, Position: 1, Flags: roster.RoleHoist}); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"b", "a", "c"} {
		roles := []uint64{5}
		if i == 2 {
			roles = nil
		}
		if err := g.AddMember(uint64(10+i), name, roles, roster.Online); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}); err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 {
		t.Fatalf("%d frames, want 1", len(frames))
	}
	wantStatus(t, busy, roster.StatusBusy)
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
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[1].User != 11 || rows[3].Kind != roster.RowHeader {
		t.Fatalf("rows %+v", rows)
	}
	wantOps := []roster.Op{{Kind: roster.OpSync, Index: 0, End: 9, Items: rows}}
	if !reflect.DeepEqual(f.Ops, wantOps) {
		t.Fatalf("ops %+v, want %+v", f.Ops, wantOps)
	}
	if n, err := g.SessionCount(); err != nil || n != 1 {
		t.Fatalf("sessions %d, %v", n, err)
	}
	if n, err := g.MemberCount(); err != nil || n != 3 {
		t.Fatalf("members %d, %v", n, err)
	}
}

// A panic of the callback comes out of the call that delivered the frame,
// and the guild stays usable.
func TestCallbackPanic(t *testing.T) {
	g := newGuild(t)
	if err := g.SetFrameCallback(func(*roster.Frame) { panic("boom") }); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want boom", r)
			}
		}()
		_ = g.Subscribe(1, 0, roster.Range{Start: 0, End: 9})
		t.Fatal("no panic")
	}()
	if err := g.SetFrameCallback(nil); err != nil {
		t.Fatal(err)
	}
	if err := g.AddMember(1, "a", nil, roster.Online); err != nil {
		t.Fatal(err)
	}
}

// A guild saved with its sessions and loaded back sends the same frames
// for the same event; the stats count from the load; errors keep their
// status (and the writer's error).
func TestSnapshotAndStats(t *testing.T) {
	cfg := roster.DefaultConfig()
	cfg.ChunkSize = 10
	g := newGuild(t)
	var frames []*roster.Frame
	record := func(f *roster.Frame) { frames = append(frames, f) }
	if err := g.SetFrameCallback(record); err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 5; i++ {
		if err := g.AddMember(i, "m"+string(rune('0'+i)), nil, roster.Online); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Subscribe(7, 0, roster.Range{Start: 0, End: 9}); err != nil {
		t.Fatal(err)
	}
	st, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Members != 5 || st.Lists != 1 || st.Sessions != 1 || st.Subscriptions != 1 ||
		st.Frames != 1 || st.Deliveries != 1 || st.Ops != 1 || st.MemoryBytes == 0 {
		t.Fatalf("stats %+v", st)
	}

	snap, err := g.Save(roster.SaveSessions)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := roster.Load(snap, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loaded.Close() })
	if st, err := loaded.Stats(); err != nil || st.Members != 5 || st.Sessions != 1 ||
		st.Frames != 0 || st.Flushes != 0 {
		t.Fatalf("loaded stats %+v, %v", st, err)
	}
	var loadedFrames []*roster.Frame
	if err := loaded.SetFrameCallback(func(f *roster.Frame) {
		loadedFrames = append(loadedFrames, f)
	}); err != nil {
		t.Fatal(err)
	}
	frames = nil
	if err := g.SetStatus(3, roster.Offline); err != nil {
		t.Fatal(err)
	}
	if err := loaded.SetStatus(3, roster.Offline); err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 || !reflect.DeepEqual(frames, loadedFrames) {
		t.Fatalf("frames %+v, loaded %+v", frames, loadedFrames)
	}
	// Without the sessions, and with the default config.
	snap, err = g.Save(0)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := roster.Load(snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := bare.SessionCount(); err != nil || n != 0 {
		t.Fatalf("sessions %d, %v", n, err)
	}
	bare.Close()

	// Errors.
	_, err = roster.Load(nil, nil)
	wantStatus(t, err, roster.StatusCorrupt)
	_, err = roster.Load(snap[:len(snap)-1], nil)
	wantStatus(t, err, roster.StatusCorrupt)
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
	if err := g.BeginBatch(); err != nil {
		t.Fatal(err)
	}
	_, err = g.Save(roster.SaveSessions)
	wantStatus(t, err, roster.StatusInvalid)
	if err := g.CommitBatch(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = g.Stats()
	wantStatus(t, err, roster.StatusInvalid)
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

type funcWriter func([]byte) (int, error)

func (f funcWriter) Write(p []byte) (int, error) { return f(p) }

// A panic of the writer comes out of SaveTo once the library has returned;
// the guild cannot be closed from inside the writer.
func TestSaveWriterPanicAndClose(t *testing.T) {
	g := newGuild(t)
	var closeErr error
	if err := g.SaveTo(funcWriter(func(p []byte) (int, error) {
		closeErr = g.Close()
		return len(p), nil
	}), 0); err != nil {
		t.Fatal(err)
	}
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
	if _, err := g.Save(roster.SaveSessions); err != nil {
		t.Fatal(err)
	}
}
