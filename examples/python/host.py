"""The Python host: runs the scenario of examples/README.md through the C API
(via the roster package, src/roster/) and prints every frame in the
canonical line format, formatted here from the frame data received. Its
output must equal the C host's byte for byte.

Run it with ROSTER_LIBRARY=/path/to/libroster.so and the package importable
(installed, or PYTHONPATH=src): run.sh does.
"""

from __future__ import annotations

import sys
from typing import Callable, List, TextIO

import roster
from roster import GROUP_OFFLINE, GROUP_ONLINE, OpKind, Presence, RowKind


def group_name(group_id: int) -> str:
    """A group id: a role id, or online/offline."""
    if group_id == GROUP_ONLINE:
        return "online"
    if group_id == GROUP_OFFLINE:
        return "offline"
    return str(group_id)


def item_text(row: roster.Row) -> str:
    if row.kind == RowKind.HEADER:
        return f"H:{group_name(row.group)}:{row.count}"
    return f"M:{row.user}:{group_name(row.group)}"


def op_text(op: roster.Op) -> str:
    if op.kind == OpKind.SYNC:
        items = ",".join(item_text(r) for r in op.items)
        return f"SYNC:{op.index}-{op.end}:[{items}]"
    if op.kind == OpKind.INSERT:
        return f"INSERT:{op.index}:{item_text(op.items[0])}"
    if op.kind == OpKind.UPDATE:
        return f"UPDATE:{op.index}:{item_text(op.items[0])}"
    if op.kind == OpKind.DELETE:
        return f"DELETE:{op.index}"
    if op.kind == OpKind.INVALIDATE:
        return f"INVALIDATE:{op.index}-{op.end}"
    return f"UNKNOWN{int(op.kind)}"


def frame_line(view: roster.FrameView) -> str:
    frame = view.copy()  # the whole frame as plain objects (small here)
    sessions = ",".join(str(s) for s in sorted(frame.sessions))
    groups = ",".join(f"{group_name(g.id)}:{g.count}" for g in frame.groups) or "-"
    ops = ";".join(op_text(op) for op in frame.ops) or "-"
    return (
        f"frame list={frame.list_id} sessions={sessions} "
        f"members={frame.member_count} online={frame.online_count} "
        f"groups={groups} ops={ops}"
    )


def status_of(call: Callable[[], None]) -> int:
    """Runs one scenario call and returns its raw status: the wrapper raises
    RosterError on failure, which carries the code."""
    try:
        call()
    except roster.RosterError as err:
        return err.status
    return 0


ROLES_BY_I_MOD_5 = {0: [101], 1: [102], 2: [103], 3: [101, 103], 4: []}
STATUS_BY_I_MOD_4 = [Presence.ONLINE, Presence.IDLE, Presence.DND, Presence.OFFLINE]


def events(g: roster.Guild) -> List[Callable[[], None]]:
    """The 30 events of the scenario, in order (event n is element n - 1)."""
    return [
        lambda: g.set_status(1001, Presence.OFFLINE),  # 1
        lambda: g.set_status(1004, Presence.ONLINE),
        lambda: g.set_name(1010, "aaa"),
        lambda: g.set_name(1020, "zzz"),
        lambda: g.set_roles(1003, [101]),  # 5
        lambda: g.set_roles(1015, []),
        lambda: g.add_member(1051, "m51", [102], Presence.ONLINE),
        lambda: g.add_member(1052, "b52", [], Presence.IDLE),
        lambda: g.remove_member(1030),
        lambda: g.remove_member(1051),  # 10
        lambda: g.touch(1002),
        lambda: g.set_status(1008, Presence.IDLE),
        lambda: g.add_member_role(1012, 101),
        lambda: g.remove_member_role(1013, 103),
        lambda: g.batch_begin(),  # 15
        lambda: g.set_status(1016, Presence.OFFLINE),
        lambda: g.set_status(1017, Presence.ONLINE),
        lambda: g.set_name(1018, "c18"),
        lambda: g.add_member(1053, "m53", [101], Presence.DND),
        lambda: g.batch_commit(),  # 20
        lambda: g.set_status(1040, Presence.OFFLINE),
        lambda: g.set_name(1005, "a05"),
        lambda: g.set_roles(1025, [102, 103]),
        lambda: g.remove_member(1005),
        lambda: g.subscribe(2, 0, [(10, 19)]),  # 25
        lambda: g.set_status(1036, Presence.ONLINE),
        lambda: g.touch(1040),
        lambda: g.unsubscribe(3, 7),
        lambda: g.set_status(1024, Presence.DND),
        lambda: g.remove_session(1),  # 30
    ]


def handoff_events(g: roster.Guild) -> List[Callable[[], None]]:
    """The events on the loaded guild, numbered from 31."""
    return [
        lambda: g.set_status(1011, Presence.ONLINE),  # 31
        lambda: g.set_name(1012, "aab"),
        lambda: g.remove_member(1013),
        lambda: g.subscribe(4, 0, [(0, 9)]),  # 34
    ]


def stats_line(s: roster.Stats) -> str:
    """The stats line: only the deterministic fields (not the memory figure,
    nor the flush times)."""
    return (
        f"stats members={s.members} lists={s.lists} sessions={s.sessions} "
        f"subscriptions={s.subscriptions} chunks_held={s.chunks_held} "
        f"flushes={s.flushes} frames={s.frames} deliveries={s.deliveries} "
        f"ops={s.ops} rows={s.rows}"
    )


CONFIG = {"chunk_size": 10, "max_range_span": 30}


def run(out: TextIO) -> None:
    def emit(line: str) -> None:
        out.write(line + "\n")

    def run_events(first: int, calls: List[Callable[[], None]]) -> None:
        # Each call's raw status is printed, failing or not.
        for n, call in enumerate(calls, start=first):
            emit(f"# {n}")
            emit(f"= {status_of(call)}")

    with roster.Guild(**CONFIG) as g:
        g.set_frame_callback(lambda frame: emit(frame_line(frame)))

        # Setup: every call must succeed (a RosterError here is a broken library).
        emit("# setup")
        for role_id, position in ((101, 3), (102, 2), (103, 1)):  # 1. roles
            g.upsert_role(role_id, position, roster.ROLE_HOIST)
        for i in range(1, 51):  # 2. members
            g.add_member(
                1000 + i, f"m{i:02d}", ROLES_BY_I_MOD_5[i % 5], STATUS_BY_I_MOD_4[i % 4]
            )
        g.set_list(  # 3. list 7
            7,
            everyone=roster.OVERWRITE_DENY,
            roles=[(101, True)],
            members=[(1002, True), (1005, False)],
        )
        g.subscribe(1, 0, [(0, 9)])  # 4. sessions
        g.subscribe(2, 0, [(0, 9)])
        g.subscribe(3, 0, [(25, 34), (50, 59)])
        g.subscribe(3, 7, [(0, 19)])

        run_events(1, events(g))  # 5. the events
        emit(stats_line(g.stats()))  # 6. the stats
        snapshot = g.save(roster.SAVE_SESSIONS)

    # 7. The hand-off: the original guild is closed; load its snapshot and set
    # the frame callback again (a snapshot does not hold it).
    with roster.Guild.load_buffer(snapshot, **CONFIG) as g:
        g.set_frame_callback(lambda frame: emit(frame_line(frame)))
        emit("# handoff")
        run_events(31, handoff_events(g))  # 8. more events
        emit(stats_line(g.stats()))  # 9. the loaded guild's stats


def main() -> int:
    try:
        run(sys.stdout)
        sys.stdout.flush()
    except roster.RosterError as err:
        print(f"host-python: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
