// Command host is the Go host of examples/README.md: it runs the scenario
// through the roster package (the Go binding of the C API, imported by its
// module path) and prints every frame it receives in the canonical line
// format, formatted here from the frame data. Its output must equal the C
// host's byte for byte.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/roster-engine/roster/examples/go/roster"
)

// group writes a group id: a role id, or online/offline.
func group(b *strings.Builder, id uint64) {
	switch id {
	case roster.GroupOnline:
		b.WriteString("online")
	case roster.GroupOffline:
		b.WriteString("offline")
	default:
		b.WriteString(strconv.FormatUint(id, 10))
	}
}

// item writes a row: H:GROUP:COUNT or M:USER:GROUP.
func item(b *strings.Builder, r roster.Row) {
	if r.Kind == roster.RowHeader {
		b.WriteString("H:")
		group(b, r.Group)
		b.WriteString(":" + strconv.FormatUint(uint64(r.Count), 10))
		return
	}
	b.WriteString("M:" + strconv.FormatUint(r.User, 10) + ":")
	group(b, r.Group)
}

func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// op writes one op in the canonical format.
func op(b *strings.Builder, o roster.OpView) {
	switch o.Kind() {
	case roster.OpSync:
		b.WriteString("SYNC:" + u32(o.Index()) + "-" + u32(o.End()) + ":[")
		for i, r := range o.Items() {
			if i > 0 {
				b.WriteByte(',')
			}
			item(b, r)
		}
		b.WriteByte(']')
	case roster.OpInsert, roster.OpUpdate:
		b.WriteString(o.Kind().String() + ":" + u32(o.Index()) + ":")
		item(b, o.Items()[0])
	case roster.OpDelete:
		b.WriteString("DELETE:" + u32(o.Index()))
	case roster.OpInvalidate:
		b.WriteString("INVALIDATE:" + u32(o.Index()) + "-" + u32(o.End()))
	default:
		b.WriteString("UNKNOWN" + u32(uint32(o.Kind())))
	}
}

// frameLine is the canonical line of a frame (without the newline), read
// from the view in place while the callback runs.
func frameLine(f *roster.FrameView) string {
	var b strings.Builder
	b.WriteString("frame list=" + strconv.FormatUint(f.ListID(), 10) + " sessions=")
	// The view's slices are the library's memory, read-only: sort a copy.
	ids := append([]uint64(nil), f.Sessions()...)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(id, 10))
	}
	b.WriteString(" members=" + u32(f.MemberCount()) + " online=" + u32(f.OnlineCount()) +
		" groups=")
	if len(f.Groups()) == 0 {
		b.WriteByte('-')
	}
	for i, g := range f.Groups() {
		if i > 0 {
			b.WriteByte(',')
		}
		group(&b, g.ID)
		b.WriteString(":" + u32(g.Count))
	}
	b.WriteString(" ops=")
	if f.OpCount() == 0 {
		b.WriteByte('-')
	}
	for i := 0; i < f.OpCount(); i++ {
		if i > 0 {
			b.WriteByte(';')
		}
		op(&b, f.Op(i))
	}
	return b.String()
}

// status is the C status behind an error of the roster package (0 for nil).
func status(err error) int {
	if err == nil {
		return 0
	}
	var rerr *roster.Error
	if errors.As(err, &rerr) {
		return int(rerr.Status)
	}
	fail(err)
	return 0
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "host-go:", err)
	os.Exit(1)
}

// must stops on a failing setup step: that is a broken library.
func must(err error) {
	if err != nil {
		fail(err)
	}
}

func main() {
	out := bufio.NewWriter(os.Stdout)
	if err := run(out); err != nil {
		fail(err)
	}
	if err := out.Flush(); err != nil {
		fail(err)
	}
}

// statsLine is the stats line: only the deterministic fields (not the
// memory figure, nor the flush times).
func statsLine(s roster.Stats) string {
	return fmt.Sprintf("stats members=%d lists=%d sessions=%d subscriptions=%d chunks_held=%d "+
		"flushes=%d frames=%d deliveries=%d ops=%d rows=%d", s.Members, s.Lists, s.Sessions,
		s.Subscriptions, s.ChunksHeld, s.Flushes, s.Frames, s.Deliveries, s.Ops, s.Rows)
}

// runEvents runs the events numbered from first, each between its `# n` and
// `= s` lines; each prints its status, failing or not.
func runEvents(out *bufio.Writer, first int, events []func() error) {
	for i, event := range events {
		fmt.Fprintf(out, "# %d\n", first+i)
		s := status(event())
		fmt.Fprintf(out, "= %d\n", s)
	}
}

