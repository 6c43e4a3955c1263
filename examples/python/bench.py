"""The host benchmark, Python version: exactly the workload of
examples/c/bench.c, through the roster package's public API.

100,000 members and 1,000 sessions; status changes from the same LCG as the
C version, applied with Guild.apply_status_events (roster_events_apply) in
calls of 1,000 events, each of which flushes; the frames of each call taken
from the frame queue (Guild.take_frames, set before subscribing) and every
frame, every op and every row folded into the same checksum as the C
version, modulo 2^64. With "callback" as the second argument, a frame
callback does the folding instead (one call from C into Python per frame).
Frames, ops, rows and checksum must equal the C version's for the same event
count.

Usage: bench.py [EVENTS [callback]]   (default 200000 and the queue;
run.sh BUILD_ROOT --bench does)
Prints one line: HOSTBENCH lang=python events=... seconds=... events_per_s=...
frames=... ops=... rows=... checksum=...
"""

from __future__ import annotations

import sys
import time
from operator import xor
from typing import List

import roster
from roster import Presence

MEMBERS = 100000
SESSIONS = 1000
BATCH = 1000
MASK64 = 0xFFFFFFFFFFFFFFFF
LCG_A = 6364136223846793005
LCG_C = 1442695040888963407


class Tally:
    """What the frame callback counts (the C version's struct tally)."""

    def __init__(self) -> None:
        self.frames = 0
        self.ops = 0
        self.rows = 0
        self.checksum = 0  # reduced modulo 2^64 when printed

    def on_frame(self, f: roster.FrameView) -> None:
        """checksum: for every frame, list_id + member_count + online_count;
        for every op, kind * 31 + index * 7 + end; for every row,
        (user ^ group) + count. Read without a Python object per op or
        row: the ops as columns in place, the rows of all ops copied into
        one buffer, each column summed by sum() and map() at C speed."""
        s = f.list_id + f.member_count + f.online_count
        n = f.op_count
        if n:
            kinds, indexes, ends, _item_counts = f.op_columns()
            s += 31 * sum(kinds) + 7 * sum(indexes) + sum(ends)
            r = f.all_rows(signed=True)
            s += sum(map(xor, r.users, r.groups)) + sum(r.counts)
            self.rows += len(r)
            self.ops += n
        self.frames += 1
        self.checksum += s

    def take(self, g: roster.Guild) -> None:
        """The same fold over the frames queued by the last call, through
        the batch's columns: every scalar, op and row of all its frames
        read at C speed, no Python object per frame, op or row. The 64-bit
        columns are read as signed values: the checksum is taken modulo
        2^64, where they are equal, and GROUP_ONLINE / GROUP_OFFLINE are
        then -2 and -1, ints Python adds and xors at least twice as fast as
        values near 2^64."""
        batch = g.take_frames()
        if not len(batch):
            return
        c = batch.columns()
        s = sum(c.list_ids) + sum(c.member_counts) + sum(c.online_counts)
        kinds, indexes, ends, _item_counts = batch.op_columns()
        s += 31 * sum(kinds) + 7 * sum(indexes) + sum(ends)
        r = batch.all_rows(signed=True)  # the same sums modulo 2^64, with small ints
        s += sum(map(xor, r.users, r.groups)) + sum(r.counts)
        self.frames += len(batch)
        self.ops += len(kinds)
        self.rows += len(r)
        self.checksum += s


def setup(tally: Tally, queue: bool) -> roster.Guild:
    """The guild of bench.c: 10 hoisted roles, 100,000 members in one bulk
    add, the frame queue (or callback), then 1,000 sessions on list 0."""
    g = roster.Guild()
    for i in range(10):
        g.upsert_role(i + 1, i + 1, roster.ROLE_HOIST)
    statuses = (Presence.ONLINE, Presence.IDLE, Presence.OFFLINE, Presence.OFFLINE)
    g.add_members(
        (i + 1, f"m{i + 1}", (i % 10 + 1,) if i % 3 == 0 else (), statuses[i % 4])
        for i in range(MEMBERS)
    )
    if queue:
        g.set_frame_queue()
    else:
        g.set_frame_callback(tally.on_frame)
    for i in range(1, SESSIONS + 1):
        c = 1 + (i * 7919) % (MEMBERS // 100 - 1)
        g.subscribe(i, 0, [(0, 99), (c * 100, c * 100 + 99)])
    if queue:
        tally.take(g)
    return g


def run(events: int, queue: bool = True) -> str:
    tally = Tally()
    with setup(tally, queue) as g:
        x = 42
        done = 0
        apply = g.apply_status_events
        t0 = time.perf_counter()
        while done < events:
            n = min(BATCH, events - done)
            ids: List[int] = [0] * n
            sts: List[int] = [0] * n
            for k in range(n):
                x = (x * LCG_A + LCG_C) & MASK64
                ids[k] = 1 + (x >> 33) % MEMBERS
                sts[k] = (x >> 13) % 4
            apply(ids, sts)
            if queue:
                tally.take(g)
            done += n
        seconds = time.perf_counter() - t0
    return (
        f"HOSTBENCH lang=python{'' if queue else '-callback'} events={events} seconds={seconds:.3f} "
        f"events_per_s={events / seconds:.0f} frames={tally.frames} "
        f"ops={tally.ops} rows={tally.rows} checksum={tally.checksum & MASK64}"
    )


def main(argv: List[str]) -> int:
    events = int(argv[1]) if len(argv) > 1 else 200000
    if events < 1 or len(argv) > 3 or (len(argv) == 3 and argv[2] != "callback"):
        print("usage: bench.py [EVENTS [callback]] (EVENTS at least 1)", file=sys.stderr)
        return 2
    print(run(events, queue=len(argv) < 3))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
