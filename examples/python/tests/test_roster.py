"""Unit tests of the roster package: every public function and method, with
its error paths (run_tests.py checks that none is left out)."""

from __future__ import annotations

import gc
import io
import os
import struct
import tempfile
import unittest
from array import array
from typing import List

import roster
from roster import (
    GROUP_OFFLINE,
    GROUP_ONLINE,
    Config,
    Event,
    EventKind,
    Frame,
    FrameView,
    Guild,
    MemberSpec,
    OpKind,
    Presence,
    RosterError,
    Row,
    RowKind,
    Status,
)


def small_guild(**config: int) -> Guild:
    """Three hoisted roles and ten members 1..10: odd ones online, even ones
    offline; member i has role 100 + i % 3."""
    g = Guild(**config)
    for role in (100, 101, 102):
        g.upsert_role(role, role - 99, roster.ROLE_HOIST)
    for i in range(1, 11):
        status = Presence.ONLINE if i % 2 else Presence.OFFLINE
        g.add_member(i, f"user{i:02d}", [100 + i % 3], status)
    return g


class Recorder:
    """A frame callback that keeps a copy of every frame."""

    def __init__(self) -> None:
        self.frames: List[Frame] = []

    def __call__(self, view: FrameView) -> None:
        self.frames.append(view.copy())


class AssertStatus:
    def assertStatus(self, status: Status, fn, *args, **kwargs) -> RosterError:
        with self.assertRaises(RosterError) as ctx:  # type: ignore[attr-defined]
            fn(*args, **kwargs)
        self.assertEqual(ctx.exception.status, status)  # type: ignore[attr-defined]
        self.assertEqual(ctx.exception.name, status.name)  # type: ignore[attr-defined]
        return ctx.exception


class LibraryTest(unittest.TestCase):
    def test_version(self) -> None:
        self.assertEqual(roster.version(), "%d.%d.%d" % roster.HEADER_VERSION)
        major, minor, patch = roster.HEADER_VERSION
        self.assertEqual(roster.version_number(), major * 10000 + minor * 100 + patch)
        self.assertTrue(os.path.basename(roster.library_path).startswith("libroster"))

    def test_status_str(self) -> None:
        self.assertEqual(roster.status_str(0), "ok")
        self.assertEqual(roster.status_str(Status.EINVAL), "invalid argument")
        self.assertEqual(roster.status_str(12345), "unknown status")
        for status in Status:
            self.assertNotEqual(roster.status_str(status), "unknown status", status)

    def test_error(self) -> None:
        err = RosterError(Status.ENOTFOUND, "roster_member_remove")
        self.assertEqual((err.status, err.name), (-2, "ENOTFOUND"))
        self.assertEqual(err.text, roster.status_str(-2))
        self.assertIn("roster_member_remove", str(err))
        self.assertIsNone(err.index)
        self.assertIsNone(err.statuses)
        odd = RosterError(-99, index=3)
        self.assertEqual((odd.name, odd.text, odd.index), ("UNKNOWN", "unknown status", 3))
        self.assertIn("at index 3", str(odd))


class ConfigTest(unittest.TestCase, AssertStatus):
    def test_defaults(self) -> None:
        self.assertEqual(roster.CONFIG_DEFAULTS["chunk_size"], 100)
        self.assertEqual(roster.CONFIG_DEFAULTS, Config().__dict__)

    def test_config_and_overrides(self) -> None:
        with Guild(Config(max_members=2), offline_threshold=5) as g:
            g.add_member(1, "a")
            g.add_member(2, "b")
            self.assertStatus(Status.ELIMIT, g.add_member, 3, "c")

    def test_refused(self) -> None:
        self.assertStatus(Status.EINVAL, Guild, chunk_size=0)
        self.assertStatus(Status.EINVAL, Guild, Config(max_ranges=501))  # above ROSTER_MAX_RANGES
        with self.assertRaises(TypeError):
            Guild(no_such_field=1)
        with self.assertRaises(ValueError):
            Guild(chunk_size=-1)


class TailDeletesTest(unittest.TestCase, AssertStatus):
    """roster_config.tail_deletes: the last row of the list leaving gets a
    DELETE (for clients that do not resize); without it, none."""

    def deletes_when_last_leaves(self, **config: int) -> List[int]:
        with Guild(chunk_size=5, **config) as g:
            for i in range(1, 8):
                g.add_member(i, f"n{i}")
            g.subscribe(1, 0, [(0, 9)])
            rec = Recorder()
            g.set_frame_callback(rec)
            g.remove_member(7)
            return [op.index for f in rec.frames for op in f.ops if op.kind == OpKind.DELETE]

    def test_on_and_off(self) -> None:
        self.assertEqual(Config().tail_deletes, 0)
        self.assertEqual(self.deletes_when_last_leaves(tail_deletes=1), [7])
        self.assertEqual(self.deletes_when_last_leaves(), [])
        self.assertStatus(Status.EINVAL, Guild, tail_deletes=2)


class LifetimeTest(unittest.TestCase, AssertStatus):
    def test_close_once(self) -> None:
        g = Guild()
        with g as same:
            self.assertIs(same, g)
            self.assertFalse(g.closed)
        self.assertTrue(g.closed)
        g.close()  # a second close does nothing
        with self.assertRaisesRegex(ValueError, "closed"):
            g.member_count()
        with self.assertRaisesRegex(ValueError, "closed"):
            g.set_status(1, Presence.ONLINE)
        with self.assertRaisesRegex(ValueError, "closed"):
            g.list_rows(0, 0, 10)

    def test_garbage_collected(self) -> None:
        g = small_guild()
        g.set_frame_callback(Recorder())
        finalizer = g._finalizer
        del g
        gc.collect()
        self.assertFalse(finalizer.alive)

    def test_close_inside_callback(self) -> None:
        seen: List[RosterError] = []
        with small_guild() as g:

            def cb(view: FrameView) -> None:
                try:
                    g.close()
                except RosterError as err:
                    seen.append(err)

            g.set_frame_callback(cb)
            g.subscribe(1, 0, [(0, 9)])
            self.assertFalse(g.closed)
        self.assertEqual([e.status for e in seen], [Status.EBUSY])


