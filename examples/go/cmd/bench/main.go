// Command bench is the Go version of the host benchmark
// (examples/c/bench.c, the reference): the same guild, roles, members,
// sessions and event stream, applied through the roster package's public
// API (ApplyEvents, 1,000 events per call), with a frame callback that reads
// every op and every row of every frame into the same checksum. With
// "queue" as the second argument, the frames go to the frame queue instead
// (SetFrameQueue, set before subscribing), taken after every call and read
// in place through the same fold. Its frames, ops, rows and checksum equal
// the C version's for the same event count, either way.
// Usage: bench [EVENTS [queue]]   (default 200000 and the callback)
// Prints one line: HOSTBENCH lang=go events=... seconds=... events_per_s=...
// frames=... ops=... rows=... checksum=... (lang=go-queue with the queue)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/roster-engine/roster/examples/go/roster"
)

const (
	members  = 100000
	sessions = 1000
	batch    = 1000
)

type tally struct {
	frames, ops, rows, checksum uint64
}

// onFrame folds a frame into the tally, reading it in place: for every
// frame, list_id + member_count + online_count; for every op, kind * 31 +
// index * 7 + end; for every row, (user ^ group) + count; all summed modulo
// 2^64 (Go's uint64 arithmetic wraps).
func (t *tally) onFrame(f *roster.FrameView) {
	sum := f.ListID() + uint64(f.MemberCount()) + uint64(f.OnlineCount())
	n := f.OpCount()
	rows := 0
	for i := 0; i < n; i++ {
		op := f.Op(i)
		sum += uint64(op.Kind())*31 + uint64(op.Index())*7 + uint64(op.End())
		items := op.Items()
		for j := range items {
			r := &items[j]
			sum += (r.User ^ r.Group) + uint64(r.Count)
		}
		rows += len(items)
	}
	t.rows += uint64(rows)
	t.ops += uint64(n)
	t.frames++
	t.checksum += sum
}

// take folds the frames queued by the last calls into the tally.
func (t *tally) take(g *roster.Guild) {
	b, err := g.TakeFrames()
	if err != nil {
		fail("take", err)
	}
	for b.Next() {
		t.onFrame(b.Frame())
	}
	if err := b.Err(); err != nil {
		fail("take", err)
	}
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	events := uint64(200000)
	if len(os.Args) > 1 {
		n, err := strconv.ParseUint(os.Args[1], 10, 64)
		if err != nil {
			fail("events", err)
		}
		events = n
	}
	queue := len(os.Args) > 2
	if len(os.Args) > 3 || (queue && os.Args[2] != "queue") {
		fmt.Fprintln(os.Stderr, "usage: bench [EVENTS [queue]]")
		os.Exit(2)
	}
	g, err := roster.NewGuild(nil)
	if err != nil {
		fail("create", err)
	}
	defer g.Close()
	var roleIDs [10]uint64
	for i := 0; i < 10; i++ {
		roleIDs[i] = uint64(i + 1)
		if err := g.UpsertRole(roster.Role{ID: uint64(i + 1), Position: int32(i + 1),
			Flags: roster.RoleHoist}); err != nil {
			fail("role", err)
		}
	}
	specs := make([]roster.MemberSpec, members)
	for i := range specs {
		s := &specs[i]
		s.ID = uint64(i + 1)
		s.Name = "m" + strconv.Itoa(i+1)
		if i%3 == 0 {
			s.Roles = roleIDs[i%10 : i%10+1]
		}
		switch i % 4 {
		case 0:
			s.Status = roster.Online
		case 1:
			s.Status = roster.Idle
		default:
			s.Status = roster.Offline
		}
	}
	if err := g.AddMembers(specs); err != nil {
		fail("members", err)
	}
	var t tally
	if queue {
		if err := g.SetFrameQueue(true); err != nil {
			fail("queue", err)
		}
	} else if err := g.SetFrameCallback(t.onFrame); err != nil {
		fail("callback", err)
	}
	for i := uint64(1); i <= sessions; i++ {
		c := uint32(1 + (i*7919)%(members/100-1))
		if err := g.Subscribe(i, 0, roster.Range{Start: 0, End: 99},
			roster.Range{Start: c * 100, End: c*100 + 99}); err != nil {
			fail("subscribe", err)
		}
	}
	if queue {
		t.take(g)
	}

	// Collect the setup's garbage now (as Go's testing package does before
	// a benchmark), so that no collection of it runs inside the timed loop,
	// which allocates nothing.
	specs = nil
	runtime.GC()

	buf := make([]roster.Event, batch)
	x := uint64(42)
	done := uint64(0)
	t0 := time.Now()
	for done < events {
		n := events - done
		if n > batch {
			n = batch
		}
		evs := buf[:n]
		for k := range evs {
			x = x*6364136223846793005 + 1442695040888963407
			evs[k] = roster.Event{Kind: roster.EventStatus, UserID: 1 + (x>>33)%members,
				Status: roster.Presence((x >> 13) % 4)}
		}
		if err := g.ApplyEvents(evs, nil); err != nil {
			fail("events", err)
		}
		if queue {
			t.take(g)
		}
		done += n
	}
	seconds := time.Since(t0).Seconds()
	lang := "go"
	if queue {
		lang = "go-queue"
	}
	fmt.Printf("HOSTBENCH lang=%s events=%d seconds=%.3f events_per_s=%.0f frames=%d ops=%d "+
		"rows=%d checksum=%d\n", lang, events, seconds, float64(events)/seconds, t.frames, t.ops,
		t.rows, t.checksum)
}