func run(out *bufio.Writer) error {
	cfg := roster.DefaultConfig()
	cfg.ChunkSize = 10
	cfg.MaxRangeSpan = 30
	// The callback reads the frame in place and formats it at once (the
	// view is valid only during the callback).
	printFrame := func(f *roster.FrameView) {
		out.WriteString(frameLine(f) + "\n")
	}
	snapshot, err := firstGuild(out, &cfg, printFrame)
	if err != nil {
		return err
	}

	// 7. The hand-off: the original guild is gone; load its snapshot and set
	// the frame callback again (a snapshot does not hold it).
	g, err := roster.Load(snapshot, &cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	must(g.SetFrameCallback(printFrame))
	out.WriteString("# handoff\n")

	// 8. More events, on the loaded guild.
	runEvents(out, 31, []func() error{
		func() error { return g.SetStatus(1011, roster.Online) },
		func() error { return g.SetName(1012, "aab") },
		func() error { return g.RemoveMember(1013) },
		func() error { return g.Subscribe(4, 0, roster.Range{Start: 0, End: 9}) },
	})
	// 9. The loaded guild's stats (its counters start at 0).
	stats, err := g.Stats()
	if err != nil {
		return err
	}
	out.WriteString(statsLine(stats) + "\n")
	return g.Close()
}

// firstGuild runs steps 1-6 of the scenario on a new guild and returns its
// snapshot (with the sessions); the guild is closed when it returns.
func firstGuild(out *bufio.Writer, cfg *roster.Config,
	printFrame roster.FrameFunc) ([]byte, error) {
	g, err := roster.NewGuild(cfg)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	must(g.SetFrameCallback(printFrame))

	out.WriteString("# setup\n")
	// 1. Roles.
	for i, pos := range []int32{3, 2, 1} {
		must(g.UpsertRole(roster.Role{ID: uint64(101 + i), Position: pos, Flags: roster.RoleHoist}))
	}
	// 2. Members.
	statuses := [4]roster.Presence{roster.Online, roster.Idle, roster.DND, roster.Offline}
	roleSets := [5][]uint64{{101}, {102}, {103}, {101, 103}, nil}
	for i := 1; i <= 50; i++ {
		name := fmt.Sprintf("m%02d", i)
		must(g.AddMember(uint64(1000+i), name, roleSets[i%5], statuses[i%4]))
	}
	// 3. List 7.
	must(g.SetList(7, roster.ListRule{
		Everyone: roster.OverwriteDeny,
		Roles:    []roster.Overwrite{{ID: 101, Allow: true}},
		Members:  []roster.Overwrite{{ID: 1002, Allow: true}, {ID: 1005, Allow: false}},
	}))
	// 4. Sessions.
	must(g.Subscribe(1, 0, roster.Range{Start: 0, End: 9}))
	must(g.Subscribe(2, 0, roster.Range{Start: 0, End: 9}))
	must(g.Subscribe(3, 0, roster.Range{Start: 25, End: 34}, roster.Range{Start: 50, End: 59}))
	must(g.Subscribe(3, 7, roster.Range{Start: 0, End: 19}))

	// 5. The 30 events; each prints its status, failing or not.
	events := []func() error{
		func() error { return g.SetStatus(1001, roster.Offline) },
		func() error { return g.SetStatus(1004, roster.Online) },
		func() error { return g.SetName(1010, "aaa") },
		func() error { return g.SetName(1020, "zzz") },
		func() error { return g.SetRoles(1003, []uint64{101}) },
		func() error { return g.SetRoles(1015, nil) },
		func() error { return g.AddMember(1051, "m51", []uint64{102}, roster.Online) },
		func() error { return g.AddMember(1052, "b52", nil, roster.Idle) },
		func() error { return g.RemoveMember(1030) },
		func() error { return g.RemoveMember(1051) },
		func() error { return g.Touch(1002) },
		func() error { return g.SetStatus(1008, roster.Idle) },
		func() error { return g.AddRole(1012, 101) },
		func() error { return g.RemoveMemberRole(1013, 103) },
		g.BeginBatch,
		func() error { return g.SetStatus(1016, roster.Offline) },
		func() error { return g.SetStatus(1017, roster.Online) },
		func() error { return g.SetName(1018, "c18") },
		func() error { return g.AddMember(1053, "m53", []uint64{101}, roster.DND) },
		g.CommitBatch,
		func() error { return g.SetStatus(1040, roster.Offline) },
		func() error { return g.SetName(1005, "a05") },
		func() error { return g.SetRoles(1025, []uint64{102, 103}) },
		func() error { return g.RemoveMember(1005) },
		func() error { return g.Subscribe(2, 0, roster.Range{Start: 10, End: 19}) },
		func() error { return g.SetStatus(1036, roster.Online) },
		func() error { return g.Touch(1040) },
		func() error { return g.Unsubscribe(3, 7) },
		func() error { return g.SetStatus(1024, roster.DND) },
		func() error { return g.RemoveSession(1) },
	}
	runEvents(out, 1, events)

	// 6. The stats line.
	stats, err := g.Stats()
	if err != nil {
		return nil, err
	}
	out.WriteString(statsLine(stats) + "\n")
	snapshot, err := g.Save(roster.SaveSessions)
	if err != nil {
		return nil, err
	}
	return snapshot, g.Close()
}