class SettingsTest(unittest.TestCase, AssertStatus):
    def test_everyone_view_and_threshold(self) -> None:
        with small_guild() as g:
            self.assertEqual(g.list_counts(0), (10, 5))
            g.set_list(5)  # everyone who may view the guild
            self.assertEqual(g.list_counts(5), (10, 5))
            g.set_everyone_view(False)
            self.assertEqual(g.list_counts(5), (0, 0))
            g.set_everyone_view(True)
            self.assertEqual(g.list_counts(5), (10, 5))
            length = g.list_length(0)
            g.set_offline_threshold(5)  # 10 members: offline ones are hidden
            self.assertLess(g.list_length(0), length)
            self.assertStatus(Status.ENOTFOUND, g.list_index_of, 0, 2)
            with self.assertRaises(ValueError):
                g.set_offline_threshold(-1)

    def test_member_count(self) -> None:
        with small_guild() as g:
            self.assertEqual(g.member_count(), 10)


class RoleTest(unittest.TestCase, AssertStatus):
    def test_roles(self) -> None:
        with small_guild() as g:
            groups = [grp.id for grp in g.list_groups(0)]
            self.assertEqual(groups[:3], [102, 101, 100])
            g.reorder_roles({100: 9, 101: 8, 102: 7})
            self.assertEqual([grp.id for grp in g.list_groups(0)][:3], [100, 101, 102])
            g.reorder_roles([(102, 20)])
            self.assertEqual(g.list_groups(0)[0].id, 102)
            g.reorder_roles([])
            g.remove_role(102)
            self.assertNotIn(102, [grp.id for grp in g.list_groups(0)])
            self.assertEqual(g.get_member(2).roles, ())

    def test_role_errors(self) -> None:
        with small_guild() as g:
            self.assertStatus(Status.EINVAL, g.upsert_role, 0, 1)
            self.assertStatus(Status.EINVAL, g.upsert_role, GROUP_ONLINE, 1)
            self.assertStatus(Status.EINVAL, g.upsert_role, 7, 1, 64)
            self.assertStatus(Status.ENOTFOUND, g.remove_role, 7)
            self.assertStatus(Status.ENOTFOUND, g.reorder_roles, {7: 1})
            self.assertStatus(Status.EINVAL, g.reorder_roles, [(100, 1), (100, 2)])
            with self.assertRaises(ValueError):
                g.upsert_role(-1, 1)
        with Guild(max_roles=1) as g:
            g.upsert_role(1, 1)
            self.assertStatus(Status.ELIMIT, g.upsert_role, 2, 1)


class MemberTest(unittest.TestCase, AssertStatus):
    def test_add_get_upsert(self) -> None:
        with small_guild() as g:
            info = g.get_member(3)
            self.assertEqual(
                (info.id, info.name, info.status, info.group, info.roles),
                (3, "user03", Presence.ONLINE, 100, (100,)),
            )
            g.upsert_member(3, "réné", [101, 102], Presence.DND)
            info = g.get_member(3)
            self.assertEqual(
                (info.name, info.status, info.roles), ("réné", Presence.DND, (101, 102))
            )
            g.upsert_member(11, b"bytes name")
            self.assertEqual(g.get_member(11).name, "bytes name")
            self.assertEqual(g.get_member(11).group, GROUP_OFFLINE)

    def test_many_roles(self) -> None:
        # More roles than get_member's first buffer holds.
        with Guild() as g:
            for r in range(1, 41):
                g.upsert_role(r, r)
            g.add_member(1, "many", list(range(40, 0, -1)), Presence.ONLINE)
            self.assertEqual(g.get_member(1).roles, tuple(range(1, 41)))

    def test_changes(self) -> None:
        with small_guild() as g:
            g.set_status(2, Presence.IDLE)
            self.assertEqual(g.get_member(2).status, Presence.IDLE)
            g.set_name(2, "renamed")
            self.assertEqual(g.get_member(2).name, "renamed")
            g.set_roles(2, [100, 101])
            self.assertEqual(g.get_member(2).roles, (100, 101))
            g.set_roles(2, [])
            self.assertEqual(g.get_member(2).roles, ())
            g.add_member_role(2, 102)
            self.assertEqual(g.get_member(2).roles, (102,))
            g.remove_member_role(2, 102)
            self.assertEqual(g.get_member(2).roles, ())
            g.touch(2)
            g.remove_member(2)
            self.assertEqual(g.member_count(), 9)

    def test_sort_key(self) -> None:
        with small_guild() as g:
            group_rows = [r.user for r in g.list_rows(0, 0, 100) if r.group == 101]
            self.assertEqual(group_rows[:2], [0, 1])  # header, then user01
            g.set_sort_key(7, b"\x00first")
            group_rows = [r.user for r in g.list_rows(0, 0, 100) if r.group == 101]
            self.assertEqual(group_rows[:2], [0, 7])
            g.set_sort_key(7, None)
            group_rows = [r.user for r in g.list_rows(0, 0, 100) if r.group == 101]
            self.assertEqual(group_rows[:2], [0, 1])
            self.assertStatus(Status.EINVAL, g.set_sort_key, 7, b"")
            self.assertStatus(Status.ELIMIT, g.set_sort_key, 7, b"k" * 257)
            self.assertStatus(Status.ENOTFOUND, g.set_sort_key, 99, b"k")

    def test_member_errors(self) -> None:
        with small_guild() as g:
            self.assertStatus(Status.EEXIST, g.add_member, 1, "again")
            self.assertStatus(Status.EINVAL, g.add_member, 0, "zero")
            self.assertStatus(Status.EINVAL, g.add_member, 20, "")
            self.assertStatus(Status.EINVAL, g.add_member, 20, b"\xff\xfe")
            self.assertStatus(Status.EINVAL, g.add_member, 20, "x" * 129)
            self.assertStatus(Status.EINVAL, g.add_member, 20, "bad status", (), 9)
            self.assertStatus(Status.ENOTFOUND, g.add_member, 20, "no role", [555])
            self.assertStatus(Status.ENOTFOUND, g.remove_member, 99)
            self.assertStatus(Status.ENOTFOUND, g.set_status, 99, Presence.ONLINE)
            self.assertStatus(Status.EINVAL, g.set_status, 1, 7)
            self.assertStatus(Status.ENOTFOUND, g.set_name, 99, "x")
            self.assertStatus(Status.EINVAL, g.set_name, 1, "")
            self.assertStatus(Status.ENOTFOUND, g.set_roles, 1, [555])
            self.assertStatus(Status.ENOTFOUND, g.add_member_role, 1, 555)
            self.assertStatus(Status.ENOTFOUND, g.remove_member_role, 99, 100)
            self.assertStatus(Status.ENOTFOUND, g.touch, 99)
            self.assertStatus(Status.ENOTFOUND, g.get_member, 99)
            for bad in (-1, 1 << 64):
                with self.assertRaises(ValueError):
                    g.set_status(bad, Presence.ONLINE)
                with self.assertRaises(ValueError):
                    g.touch(bad)
                with self.assertRaises(OverflowError):
                    g.set_roles(1, [bad])
        with Guild(max_roles_per_member=1) as g:
            g.upsert_role(1, 1)
            g.upsert_role(2, 2)
            g.add_member(1, "a", [1])
            self.assertStatus(Status.ELIMIT, g.add_member_role, 1, 2)
            self.assertStatus(Status.ELIMIT, g.set_roles, 1, [1, 2])


class BulkTest(unittest.TestCase, AssertStatus):
    def test_add_members(self) -> None:
        with Guild() as g:
            g.upsert_role(5, 1, roster.ROLE_HOIST)
            g.add_members(
                [
                    MemberSpec(1, "one", [5], Presence.ONLINE),
                    (2, "two", (), Presence.IDLE),
                    (3, b"three", [5], 0),
                ]
            )
            self.assertEqual(g.member_count(), 3)
            self.assertEqual(g.get_member(1).group, 5)
            self.assertEqual(g.get_member(2).status, Presence.IDLE)
            self.assertEqual(g.get_member(3).roles, (5,))
            g.add_members([])
            g.add_members_at(iter([MemberSpec(4, "four")]))
            g.add_members_at([])
            self.assertEqual(g.member_count(), 4)

    def test_add_members_errors(self) -> None:
        with small_guild() as g:
            err = self.assertStatus(Status.EEXIST, g.add_members, [(20, "new"), (1, "dup")])
            self.assertIsNone(err.index)
            err = self.assertStatus(Status.EEXIST, g.add_members_at, [(20, "new"), (1, "dup")])
            self.assertEqual(err.index, 1)
            twice = [(20, "a"), (21, "b"), (20, "c")]
            err = self.assertStatus(Status.EEXIST, g.add_members_at, twice)
            self.assertEqual(err.index, 2)
            err = self.assertStatus(Status.ENOTFOUND, g.add_members_at, [(20, "a", [999])])
            self.assertEqual(err.index, 0)
            self.assertEqual(g.member_count(), 10)  # all or nothing
        with Guild(max_members=2) as g:
            three = [(1, "a"), (2, "b"), (3, "c")]
            err = self.assertStatus(Status.ELIMIT, g.add_members_at, three)
            self.assertEqual(err.index, 3)  # not about one entry: the count

    def test_apply_events(self) -> None:
        with small_guild() as g:
            statuses = g.apply_events(
                [
                    Event.set_status(1, Presence.DND),
                    Event.set_name(2, "named"),
                    Event.set_roles(3, [101, 102]),
                    Event.add_role(4, 100),
                    Event.remove_role(5, 102),
                    Event.touch(6),
                    Event.add(20, "twenty", [100], Presence.IDLE),
                    Event.upsert(7, "seven", [], Presence.ONLINE),
                    Event.remove(8),
                    (EventKind.STATUS, 9, Presence.IDLE),  # a plain tuple
                ],
                statuses=True,
            )
            self.assertEqual(statuses, [0] * 10)
            self.assertEqual(g.get_member(1).status, Presence.DND)
            self.assertEqual(g.get_member(2).name, "named")
            self.assertEqual(g.get_member(3).roles, (101, 102))
            self.assertEqual(g.get_member(4).roles, (100, 101))
            self.assertEqual(g.get_member(5).roles, ())
            self.assertEqual(g.get_member(20).name, "twenty")
            self.assertEqual(g.get_member(7).name, "seven")
            self.assertStatus(Status.ENOTFOUND, g.get_member, 8)
            self.assertEqual(g.get_member(9).status, Presence.IDLE)
            self.assertIsNone(g.apply_events([]))
            self.assertEqual(g.apply_events([], statuses=True), [])

    def test_apply_events_failures(self) -> None:
        with small_guild() as g:
            events = [Event.set_status(99, 1), Event.set_status(1, Presence.IDLE), Event(42, 1)]
            self.assertEqual(
                g.apply_events(events, statuses=True),
                [Status.ENOTFOUND, Status.OK, Status.EINVAL],
            )
            self.assertEqual(g.get_member(1).status, Presence.IDLE)  # applied all the same
            self.assertStatus(Status.ENOTFOUND, g.apply_events, events)
            self.assertStatus(Status.EINVAL, g.apply_events, [Event.add(30, "")])
            with self.assertRaises(OverflowError):
                g.apply_events([Event.set_status(-1, 1)])

    def test_apply_status_events(self) -> None:
        with small_guild() as g:
            self.assertIsNone(g.apply_status_events([1, 2], [Presence.IDLE, Presence.DND]))
            self.assertEqual(g.get_member(2).status, Presence.DND)
            report = g.apply_status_events(array("Q", [3, 99]), array("i", [0, 1]), report=True)
            self.assertEqual(report, [Status.OK, Status.ENOTFOUND])
            self.assertEqual(g.get_member(3).status, Presence.OFFLINE)
            self.assertStatus(Status.EINVAL, g.apply_status_events, [1], [9])
            self.assertIsNone(g.apply_status_events([], []))
            with self.assertRaises(ValueError):
                g.apply_status_events([1, 2], [1])
            with self.assertRaises(OverflowError):
                g.apply_status_events([-5], [1])

    def test_events_inside_callback(self) -> None:
        errors: List[int] = []
        with small_guild() as g:

            def cb(view: FrameView) -> None:
                for call in (
                    lambda: g.apply_events([Event.touch(1)], statuses=True),
                    lambda: g.apply_status_events([1], [1]),
                    lambda: g.add_members([(50, "x")]),
                    lambda: g.add_members_at([(50, "x")]),
                ):
                    try:
                        call()
                    except RosterError as err:
                        errors.append(err.status)

            g.set_frame_callback(cb)
            g.subscribe(1, 0, [(0, 9)])
        self.assertEqual(errors, [Status.EBUSY] * 4)


class ListTest(unittest.TestCase, AssertStatus):
    def test_rules_and_queries(self) -> None:
        with small_guild() as g:
            g.set_list(
                3,
                everyone=roster.OVERWRITE_DENY,
                roles=[(100, True)],
                members=[(2, True), (3, False)],
            )
            # role 100: members 3, 6, 9; member 2 allowed; member 3 denied.
            self.assertEqual(g.list_counts(3), (3, 1))
            users = [r.user for r in g.list_rows(3, 0, 50) if r.kind == RowKind.MEMBER]
            self.assertEqual(sorted(users), [2, 6, 9])
            self.assertEqual(g.list_length(3), len(g.list_rows(3, 0, 1000)))
            row = g.list_index_of(3, 9)
            self.assertEqual(g.list_rows(3, row, row)[0].user, 9)
            self.assertTrue(g.list_can_view(3, 2))
            self.assertFalse(g.list_can_view(3, 3))
            self.assertFalse(g.list_can_view(3, 12345))
            g.remove_list(3)
            self.assertStatus(Status.ENOTFOUND, g.list_length, 3)

    def test_rows_view(self) -> None:
        with small_guild() as g:
            rows = g.list_rows(0, 0, 1000)
            self.assertEqual(len(rows), g.list_length(0))
            first = rows[0]
            self.assertEqual(first, Row(RowKind.HEADER, first.count, 102, 0))
            self.assertEqual(list(rows)[1], rows[1])
            self.assertEqual(list(rows.users), [r.user for r in rows])
            self.assertEqual(sum(rows.counts), 10)  # the headers count every member
            self.assertEqual(len(g.list_rows(0, 500, 600)), 0)

    def test_long_list(self) -> None:
        with Guild() as g:
            g.add_members((i, f"m{i}", (), Presence.ONLINE) for i in range(1, 2001))
            rows = g.list_rows(0, 0, 0xFFFFFFFF)
            self.assertEqual(len(rows), 2001)
            self.assertEqual(rows[2000].user, g.list_rows(0, 2000, 2000)[0].user)

    def test_list_errors(self) -> None:
        with small_guild() as g:
            self.assertStatus(Status.EINVAL, g.set_list, 0)
            self.assertStatus(Status.EINVAL, g.set_list, 4, 7)
            self.assertStatus(Status.EINVAL, g.set_list, 4, members=[(1, True), (1, False)])
            self.assertStatus(Status.EINVAL, g.remove_list, 0)
            self.assertStatus(Status.ENOTFOUND, g.remove_list, 4)
            self.assertStatus(Status.ENOTFOUND, g.list_counts, 4)
            self.assertStatus(Status.ENOTFOUND, g.list_groups, 4)
            self.assertStatus(Status.ENOTFOUND, g.list_rows, 4, 0, 1)
            self.assertStatus(Status.EINVAL, g.list_rows, 0, 5, 1)
            self.assertStatus(Status.ENOTFOUND, g.list_index_of, 0, 99)
            with self.assertRaises(ValueError):
                g.list_rows(0, -1, 1)
        with Guild(max_lists=0) as g:
            self.assertStatus(Status.ELIMIT, g.set_list, 1)


class BatchTest(unittest.TestCase, AssertStatus):
    def test_batches(self) -> None:
        rec = Recorder()
        with small_guild() as g:
            g.set_frame_callback(rec)
            g.subscribe(1, 0, [(0, 19)])
            rec.frames.clear()
            g.batch_begin()
            g.set_status(2, Presence.ONLINE)
            g.set_status(4, Presence.ONLINE)
            self.assertStatus(Status.EINVAL, g.flush)  # inside a batch: the commit flushes
            self.assertEqual(rec.frames, [])
            g.batch_commit()
            self.assertEqual(len(rec.frames), 1)
            with g.batch():
                with g.batch():  # nested
                    g.set_status(6, Presence.ONLINE)
                self.assertEqual(len(rec.frames), 1)
            self.assertEqual(len(rec.frames), 2)
            self.assertStatus(Status.EINVAL, g.batch_commit)
            g.flush()  # nothing to deliver
            self.assertEqual(len(rec.frames), 2)


class FrameTest(unittest.TestCase, AssertStatus):
    def test_frames_and_views(self) -> None:
        seen = {}
        with small_guild(chunk_size=10) as g:

            def cb(view: FrameView) -> None:
                self.assertTrue(view.valid)
                seen["view"] = view
                seen["sessions"] = view.sessions()
                seen["groups"] = view.groups()
                cols = view.op_columns()
                seen["cols"] = cols
                seen["kinds"] = list(cols.kinds)
                seen["items"] = list(cols.item_counts)
                seen["rows0"] = view.rows(0)
                seen["users0"] = list(seen["rows0"].users)
                seen["all"] = view.all_rows()
                seen["signed"] = view.all_rows(signed=True)
                seen["op0"] = view.op(0)
                seen["copy"] = view.copy()
                with self.assertRaises(IndexError):
                    view.rows(view.op_count)
                with self.assertRaises(IndexError):
                    view.op(-1)

            g.set_frame_callback(cb)
            g.subscribe(1, 0, [(0, 9)])
            g.subscribe(2, 0, [(0, 9)])
            frame = seen["copy"]
            self.assertEqual(seen["sessions"], (2,))
            self.assertEqual(frame.list_id, 0)
            self.assertEqual((frame.member_count, frame.online_count), g.list_counts(0))
            self.assertEqual(frame.groups, g.list_groups(0))
            self.assertEqual(seen["kinds"], [OpKind.SYNC])
            self.assertEqual(seen["op0"].kind, OpKind.SYNC)
            self.assertEqual((seen["op0"].index, seen["op0"].end), (0, 9))
            self.assertEqual(list(seen["op0"].items), list(g.list_rows(0, 0, 9)))
            self.assertEqual(seen["users0"], [r.user for r in g.list_rows(0, 0, 9)])
            self.assertEqual(list(seen["all"]), list(g.list_rows(0, 0, 9)))  # a copy: still valid
            signed = seen["signed"]
            self.assertIn(GROUP_OFFLINE - 2**64, list(signed.groups))  # -1
            self.assertEqual([v % 2**64 for v in signed.groups], list(seen["all"].groups))
            # After the callback: the view and its in-place memoryviews are gone.
            view = seen["view"]
            self.assertFalse(view.valid)
            accessors = (view.sessions, view.groups, view.op_columns, view.all_rows, view.copy)
            for accessor in accessors:
                with self.assertRaises(ValueError):
                    accessor()
            with self.assertRaises(ValueError):
                view.rows(0)
            with self.assertRaises(ValueError):
                view.op(0)
            with self.assertRaises(ValueError):
                seen["cols"].kinds[0]
            with self.assertRaises(ValueError):
                seen["rows0"].users[0]

            # An update, a frame with ops of several kinds.
            rec = Recorder()
            g.set_frame_callback(rec)
            g.set_name(1, "zz")
            self.assertEqual(len(rec.frames), 1)
            self.assertEqual(rec.frames[0].sessions, (1, 2))
            self.assertTrue(all(isinstance(op.kind, OpKind) for op in rec.frames[0].ops))

    def test_empty_frame_accessors(self) -> None:
        seen = {}
        with small_guild(chunk_size=10) as g:
            g.subscribe(1, 0, [(100, 109)])  # past the end: holds nothing

            def cb(view: FrameView) -> None:
                seen["cols"] = [list(c) for c in view.op_columns()]
                seen["all"] = len(view.all_rows())
                seen["frame"] = view.copy()

            g.set_frame_callback(cb)
            g.set_list(9, everyone=roster.OVERWRITE_ALLOW)
            g.subscribe(1, 9, [(0, 9)])
            g.remove_list(9)  # the last frame: counts 0, no groups
            frame = seen["frame"]
            self.assertEqual((frame.list_id, frame.member_count, frame.groups), (9, 0, ()))
            self.assertEqual([op.kind for op in frame.ops], [OpKind.INVALIDATE])
            self.assertEqual(seen["cols"][3], [0])
            self.assertEqual(seen["all"], 0)
            g.set_frame_callback(cb)
            g.set_offline_threshold(1000)  # counts may change without ops
            g.subscribe(3, 0, [])

    def test_callback_exception(self) -> None:
        calls = []
        with small_guild() as g:
            g.subscribe(1, 0, [(0, 9)])
            g.subscribe(2, 0, [(0, 19)])  # another frame than session 1's

            def cb(view: FrameView) -> None:
                calls.append(view.session_count)
                raise KeyError("from the callback")

            g.set_frame_callback(cb)
            with self.assertRaises(KeyError):
                g.set_name(1, "first")  # row 1: in both sessions' ranges
            self.assertEqual(len(calls), 1)  # the later frame of that call was dropped
            self.assertEqual(g.get_member(1).name, "first")  # the change stands
            with self.assertRaises(KeyError):
                g.subscribe(3, 0, [(0, 49)])
            self.assertEqual(g.session_count(), 3)

    def test_callback_exception_on_every_call_kind(self) -> None:
        with small_guild() as g:
            g.subscribe(1, 0, [(0, 99)])

            def cb(view: FrameView) -> None:
                raise RuntimeError("boom")

            g.set_frame_callback(cb)
            with self.assertRaises(RuntimeError):
                g.set_status(1, Presence.IDLE)
            with self.assertRaises(RuntimeError):
                g.apply_status_events([1], [Presence.DND])
            with self.assertRaises(RuntimeError):
                g.apply_events([Event.touch(1)], statuses=True)
            with self.assertRaises(RuntimeError):
                g.add_members([(40, "forty", (), Presence.ONLINE)])
            with self.assertRaises(RuntimeError):
                g.add_members_at([(41, "forty-one", (), Presence.ONLINE)])
            g.set_frame_callback(None)
            g.set_status(1, Presence.ONLINE)  # no callback: no error

    def test_inside_callback(self) -> None:
        results = {}
        with small_guild() as g:
            g.subscribe(1, 0, [(0, 9)])
            g.subscribe(2, 0, [(0, 19)])

            def cb(view: FrameView) -> None:
                results.setdefault("counts", g.list_counts(0))
                try:
                    g.set_status(1, Presence.IDLE)
                except RosterError as err:
                    results["status"] = err.status
                try:
                    g.set_frame_callback(None)
                except RosterError as err:
                    results["callback"] = err.status
                try:
                    g.save()
                except RosterError as err:
                    results["save"] = err.status
                try:
                    g.flush()
                except RosterError as err:
                    results["flush"] = err.status
                if 2 in view.sessions() and "removed" not in results:
                    results["removed"] = True
                    g.unsubscribe(2, 0)  # its INVALIDATE frame comes in this flush
                    g.remove_session(1)

            g.set_frame_callback(cb)
            g.set_name(3, "c")
            self.assertEqual(results["status"], Status.EBUSY)
            self.assertEqual(results["callback"], Status.EBUSY)
            self.assertEqual(results["save"], Status.EBUSY)
            self.assertEqual(results["flush"], Status.EBUSY)
            self.assertEqual(g.session_count(), 1)
            self.assertEqual(g.session_ranges(2, 0), [])


class FrameQueueTest(unittest.TestCase, AssertStatus):
    @staticmethod
    def script(g: Guild, step: int) -> None:
        """The same churn on any guild: statuses, names, touches, subscriptions."""
        user = 1 + (step * 7) % 10
        kind = step % 4
        if kind == 0:
            g.set_status(user, (step // 4) % 4)
        elif kind == 1:
            g.set_name(user, f"n{step * 31 % 97}")
        elif kind == 2:
            g.touch(user)
        else:
            g.subscribe(1 + step % 3, 0, [(step % 4, step % 4 + 5)])

    def test_queue_equals_callback(self) -> None:
        with small_guild(chunk_size=3) as a, small_guild(chunk_size=3) as b:
            rec = Recorder()
            a.set_frame_callback(rec)
            b.set_frame_queue()
            self.assertEqual(len(b.take_frames()), 0)
            got: List[Frame] = []
            batches = []
            for step in range(80):
                self.script(a, step)
                self.script(b, step)
                if step % 9 == 8:
                    batch = b.take_frames()
                    batches.append(batch)
                    got.extend(f.copy() for f in batch)
            batch = b.take_frames()
            batches.append(batch)
            got.extend(f.copy() for f in batch)
            self.assertGreater(len(rec.frames), 30)
            self.assertEqual(got, rec.frames)
            # An earlier batch is still readable after later takes (its own bytes).
            self.assertEqual([f.copy() for f in batches[0]], rec.frames[: len(batches[0])])
            # The bulk columns agree with the frames one by one.
            for batch in batches:
                frames = [f.copy() for f in batch]
                cols = batch.columns()
                self.assertEqual(list(cols.list_ids), [f.list_id for f in frames])
                self.assertEqual(list(cols.member_counts), [f.member_count for f in frames])
                self.assertEqual(list(cols.online_counts), [f.online_count for f in frames])
                self.assertEqual(list(cols.session_counts), [len(f.sessions) for f in frames])
                self.assertEqual(list(cols.group_counts), [len(f.groups) for f in frames])
                self.assertEqual(list(cols.op_counts), [len(f.ops) for f in frames])
                self.assertEqual(
                    list(cols.row_counts), [sum(len(op.items) for op in f.ops) for f in frames]
                )
                ops = [op for f in frames for op in f.ops]
                oc = batch.op_columns()
                self.assertEqual(list(oc.kinds), [op.kind for op in ops])
                self.assertEqual(list(oc.indexes), [op.index for op in ops])
                self.assertEqual(list(oc.ends), [op.end for op in ops])
                self.assertEqual(list(oc.item_counts), [len(op.items) for op in ops])
                self.assertEqual(list(batch.all_rows()), [r for op in ops for r in op.items])
                # Signed columns: the same values modulo 2^64.
                plain, signed = batch.all_rows(), batch.all_rows(signed=True)
                self.assertEqual([v % 2**64 for v in signed.groups], list(plain.groups))
                self.assertEqual([v % 2**64 for v in signed.users], list(plain.users))
                self.assertEqual(list(signed.counts), list(plain.counts))
                if any(g >= 2**63 for g in plain.groups):
                    self.assertTrue(any(g < 0 for g in signed.groups))
                for i, f in enumerate(batch):
                    self.assertTrue(f.valid)
                    self.assertEqual(batch[i].copy(), frames[i])
                    self.assertEqual(list(f.all_rows()), [r for op in frames[i].ops for r in op.items])
                    c = f.op_columns()
                    self.assertEqual(list(c.kinds), [op.kind for op in frames[i].ops])
                    for k, op in enumerate(frames[i].ops):
                        self.assertEqual(tuple(f.rows(k)), op.items)
                    with self.assertRaises(IndexError):
                        f.rows(f.op_count)

    def test_switching_and_errors(self) -> None:
        with small_guild(chunk_size=3) as g:
            g.subscribe(1, 0, [(0, 5)])
            g.set_frame_queue(True)
            g.touch(1)
            g.set_frame_queue(False)
            g.touch(1)  # dropped
            self.assertEqual(len(g.take_frames()), 1)
            self.assertEqual(len(g.take_frames()), 0)
            rec = Recorder()
            g.set_frame_queue(True)
            g.set_frame_callback(rec)  # replaces the queue
            g.touch(1)
            self.assertEqual(len(rec.frames), 1)
            self.assertEqual(len(g.take_frames()), 0)
            g.set_frame_queue()  # replaces the callback
            g.touch(1)
            self.assertEqual(len(rec.frames), 1)
            self.assertEqual(len(g.take_frames()), 1)

            def inside(view: FrameView) -> None:
                self.assertStatus(Status.EBUSY, g.set_frame_queue, True)
                rec(view)

            g.set_frame_callback(inside)
            g.touch(1)
            self.assertEqual(len(rec.frames), 2)
        self.assertRaises(Exception, g.take_frames)  # closed
        empty = roster.FrameBatch(b"")
        self.assertEqual((len(empty), list(empty.all_rows()), list(empty.op_columns().kinds)), (0, [], []))
        self.assertEqual(empty.columns().list_ids, ())
        # Malformed records never read past the bytes.
        with small_guild(chunk_size=3) as g:
            g.subscribe(1, 0, [(0, 5)])
            g.set_frame_queue()
            g.touch(1)
            good = bytes(g.take_frames().data)
        self.assertEqual(len(roster.FrameBatch(good)), 1)
        for bad in (good[:-8], good[:32], good + b"\0" * 8, b"\x01" * 7):
            with self.assertRaises(ValueError):
                roster.FrameBatch(bad)
        lying = bytearray(good)
        lying[36] += 1  # one row more than the size says
        with self.assertRaises(ValueError):
            roster.FrameBatch(bytes(lying))

    def test_batch_of_made_records(self) -> None:
        """FrameBatch over records written here (docs/frames.md, "The frame
        queue"): frames with and without sessions, groups, ops and rows,
        cut into columns across record boundaries."""

        def record(list_id, members, online, sessions, groups, ops):
            rows = [r for _op, items in ops for r in items]
            size = 40 + 8 * len(sessions) + 16 * len(groups) + 16 * len(ops) + 24 * len(rows)
            out = struct.pack("=QQIIIIII", size, list_id, members, online, len(sessions),
                              len(groups), len(ops), len(rows))
            out += b"".join(struct.pack("=Q", s) for s in sessions)
            out += b"".join(struct.pack("=QII", gid, count, 0) for gid, count in groups)
            out += b"".join(struct.pack("=IIII", *op, len(items)) for op, items in ops)
            return out + b"".join(struct.pack("=IIQQ", *r) for r in rows)

        offline = 2**64 - 1
        made = [
            record(0, 5, 2, [7], [(offline, 3)], []),  # counts only: no op, no row
            record(1, 6, 3, [7, 8], [], [((1, 4, 4), [(1, 0, offline, 42)])]),
            record(2, 7, 4, [], [], [((4, 2, 2), [])]),  # an op without rows
            record(3, 8, 5, [9], [(5, 1), (offline, 2)],
                   [((0, 0, 1), [(0, 1, 5, 0), (1, 0, 5, 43)]), ((3, 9, 9), [])]),
        ]
        batch = roster.FrameBatch(b"".join(made))
        self.assertEqual(len(batch), 4)
        cols = batch.columns()
        self.assertEqual(cols.list_ids, (0, 1, 2, 3))
        self.assertEqual(cols.op_counts, (0, 1, 1, 2))
        self.assertEqual(cols.row_counts, (0, 1, 0, 2))
        oc = batch.op_columns()
        self.assertEqual([list(c) for c in oc], [[1, 4, 0, 3], [4, 2, 0, 9], [4, 2, 1, 9], [1, 0, 2, 0]])
        rows = batch.all_rows()
        self.assertEqual(list(rows.users), [42, 0, 43])
        self.assertEqual(list(rows.groups), [offline, 5, 5])
        self.assertEqual(list(rows.counts), [0, 1, 0])
        self.assertEqual(list(batch.all_rows(signed=True).groups), [-1, 5, 5])
        self.assertEqual([f.sessions() for f in batch], [(7,), (7, 8), (), (9,)])
        self.assertEqual(list(batch[3].all_rows().users), [0, 43])
        # Only frames without ops or rows: empty columns.
        bare = roster.FrameBatch(made[0] + made[0])
        self.assertEqual((len(bare), list(bare.op_columns().kinds), len(bare.all_rows())), (2, [], 0))
        # A record cut or padded anywhere is refused.
        whole = b"".join(made)
        for bad in (whole[:-24], whole[: len(made[0]) + 40], whole + made[2][:40]):
            with self.assertRaises(ValueError):
                roster.FrameBatch(bad)


class SessionTest(unittest.TestCase, AssertStatus):
    def test_sessions(self) -> None:
        with small_guild(chunk_size=10, max_ranges=2, max_session_lists=1) as g:
            g.subscribe(1, 0, [(15, 3), (40, 45)])
            self.assertEqual(g.session_ranges(1, 0), [(0, 19), (40, 49)])
            self.assertEqual(g.session_ranges(1, 0)[0].end, 19)
            self.assertEqual(g.session_count(), 1)
            g.unsubscribe(1, 0)
            self.assertEqual(g.session_ranges(1, 0), [])
            self.assertEqual(g.session_count(), 1)
            g.remove_session(1)
            self.assertEqual(g.session_count(), 0)
            self.assertStatus(Status.ENOTFOUND, g.session_ranges, 1, 0)
            self.assertStatus(Status.ENOTFOUND, g.remove_session, 1)
            self.assertStatus(Status.EINVAL, g.subscribe, 0, 0, [(0, 1)])
            self.assertStatus(Status.ENOTFOUND, g.subscribe, 1, 42, [(0, 1)])
            self.assertStatus(Status.ELIMIT, g.subscribe, 1, 0, [(0, 1), (20, 21), (40, 41)])
            g.set_list(2)
            g.subscribe(1, 0, [(0, 1)])
            self.assertStatus(Status.ELIMIT, g.subscribe, 1, 2, [(0, 1)])
            with self.assertRaises(ValueError):
                g.subscribe(1, 0, [(-1, 1)])

    def test_many_ranges(self) -> None:
        with small_guild(chunk_size=1, max_ranges=20, max_range_span=1) as g:
            g.subscribe(1, 0, [(i * 2, i * 2) for i in range(20)])
            self.assertEqual(len(g.session_ranges(1, 0)), 20)


class StatsTest(unittest.TestCase):
    def test_stats(self) -> None:
        with small_guild() as g:
            g.set_frame_callback(lambda view: None)
            g.subscribe(1, 0, [(0, 9)])
            s = g.stats()
            self.assertEqual((s.members, s.lists, s.sessions, s.subscriptions), (10, 1, 1, 1))
            self.assertEqual((s.frames, s.deliveries), (1, 1))
            self.assertGreater(s.memory_bytes, 0)
            self.assertGreaterEqual(s.max_flush_ns, s.last_flush_ns)


class SnapshotTest(unittest.TestCase, AssertStatus):
    def frames_after(self, g: Guild) -> List[Frame]:
        rec = Recorder()
        g.set_frame_callback(rec)
        g.set_status(2, Presence.ONLINE)
        g.set_name(5, "aaa")
        return rec.frames

    def test_save_and_load(self) -> None:
        with small_guild(chunk_size=10) as g:
            g.set_list(4, everyone=roster.OVERWRITE_DENY, roles=[(101, True)])
            g.subscribe(1, 0, [(0, 9)])
            g.subscribe(1, 4, [(0, 9)])
            data = g.save()
            self.assertEqual(g.save(roster.SAVE_SESSIONS), data)
            stream = io.BytesIO()
            g.save_to(stream, 0)
            no_sessions = stream.getvalue()
            expected = self.frames_after(g)
        for loaded in (
            Guild.load_buffer(data, chunk_size=10),
            Guild.load(io.BytesIO(data), Config(chunk_size=10)),
            Guild.load_buffer(bytearray(data)),
        ):
            with loaded:
                self.assertEqual(loaded.session_count(), 1)
                self.assertEqual(loaded.stats().frames, 0)
                self.assertEqual(self.frames_after(loaded), expected)
        with Guild.load_buffer(no_sessions) as loaded:
            self.assertEqual(loaded.session_count(), 0)
            self.assertEqual(loaded.member_count(), 10)

    def test_files(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "guild.snapshot")
            with small_guild() as g, open(path, "wb") as out:
                g.save_to(out)
            with open(path, "rb") as f, Guild.load(f) as loaded:
                self.assertEqual(loaded.member_count(), 10)
            with open(path, "rb", buffering=0) as f, Guild.load(f) as loaded:  # short reads
                self.assertEqual(loaded.get_member(3).name, "user03")

    def test_reader_without_readinto(self) -> None:
        with small_guild() as g:
            data = g.save()

        class Reader:
            def __init__(self) -> None:
                self.stream = io.BytesIO(data)

            def read(self, n: int) -> bytes:
                return self.stream.read(min(n, 1000))

        with Guild.load(Reader()) as loaded:  # type: ignore[arg-type]
            self.assertEqual(loaded.member_count(), 10)

    def test_snapshot_errors(self) -> None:
        with small_guild() as g:
            data = g.save()
            self.assertStatus(Status.EINVAL, g.save, 2)
            with g.batch():
                self.assertStatus(Status.EINVAL, g.save)

            class Failing(io.RawIOBase):
                def write(self, b) -> int:
                    raise OSError("disk full")

            with self.assertRaisesRegex(OSError, "disk full"):
                g.save_to(Failing())
        damaged = bytearray(data)
        damaged[len(damaged) // 2] ^= 0xFF
        self.assertStatus(Status.ECORRUPT, Guild.load_buffer, bytes(damaged))
        self.assertStatus(Status.ECORRUPT, Guild.load_buffer, data[: len(data) // 2])
        self.assertStatus(Status.ECORRUPT, Guild.load, io.BytesIO(data[:10]))
        self.assertStatus(Status.ECORRUPT, Guild.load_buffer, b"")
        self.assertStatus(Status.ELIMIT, Guild.load_buffer, data, max_members=5)
        self.assertStatus(Status.EINVAL, Guild.load_buffer, data, chunk_size=0)

        class Broken(io.RawIOBase):
            def readinto(self, b) -> int:
                raise OSError("read failed")

        with self.assertRaisesRegex(OSError, "read failed"):
            Guild.load(Broken())

        class TooMuch:
            def read(self, n: int) -> bytes:
                return b"x" * (n + 1)

        with self.assertRaisesRegex(ValueError, "more bytes"):
            Guild.load(TooMuch())  # type: ignore[arg-type]

        class NotReady(io.RawIOBase):
            def readinto(self, b):
                return None

        with self.assertRaises(BlockingIOError):
            Guild.load(NotReady())


if __name__ == "__main__":
    unittest.main()
