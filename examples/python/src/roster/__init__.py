"""roster: a Python binding of the roster C API (include/roster/roster.h).

Every function the library exports (capi/roster.map, nodes ROSTER_0.1 and
ROSTER_0.2) is reachable from this module's public API: the module-level
functions version(), version_number() and status_str(), and the methods of
Guild. The shared library is loaded with ctypes (standard library only, no
compiled extension); see roster._ffi for how it is found (the
ROSTER_LIBRARY environment variable first).

Conventions:
  - Every failing call raises RosterError, which carries the C status code
    (``err.status``), its name (``err.name``, e.g. "ENOTFOUND") and the
    library's text for it (``err.text``).
  - Ids are Python ints (64-bit unsigned; a value outside that range raises
    ValueError or OverflowError before C is called); names are str (sent as
    UTF-8) or bytes (sent as they are).
  - Ownership is explicit: a Guild owns its roster_guild and destroys it
    exactly once, on close() or at the end of a ``with`` block (or, as a
    fallback, when it is garbage-collected or the interpreter exits).
  - Frames reach the callback as a FrameView, read in place from the C
    memory, which is valid only during the callback: FrameView.copy() makes
    a Frame of plain Python objects to keep.
  - Or frames queue up in the library (Guild.set_frame_queue) and
    Guild.take_frames() returns them all at once as a FrameBatch, copied
    out in one piece: one call per take instead of one per frame, and
    column views over every frame of the batch for bulk readers.
  - A guild is used by one thread at a time (see Guild).
"""

from __future__ import annotations

import contextlib
import enum
import struct
import weakref
from array import array
from dataclasses import dataclass, fields
from typing import (
    Any,
    BinaryIO,
    Callable,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _ffi

__version__ = "0.1.0"

__all__ = [
    "CONFIG_DEFAULTS",
    "Config",
    "Event",
    "EventKind",
    "Frame",
    "FrameBatch",
    "FrameColumns",
    "FrameView",
    "GROUP_OFFLINE",
    "GROUP_ONLINE",
    "Group",
    "Guild",
    "HEADER_VERSION",
    "MemberInfo",
    "MemberSpec",
    "Op",
    "OpColumns",
    "OpKind",
    "OVERWRITE_ALLOW",
    "OVERWRITE_DENY",
    "OVERWRITE_NONE",
    "Presence",
    "Range",
    "ROLE_ADMIN",
    "ROLE_HOIST",
    "ROLE_VIEW",
    "RosterError",
    "Row",
    "RowKind",
    "RowsView",
    "SAVE_SESSIONS",
    "Stats",
    "Status",
    "library_path",
    "status_str",
    "version",
    "version_number",
]

# ---- Constants (roster.h) ---------------------------------------------------

HEADER_VERSION = (0, 1, 0)  # the roster.h this module mirrors

GROUP_ONLINE = 0xFFFFFFFFFFFFFFFE
GROUP_OFFLINE = 0xFFFFFFFFFFFFFFFF

ROLE_HOIST = 1
ROLE_VIEW = 2
ROLE_ADMIN = 4

OVERWRITE_NONE = 0
OVERWRITE_ALLOW = 1
OVERWRITE_DENY = 2

SAVE_SESSIONS = 1  # Guild.save: also write the sessions and what their clients hold

_U64_MAX = 0xFFFFFFFFFFFFFFFF
_U32_MAX = 0xFFFFFFFF


class Status(enum.IntEnum):
    """roster_status: 0 or a negative error code."""

    OK = 0
    EINVAL = -1
    ENOTFOUND = -2
    EEXIST = -3
    ELIMIT = -4
    ENOMEM = -5
    EBUSY = -6
    ECORRUPT = -7
    EVERSION = -8
    EINTERNAL = -9
    EFLUSH = -10  # the change was made; its frames come at the next flush
    EIO = -11  # a snapshot's write or read callback failed


class Presence(enum.IntEnum):
    """roster_presence."""

    OFFLINE = 0
    ONLINE = 1
    IDLE = 2
    DND = 3


class RowKind(enum.IntEnum):
    """ROSTER_ROW_*."""

    HEADER = 0
    MEMBER = 1


class OpKind(enum.IntEnum):
    """ROSTER_OP_*."""

    SYNC = 0
    INSERT = 1
    UPDATE = 2
    DELETE = 3
    INVALIDATE = 4


class EventKind(enum.IntEnum):
    """ROSTER_EVENT_*: the kinds of Guild.apply_events."""

    STATUS = 1
    NAME = 2
    ROLES = 3
    ADD_ROLE = 4
    REMOVE_ROLE = 5
    TOUCH = 6
    ADD = 7
    UPSERT = 8
    REMOVE = 9


# ---- The library, its version and its statuses ---------------------------------

_lib = _ffi.lib
library_path: str = _ffi.path  # what was loaded (see roster._ffi.candidates)


def version() -> str:
    """The version of the loaded library, e.g. "0.1.0"
    (roster_version_string)."""
    return _lib.roster_version_string().decode("ascii")


def version_number() -> int:
    """major * 10000 + minor * 100 + patch of the loaded library
    (roster_version_number)."""
    return _lib.roster_version_number()


def status_str(status: int) -> str:
    """The library's lower-case name of a status ("invalid argument", ...;
    "unknown status" for a value that is not one) (roster_status_str)."""
    return _lib.roster_status_str(status).decode("utf-8", "replace")


class RosterError(Exception):
    """A roster call failed.

    Attributes: ``status`` (the C status code, negative), ``name`` (its
    Status name, e.g. "ENOTFOUND", or "UNKNOWN"), ``text`` (the library's
    roster_status_str), ``call`` (the C function), ``index`` (add_members_at:
    the first failing entry, or the count when the error is not about one
    entry; else None) and ``statuses`` (apply_events with statuses=True
    that raised EFLUSH: every event's status; else None).
    """

    def __init__(
        self,
        status: int,
        call: str = "",
        *,
        index: Optional[int] = None,
        statuses: Optional[List[int]] = None,
    ) -> None:
        self.status = int(status)
        try:
            self.name = Status(self.status).name
        except ValueError:
            self.name = "UNKNOWN"
        self.text = status_str(self.status)
        self.call = call
        self.index = index
        self.statuses = statuses
        where = f"{call}: " if call else ""
        at = f" at index {index}" if index is not None else ""
        super().__init__(f"{where}{self.text} ({self.name}, {self.status}){at}")


# ---- Plain data ----------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """roster_config: a guild's limits and settings, initialised as
    ROSTER_CONFIG_INIT (the defaults below; roster.h gives each bound).

    The struct's size and reserved fields are filled by the binding. Its
    allocator hooks (roster_allocator, since 0.2) are not exposed: a guild
    made by this binding always uses the C and C++ runtimes' allocator,
    since a Python allocator would run inside every engine call and must
    never call back into roster."""

    offline_threshold: int = 1000
    everyone_view: int = 1
    max_members: int = 67108864
    max_roles: int = 1000
    max_roles_per_member: int = 256
    max_lists: int = 256
    max_overwrites: int = 1000
    max_sort_key_bytes: int = 256
    chunk_size: int = 100
    max_ranges: int = 3
    max_range_span: int = 300
    max_session_lists: int = 5
    max_sessions: int = 1048576
    # 1: a DELETE for every row that leaves the end of the list inside a
    # held chunk, for clients that never resize their rows.
    tail_deletes: int = 0


# ROSTER_CONFIG_INIT is a macro, so its values are repeated here (size aside).
CONFIG_DEFAULTS = {f.name: f.default for f in fields(Config)}


class Group(NamedTuple):
    """roster_group: a section that appears in a list."""

    id: int  # a hoisted role's id, GROUP_ONLINE or GROUP_OFFLINE
    count: int  # members in it


class Row(NamedTuple):
    """roster_row: a group's header or a member."""

    kind: int  # RowKind
    count: int  # header: members in its group; member: 0
    group: int  # a role id or GROUP_*
    user: int  # member: its user id; header: 0


class Op(NamedTuple):
    """roster_op (a copy)."""

    kind: int  # OpKind
    index: int
    end: int
    items: Tuple[Row, ...]  # SYNC: the rows that exist; INSERT/UPDATE: one row


class Range(NamedTuple):
    """roster_range: rows start..end, both included."""

    start: int
    end: int


class OpColumns(NamedTuple):
    """The ops of a FrameView as columns (memoryviews of unsigned 32-bit
    ints, one entry per op, in order), read in place."""

    kinds: memoryview
    indexes: memoryview
    ends: memoryview
    item_counts: memoryview


@dataclass(frozen=True)
class Frame:
    """One frame (a copy: FrameView.copy()), for every session in
    ``sessions`` (in delivery order)."""

    list_id: int
    sessions: Tuple[int, ...]
    member_count: int
    online_count: int
    groups: Tuple[Group, ...]
    ops: Tuple[Op, ...]


@dataclass(frozen=True)
class Stats:
    """roster_stats: a guild's counters and sizes, for monitoring. The
    counters count from the guild's creation; a loaded guild's start at 0."""

    members: int  # members in the guild
    lists: int  # lists, list 0 included
    sessions: int  # as Guild.session_count()
    subscriptions: int  # distinct subscriptions (each gets one frame per flush)
    chunks_held: int  # chunks some session holds, over all lists
    memory_bytes: int  # bytes the guild holds, by its own accounting (not the RSS)
    flushes: int  # flushes run
    frames: int  # frames delivered: calls of the frame callback
    deliveries: int  # frames x the sessions each was for
    ops: int  # ops in the delivered frames (once per frame)
    rows: int  # rows (items) in the delivered frames (once per frame)
    last_flush_ns: int  # the last flush's duration, the callback's time included
    max_flush_ns: int  # the longest flush


@dataclass(frozen=True)
class MemberInfo:
    """roster_member_get: a member's data (a copy)."""

    id: int
    name: str
    status: int  # Presence
    group: int  # its group: a role id or GROUP_*
    roles: Tuple[int, ...]  # ascending ids


class MemberSpec(NamedTuple):
    """roster_member_spec: one new member of Guild.add_members. Plain
    (id, name, roles, status) tuples are accepted as well."""

    id: int
    name: Union[str, bytes]
    roles: Sequence[int] = ()
    status: int = Presence.OFFLINE


class Event(NamedTuple):
    """roster_event: one member event of Guild.apply_events. Make them with
    the constructors (Event.set_status(1001, Presence.ONLINE), ...); kind
    says which fields are read, as in roster.h."""

    kind: int  # EventKind
    user_id: int
    status: int = 0  # STATUS, ADD, UPSERT
    name: Union[str, bytes, None] = None  # NAME, ADD, UPSERT
    roles: Sequence[int] = ()  # ROLES, ADD, UPSERT
    role_id: int = 0  # ADD_ROLE, REMOVE_ROLE

    @staticmethod
    def set_status(user_id: int, status: int) -> "Event":
        return Event(EventKind.STATUS, user_id, status=status)

    @staticmethod
    def set_name(user_id: int, name: Union[str, bytes]) -> "Event":
        return Event(EventKind.NAME, user_id, name=name)

    @staticmethod
    def set_roles(user_id: int, roles: Sequence[int]) -> "Event":
        return Event(EventKind.ROLES, user_id, roles=roles)

    @staticmethod
    def add_role(user_id: int, role_id: int) -> "Event":
        return Event(EventKind.ADD_ROLE, user_id, role_id=role_id)

    @staticmethod
    def remove_role(user_id: int, role_id: int) -> "Event":
        return Event(EventKind.REMOVE_ROLE, user_id, role_id=role_id)

    @staticmethod
    def touch(user_id: int) -> "Event":
        return Event(EventKind.TOUCH, user_id)

    @staticmethod
    def add(
        user_id: int,
        name: Union[str, bytes],
        roles: Sequence[int] = (),
        status: int = Presence.OFFLINE,
    ) -> "Event":
        return Event(EventKind.ADD, user_id, status=status, name=name, roles=roles)

    @staticmethod
    def upsert(
        user_id: int,
        name: Union[str, bytes],
        roles: Sequence[int] = (),
        status: int = Presence.OFFLINE,
    ) -> "Event":
        return Event(EventKind.UPSERT, user_id, status=status, name=name, roles=roles)

    @staticmethod
    def remove(user_id: int) -> "Event":
        return Event(EventKind.REMOVE, user_id)


# ---- Reading C memory ----------------------------------------------------------

_memory = _ffi.memory.toreadonly()  # [address:address + size]: C memory, in place
_writable = _ffi.memory  # the same, writable (for the snapshot read callback)
_string_at = _ffi.string_at
_unpack_frame = struct.Struct("<QIIQQQQ").unpack_from  # roster_frame
_ROW = 24  # sizeof(roster_row)
_OP = 24  # sizeof(roster_op)
_GROUP = 16  # sizeof(roster_group)
_EVENT = 56  # sizeof(roster_event)
_SPEC = 48  # sizeof(roster_member_spec)
_EMPTY_U32 = memoryview(b"").cast("I")
_EMPTY_U64 = memoryview(b"").cast("Q")


_NO_OPS = OpColumns(_EMPTY_U32, _EMPTY_U32, _EMPTY_U32, _EMPTY_U32)


def _expired() -> None:
    raise ValueError("a FrameView is valid only during its frame callback")


def _known(enum_type, value: int) -> int:
    """The enum member for value, or value itself when this module does not
    know it (a newer library)."""
    try:
        return enum_type(value)
    except ValueError:
        return value


class RowsView:
    """Rows (roster_row) as four columns of memoryviews, in order:
    ``kinds`` and ``counts`` (unsigned 32-bit), ``groups`` and ``users``
    (unsigned 64-bit). Reading a column element makes an int; no object is
    made per row unless you index or iterate (which give Row tuples).

    From FrameView.rows() the columns point into the frame's C memory and
    are released when the callback returns (reading them later raises
    ValueError: copy what you keep, e.g. with list()); from
    FrameView.all_rows() and Guild.list_rows() they are backed by a buffer
    of their own and stay valid.
    """

    __slots__ = ("kinds", "counts", "groups", "users")

    def __init__(self, data: Union[bytes, bytearray, memoryview], signed: bool = False) -> None:
        """data: the rows' bytes (roster_row's layout, 24 bytes a row).
        signed: groups and users read as signed 64-bit values (a value v
        of 2^63 or more reads as v - 2^64: the same modulo 2^64). Bulk
        arithmetic on them is then about twice as fast, since
        GROUP_ONLINE and GROUP_OFFLINE read as -2 and -1, small ints,
        instead of 64-bit ones."""
        if len(data):
            data = memoryview(data)
            q = data.cast("q" if signed else "Q")
            u = data.cast("I")
            self.kinds = u[0::6]
            self.counts = u[1::6]
            self.groups = q[1::3]
            self.users = q[2::3]
        else:
            self.kinds = self.counts = _EMPTY_U32
            self.groups = self.users = _EMPTY_U64

    def __len__(self) -> int:
        return len(self.users)

    def __getitem__(self, j: int) -> Row:
        return Row(
            _known(RowKind, self.kinds[j]), self.counts[j], self.groups[j], self.users[j]
        )

    def __iter__(self) -> Iterator[Row]:
        kinds = [_known(RowKind, k) for k in self.kinds]
        return map(Row, kinds, self.counts, self.groups, self.users)


class FrameView:
    """One frame as the library delivered it (roster_frame), read in place:
    valid only during the frame callback.

    Scalars are plain attributes: list_id, member_count, online_count,
    session_count, group_count, op_count. The arrays are read through the
    accessors, none of which makes a Python object per row:
    op_columns() (the ops as columns) and rows(i) (the items of op i as
    columns) are memoryviews over the C arrays; all_rows() copies the items
    of every op into one buffer in a single step. sessions() and groups()
    return small tuples; op(i) and copy() make plain Python objects to keep.

    When the callback returns, every accessor raises ValueError and the
    memoryviews they returned are released (reading them raises
    ValueError). Memoryviews you derive from those yourself (slices, casts)
    are not tracked: do not keep them past the callback.
    """

    __slots__ = (
        "list_id",
        "member_count",
        "online_count",
        "session_count",
        "group_count",
        "op_count",
        "_sessions",
        "_groups",
        "_ops",
        "_views",
        "_live",
    )

    def __init__(self, address: int, sessions: int, session_count: int) -> None:
        (
            self.list_id,
            self.member_count,
            self.online_count,
            self._groups,
            self.group_count,
            self._ops,
            self.op_count,
        ) = _unpack_frame(_memory, address)
        self._sessions = sessions
        self.session_count = session_count
        self._views: list = []
        self._live = True

    def _check(self) -> None:
        if not self._live:
            _expired()

    @property
    def valid(self) -> bool:
        """True during the callback that received it."""
        return self._live

    def sessions(self) -> Tuple[int, ...]:
        """The ids of the sessions the frame is for, in delivery order."""
        self._check()
        if not self.session_count:
            return ()
        a = self._sessions
        return tuple(_memory[a : a + 8 * self.session_count].cast("Q"))

    def groups(self) -> Tuple[Group, ...]:
        """Every group that appears in the list, in order (copied: there
        are at most the hoisted roles + 2)."""
        self._check()
        if not self.group_count:
            return ()
        a = self._groups
        m = _memory[a : a + _GROUP * self.group_count]
        return tuple(map(Group, m.cast("Q")[0::2], m.cast("I")[2::4]))

    def op_columns(self) -> OpColumns:
        """The ops as columns (kinds, indexes, ends, item_counts), read in
        place; empty columns when the frame has no ops."""
        if not self._live:
            _expired()
        n = self.op_count
        if not n:
            return _NO_OPS
        a = self._ops
        u = _memory[a : a + _OP * n].cast("I")
        cols = OpColumns(u[0::6], u[1::6], u[2::6], u[3::6])
        self._views += cols
        return cols

    def _items(self, i: int) -> Tuple[int, int]:
        """(address, count) of op i's items."""
        if not 0 <= i < self.op_count:
            raise IndexError(f"op index {i} out of range (op_count {self.op_count})")
        a = self._ops + _OP * i
        q = _memory[a : a + _OP].cast("Q")
        return q[2], q[1] >> 32  # items, item_count (the high half of word 1)

    def rows(self, i: int) -> RowsView:
        """The items of op i (0 <= i < op_count) as a RowsView over the C
        memory: a SYNC's rows, the one row of an INSERT or UPDATE, none for
        DELETE and INVALIDATE."""
        self._check()
        address, count = self._items(i)
        if not count:
            return RowsView(b"")
        rows = RowsView(_memory[address : address + _ROW * count])
        self._views += (rows.kinds, rows.counts, rows.groups, rows.users)
        return rows

    def all_rows(self, signed: bool = False) -> RowsView:
        """The items of every op, in op order, copied into one buffer with a
        single join of the C arrays (no object per row): a RowsView that
        stays valid after the callback. The fastest way to read every row
        of a frame; op_columns().item_counts says which rows belong to
        which op. signed: as RowsView."""
        if not self._live:
            _expired()
        n = self.op_count
        if not n:
            return RowsView(b"")
        a = self._ops
        ops = _memory[a : a + _OP * n]
        m = _memory
        data = b"".join(
            [m[p : p + _ROW * c] for p, c in zip(ops.cast("Q")[2::3], ops.cast("I")[3::6]) if c]
        )
        return RowsView(data, signed)

    def op(self, i: int) -> Op:
        """Op i, copied with its items."""
        self._check()
        address, count = self._items(i)
        a = self._ops + _OP * i
        kind, index, end = _memory[a : a + 12].cast("I")
        rows = RowsView(_memory[address : address + _ROW * count]) if count else None
        items = tuple(rows) if rows is not None else ()
        return Op(_known(OpKind, kind), index, end, items)

    def copy(self) -> Frame:
        """The whole frame as plain Python objects, valid after the callback."""
        self._check()
        return Frame(
            self.list_id,
            self.sessions(),
            self.member_count,
            self.online_count,
            self.groups(),
            tuple(self.op(i) for i in range(self.op_count)),
        )

    def _end(self) -> None:
        """Called when the callback returns: nothing may read the C memory
        through this view, or the memoryviews it handed out, any more."""
        self._live = False
        views = self._views
        if views:
            for view in views:
                view.release()
            self._views = []


# ---- The frame queue ---------------------------------------------------------------

# A queue record (docs/frames.md, "The frame queue"): size, list_id,
# member_count, online_count, session/group/op/row counts; native order.
_record_head = struct.Struct("=QQIIIIII").unpack_from
_RECORD_HEAD = 40
_RECORD_OP = 16


class FrameColumns(NamedTuple):
    """The scalars of every frame of a FrameBatch, as columns in frame
    order (tuples of ints)."""

    list_ids: Tuple[int, ...]
    member_counts: Tuple[int, ...]
    online_counts: Tuple[int, ...]
    session_counts: Tuple[int, ...]
    group_counts: Tuple[int, ...]
    op_counts: Tuple[int, ...]
    row_counts: Tuple[int, ...]


class QueuedFrame:
    """One frame of a FrameBatch: the reading API of FrameView (the same
    attributes and methods), over the batch's own bytes, so it stays valid
    as long as you keep it."""

    __slots__ = (
        "list_id",
        "member_count",
        "online_count",
        "session_count",
        "group_count",
        "op_count",
        "row_count",
        "_data",
        "_at",
    )

    def __init__(self, data: memoryview, at: int, head: Tuple[int, ...]) -> None:
        (
            _size,
            self.list_id,
            self.member_count,
            self.online_count,
            self.session_count,
            self.group_count,
            self.op_count,
            self.row_count,
        ) = head
        self._data = data
        self._at = at

    @property
    def valid(self) -> bool:
        """Always True: the frame is backed by the batch's bytes."""
        return True

    def _sessions_at(self) -> int:
        return self._at + _RECORD_HEAD

    def _groups_at(self) -> int:
        return self._sessions_at() + 8 * self.session_count

    def _ops_at(self) -> int:
        return self._groups_at() + _GROUP * self.group_count

    def _rows_at(self) -> int:
        return self._ops_at() + _RECORD_OP * self.op_count

    def sessions(self) -> Tuple[int, ...]:
        """The ids of the sessions the frame is for, in delivery order."""
        a = self._sessions_at()
        return tuple(self._data[a : a + 8 * self.session_count].cast("Q"))

    def groups(self) -> Tuple[Group, ...]:
        """Every group that appears in the list, in order."""
        if not self.group_count:
            return ()
        a = self._groups_at()
        m = self._data[a : a + _GROUP * self.group_count]
        return tuple(map(Group, m.cast("Q")[0::2], m.cast("I")[2::4]))

    def op_columns(self) -> OpColumns:
        """The ops as columns (kinds, indexes, ends, item_counts)."""
        n = self.op_count
        if not n:
            return _NO_OPS
        a = self._ops_at()
        u = self._data[a : a + _RECORD_OP * n].cast("I")
        return OpColumns(u[0::4], u[1::4], u[2::4], u[3::4])

    def _items(self, i: int) -> Tuple[int, int]:
        """(offset, count) of op i's rows in the batch's bytes."""
        if not 0 <= i < self.op_count:
            raise IndexError(f"op index {i} out of range (op_count {self.op_count})")
        counts = self.op_columns().item_counts
        return self._rows_at() + _ROW * sum(counts[:i]), counts[i]

    def rows(self, i: int) -> RowsView:
        """The items of op i (0 <= i < op_count), as FrameView.rows."""
        at, count = self._items(i)
        return RowsView(self._data[at : at + _ROW * count]) if count else RowsView(b"")

    def all_rows(self, signed: bool = False) -> RowsView:
        """The items of every op, in op order (they are contiguous here: no
        copy). signed: as RowsView."""
        a = self._rows_at()
        return RowsView(self._data[a : a + _ROW * self.row_count], signed)

    def op(self, i: int) -> Op:
        """Op i, copied with its items."""
        at, count = self._items(i)
        a = self._ops_at() + _RECORD_OP * i
        kind, index, end = self._data[a : a + 12].cast("I")
        items = tuple(RowsView(self._data[at : at + _ROW * count])) if count else ()
        return Op(_known(OpKind, kind), index, end, items)

    def copy(self) -> Frame:
        """The whole frame as plain Python objects."""
        return Frame(
            self.list_id,
            self.sessions(),
            self.member_count,
            self.online_count,
            self.groups(),
            tuple(self.op(i) for i in range(self.op_count)),
        )


class FrameBatch:
    """The frames of one Guild.take_frames(), in delivery order, over one
    bytes object copied out of the library (so the batch, and every frame
    and view taken from it, stays valid as long as you keep it).

    Iterate it (or index it) for QueuedFrame objects, which read like a
    FrameView. For bulk readers, columns() gives every frame's scalars and
    op_columns() / all_rows() the ops and rows of all frames at once, each
    in a single step with no Python object per op or row.

    The records are checked when the batch is made: a size that disagrees
    with its counts or overruns the buffer raises ValueError."""

    __slots__ = ("data", "_heads", "_starts", "_op_starts", "_row_starts")

    def __init__(self, data: bytes) -> None:
        end = len(data)
        if end % 8:
            raise ValueError(f"a frame queue of {end} bytes (not whole records)")
        view = memoryview(data)
        heads: List[Tuple[int, ...]] = []
        starts: List[int] = []
        op_starts: List[int] = []
        row_starts: List[int] = []
        add_head = heads.append
        add_start = starts.append
        add_op = op_starts.append
        add_row = row_starts.append
        at = 0
        head = _record_head
        # One walk over the records: each head is read once, and where its
        # ops and rows start is kept, so that op_columns() and all_rows()
        # cut the batch without a Python step per frame. A record's parts
        # must end exactly at its size, and the last record at the end.
        try:
            while at < end:
                h = head(view, at)
                o = at + 40 + 8 * h[4] + 16 * h[5]
                r = o + 16 * h[6]
                if r + 24 * h[7] != at + h[0]:
                    raise ValueError(f"a malformed frame queue record at byte {at}")
                add_head(h)
                add_start(at)
                add_op(o)
                add_row(r)
                at += h[0]
        except struct.error:
            raise ValueError(f"a frame queue record at byte {at} is cut short") from None
        if at != end:
            raise ValueError(f"a malformed frame queue record at byte {starts[-1]}: it overruns the bytes")
        self.data = view  #: the records' bytes (docs/frames.md, "The frame queue")
        self._heads = heads
        self._starts = starts
        self._op_starts = op_starts
        self._row_starts = row_starts

    def __len__(self) -> int:
        return len(self._heads)

    def __getitem__(self, i: int) -> QueuedFrame:
        return QueuedFrame(self.data, self._starts[i], self._heads[i])

    def __iter__(self) -> Iterator[QueuedFrame]:
        data = self.data
        return (QueuedFrame(data, at, h) for at, h in zip(self._starts, self._heads))

    def columns(self) -> FrameColumns:
        """Every frame's list id, counts and sizes, as columns."""
        if not self._heads:
            return FrameColumns((), (), (), (), (), (), ())
        cols = tuple(zip(*self._heads))
        return FrameColumns(*cols[1:])

    def op_columns(self) -> OpColumns:
        """The ops of every frame, in order, as columns (kinds, indexes,
        ends, item_counts) over one buffer (one join of the records' op
        arrays)."""
        if not self._heads:
            return _NO_OPS
        m = self.data
        # A record's ops end where its rows start; map() cuts every record
        # at C speed (no Python step per frame).
        u = memoryview(b"".join(map(m.__getitem__, map(slice, self._op_starts, self._row_starts))))
        if not len(u):
            return _NO_OPS
        u = u.cast("I")
        return OpColumns(u[0::4], u[1::4], u[2::4], u[3::4])

    def all_rows(self, signed: bool = False) -> RowsView:
        """The rows of every op of every frame, in order, over one buffer
        (one join of the records' row arrays). signed: as RowsView."""
        if not self._heads:
            return RowsView(b"", signed)
        m = self.data
        # A record's rows end it: they run to the next record's start.
        ends = self._starts[1:]
        ends.append(len(m))
        return RowsView(b"".join(map(m.__getitem__, map(slice, self._row_starts, ends))), signed)


FrameCallback = Callable[[FrameView], None]
RangeLike = Tuple[int, int]

# ---- Argument helpers ----------------------------------------------------------


def _u64(value: int, what: str = "id") -> int:
    # ctypes would silently wrap a negative or too large int.
    if not 0 <= value <= _U64_MAX:
        raise ValueError(f"{what} out of the 64-bit unsigned range: {value}")
    return value


def _u32(value: int, what: str) -> int:
    if not 0 <= value <= _U32_MAX:
        raise ValueError(f"{what} out of the 32-bit unsigned range: {value}")
    return value


def _text(name: Union[str, bytes]) -> bytes:
    """A name as the bytes C receives: str as UTF-8, bytes-like as is."""
    if isinstance(name, str):
        return name.encode("utf-8")
    return bytes(name)


def _ids(ids: Sequence[int]) -> Tuple[array, Optional[int], int]:
    """(keep-alive array, address or None, count) for a uint64_t pointer +
    count pair. array("Q") refuses ids outside the 64-bit range."""
    arr = array("Q", ids)
    if not arr:
        return arr, None, 0
    return arr, arr.buffer_info()[0], len(arr)


def _as_array(typecode: str, values: Sequence[int]) -> array:
    """values as an array of typecode: itself when it is one already (no
    copy), else converted (which checks the range of every value)."""
    if isinstance(values, array) and values.typecode == typecode:
        return values
    return array(typecode, values)


def _address(buffer: Union[bytearray, array]) -> int:
    """The address of a writable buffer's first byte (it must not be
    resized while C uses it)."""
    if isinstance(buffer, array):
        return buffer.buffer_info()[0]
    return _ffi.addressof(_ffi.c_char.from_buffer(buffer))


def _config(config: Optional[Config], overrides: Mapping[str, int]) -> _ffi.RosterConfig:
    """A roster_config: config (None: the defaults) with overrides applied.
    The allocator hooks stay NULL."""
    unknown = set(overrides) - set(CONFIG_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    base = config if config is not None else Config()
    cfg = _ffi.RosterConfig(size=_ffi.sizeof(_ffi.RosterConfig))
    for name in CONFIG_DEFAULTS:
        value = overrides.get(name, getattr(base, name))
        setattr(cfg, name, _u32(value, name))
    return cfg


def _overwrites(pairs: Iterable[Tuple[int, bool]]):
    pairs = [(_u64(i), 1 if allow else 0) for i, allow in pairs]
    if not pairs:
        return None, 0
    return (_ffi.RosterOverwrite * len(pairs))(*pairs), len(pairs)


class _Packed:
    """Names and role arrays of many entries packed into two buffers, so
    that one C array of structs can point into them (one FFI crossing for
    the whole array). Offsets are computed first, addresses at the end."""

    def __init__(self) -> None:
        self.names: List[bytes] = []
        self.name_at: List[int] = []
        self.name_len: List[int] = []
        self.roles = array("Q")
        self.roles_at: List[int] = []
        self.role_count: List[int] = []
        self._text_size = 0

    def add(self, name: Union[str, bytes, None], roles: Sequence[int]) -> None:
        data = _text(name) if name is not None else b""
        self.names.append(data)
        self.name_at.append(self._text_size)
        self.name_len.append(len(data))
        self._text_size += len(data)
        self.roles_at.append(len(self.roles))
        self.roles.extend(roles)  # OverflowError outside the 64-bit range
        self.role_count.append(len(roles))

    def pointers(self) -> Tuple[bytearray, array, array]:
        """(text buffer, name pointers, role pointers); keep the text
        buffer and self.roles alive while C reads them. A role pointer is
        NULL where the entry has no roles."""
        text = bytearray(b"".join(self.names))
        base = _address(text) if text else 0
        name_ptrs = array("Q", [base + at for at in self.name_at])
        if self.roles:
            rbase = self.roles.buffer_info()[0]
            role_ptrs = array(
                "Q",
                [rbase + 8 * at if n else 0 for at, n in zip(self.roles_at, self.role_count)],
            )
        else:
            role_ptrs = array("Q", bytes(8 * len(self.role_count)))
        return text, name_ptrs, role_ptrs


class _Delivery:
    """What the frame trampoline shares with its Guild (and not the Guild
    itself, so that no reference cycle keeps a guild alive): an exception
    the callback raised, and whether a callback is running."""

    __slots__ = ("pending", "inside")

    def __init__(self) -> None:
        self.pending: Optional[BaseException] = None
        self.inside = False


def _trampoline(state: _Delivery, callback: FrameCallback):
    """The C frame callback for one guild: hands a FrameView to the user's
    callback, ends it when the callback returns, and never lets an
    exception unwind through C (it is kept in state.pending and re-raised
    by the guild call that delivered the frame; the frames after it in that
    call are dropped)."""

    def on_frame(frame, sessions, session_count, _user_data):
        if state.pending is not None:
            return
        view = FrameView(frame, sessions, session_count)
        state.inside = True
        try:
            callback(view)
        except BaseException as exc:  # nothing may unwind through C
            state.pending = exc
        state.inside = False
        view._end()

    return _ffi.FRAME_FN(on_frame)


# Bound once: a lookup per call on the hot paths is measurable.
_set_status = _lib.roster_member_set_status
_events_apply = _lib.roster_events_apply


# ---- The guild ------------------------------------------------------------------


class _GuildOut(_ffi.ctypes.c_void_p):
    """The roster_guild ** out-parameter of create and load."""


class Guild:
    """A roster_guild: its roles, members, lists and sessions.

    Ownership: the Guild owns the C guild and destroys it exactly once
    (roster_guild_destroy), on close() or at the end of a ``with`` block;
    as a fallback, when the Guild is garbage-collected or at interpreter
    exit. After close() every method raises ValueError.

    Threads: a guild is used by one thread at a time: calls on one guild
    must not overlap, and the binding does not lock. The GIL does not
    serialise them: ctypes releases it for the duration of every C call
    (and the frame callback takes it back), so two threads calling one
    guild would run inside the engine at once. Distinct guilds are
    independent and may be driven from different threads in parallel.
    """

    def __init__(self, config: Optional[Config] = None, **fields: int) -> None:
        """Creates an empty guild (roster_guild_create) with config (a
        Config; None: ROSTER_CONFIG_INIT's defaults), whose fields the
        keyword arguments override (e.g. chunk_size=10). Raises RosterError
        EINVAL for a config the library refuses, ENOMEM."""
        cfg = _config(config, fields)
        handle = _GuildOut()
        status = _lib.roster_guild_create(_ffi.byref(handle), _ffi.byref(cfg))
        if status != Status.OK:
            raise RosterError(status, "roster_guild_create")
        self._adopt(handle.value)

    @classmethod
    def load(
        cls, source: BinaryIO, config: Optional[Config] = None, **fields: int
    ) -> "Guild":
        """A guild loaded from a snapshot read from source, a binary file
        object, through the library's read callback (roster_guild_load):
        source.readinto() fills the library's buffer directly (source.read()
        is used when there is no readinto). config and the keyword arguments
        give the limits as for Guild(); the settings (offline_threshold,
        everyone_view, chunk_size) come from the snapshot. The guild has no
        frame callback; loading delivers no frame. Raises RosterError:
        ECORRUPT (damaged or truncated bytes), EVERSION, ELIMIT (the snapshot
        exceeds a limit of the config), EINVAL, ENOMEM; an exception raised
        by source is re-raised as it is (the C call returned EIO)."""
        cfg = _config(config, fields)
        failure: List[BaseException] = []
        readinto = getattr(source, "readinto", None)

        def read(buf, cap, got, _user_data):
            try:
                if readinto is not None:
                    n = readinto(_writable[buf : buf + cap]) if cap else 0
                    if n is None:
                        raise BlockingIOError("the snapshot source has no data ready")
                else:
                    data = source.read(cap)
                    n = len(data)
                    if n > cap:
                        raise ValueError("read() returned more bytes than asked for")
                    _ffi.memmove(buf, data, n)
                got[0] = n
            except BaseException as exc:  # nothing may unwind through C
                failure.append(exc)
                return -1
            return 0

        c_fn = _ffi.READ_FN(read)  # alive until the call returns
        handle = _GuildOut()
        status = _lib.roster_guild_load(_ffi.byref(handle), _ffi.byref(cfg), c_fn, None)
        if status != Status.OK:
            if failure and status == Status.EIO:
                raise failure[0]
            raise RosterError(status, "roster_guild_load")
        guild = cls.__new__(cls)
        guild._adopt(handle.value)
        return guild

    @classmethod
    def load_buffer(
        cls, data: bytes, config: Optional[Config] = None, **fields: int
    ) -> "Guild":
        """A guild loaded from a snapshot in memory (roster_guild_load_buffer;
        data, any bytes-like object, is not kept). As load() otherwise."""
        cfg = _config(config, fields)
        data = bytes(data)
        handle = _GuildOut()
        status = _lib.roster_guild_load_buffer(
            _ffi.byref(handle), _ffi.byref(cfg), data, len(data)
        )
        if status != Status.OK:
            raise RosterError(status, "roster_guild_load_buffer")
        guild = cls.__new__(cls)
        guild._adopt(handle.value)
        return guild

    def _adopt(self, handle: int) -> None:
        """Takes ownership of a guild the library made."""
        self._h: Optional[int] = handle
        self._delivery = _Delivery()
        # The CFUNCTYPE object of the frame callback: C holds only a raw
        # pointer to it, so this reference keeps it alive while the guild may
        # call it. (Destroying the guild never calls it.)
        self._c_callback = None
        # Destroys the guild on close(), or when the Guild is collected or
        # the interpreter exits without close(); runs at most once.
        self._finalizer = weakref.finalize(self, _lib.roster_guild_destroy, handle)

    # -- lifetime

    def close(self) -> None:
        """Destroys the guild (roster_guild_destroy). Safe to call more than
        once: only the first call frees it. Not allowed inside the frame
        callback (RosterError EBUSY)."""
        if self._delivery.inside:
            raise RosterError(Status.EBUSY, "roster_guild_destroy")
        self._h = None
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self) -> "Guild":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _fail(self, status: int, call: str, **extra: Any) -> None:
        """After a C call that returned status (not OK) or during which the
        frame callback raised: raises the callback's exception first (the
        call's change stands), else the error."""
        delivery = self._delivery
        if delivery.pending is not None:
            pending, delivery.pending = delivery.pending, None
            raise pending
        if status == Status.OK:
            return
        if self._h is None:
            raise ValueError("the guild is closed")
        raise RosterError(status, call, **extra)

    def _call(self, name: str, *args: Any) -> None:
        """Calls roster_<name>(guild, *args) and checks its status."""
        status = getattr(_lib, name)(self._h, *args)
        if status or self._delivery.pending is not None:
            self._fail(status, name)

    def _query(self, name: str, outs: Sequence[Any], *after: Any) -> None:
        """Calls a query roster_<name>(*outs, guild, *after): its
        out-parameters (ctypes objects, passed by reference) come first."""
        status = getattr(_lib, name)(*(_ffi.byref(o) for o in outs), self._h, *after)
        if status:
            self._fail(status, name)

    # -- guild settings

    def set_everyone_view(self, view: bool) -> None:
        """Whether @everyone may VIEW the guild
        (roster_guild_set_everyone_view)."""
        self._call("roster_guild_set_everyone_view", 1 if view else 0)

    def set_offline_threshold(self, threshold: int) -> None:
        """Offline members are shown while the guild has fewer members than
        threshold (roster_guild_set_offline_threshold)."""
        self._call("roster_guild_set_offline_threshold", _u32(threshold, "threshold"))

    def member_count(self) -> int:
        """Members in the guild (roster_guild_member_count)."""
        out = _ffi.c_uint32()
        self._query("roster_guild_member_count", [out])
        return out.value

    # -- batches and flushing

    def batch_begin(self) -> None:
        """Opens a batch, or a nested level of one (roster_batch_begin)."""
        self._call("roster_batch_begin")

    def batch_commit(self) -> None:
        """Closes a batch level; the outermost commit delivers the batch's
        frames (roster_batch_commit)."""
        self._call("roster_batch_commit")

    @contextlib.contextmanager
    def batch(self) -> Iterator["Guild"]:
        """``with guild.batch(): ...``: the events inside form one batch,
        committed at the end of the block (even when it raises)."""
        self.batch_begin()
        try:
            yield self
        finally:
            self.batch_commit()

    def flush(self) -> None:
        """Delivers the frames of everything not delivered yet; after an
        EFLUSH this resynchronises the sessions (roster_guild_flush).
        Raises EINVAL inside a batch, EBUSY inside the frame callback."""
        self._call("roster_guild_flush")

    # -- roles

    def upsert_role(self, role_id: int, position: int, flags: int = 0) -> None:
        """Creates the role or replaces its settings (flags: ROLE_*)
        (roster_role_upsert)."""
        role = _ffi.RosterRole(_u64(role_id), position, _u32(flags, "flags"))
        self._call("roster_role_upsert", _ffi.addressof(role))

    def remove_role(self, role_id: int) -> None:
        """Removes the role from the guild and every member
        (roster_role_remove)."""
        self._call("roster_role_remove", _u64(role_id))

    def reorder_roles(
        self, positions: Union[Mapping[int, int], Iterable[Tuple[int, int]]]
    ) -> None:
        """Sets the positions of many roles at once: {role_id: position} or
        (role_id, position) pairs (roster_roles_reorder)."""
        pairs = list(positions.items() if isinstance(positions, Mapping) else positions)
        ids = array("Q", [i for i, _ in pairs])
        pos = array("i", [p for _, p in pairs])
        if not pairs:
            self._call("roster_roles_reorder", None, None, 0)
            return
        self._call(
            "roster_roles_reorder", ids.buffer_info()[0], pos.buffer_info()[0], len(pairs)
        )

    # -- members, one at a time

    def add_member(
        self,
        user_id: int,
        name: Union[str, bytes],
        roles: Sequence[int] = (),
        status: int = Presence.OFFLINE,
    ) -> None:
        """Adds a member (roster_member_add); EEXIST if it exists."""
        self._member_call("roster_member_add", user_id, name, roles, status)

    def upsert_member(
        self,
        user_id: int,
        name: Union[str, bytes],
        roles: Sequence[int] = (),
        status: int = Presence.OFFLINE,
    ) -> None:
        """Like add_member, but replaces the data of an existing member
        (roster_member_upsert)."""
        self._member_call("roster_member_upsert", user_id, name, roles, status)

    def _member_call(
        self, fn: str, user_id: int, name: Union[str, bytes], roles: Sequence[int], status: int
    ) -> None:
        data = _text(name)
        _keep, address, count = _ids(roles)
        self._call(fn, _u64(user_id), data, len(data), address, count, status)

    def remove_member(self, user_id: int) -> None:
        """Removes the member from the guild and every list
        (roster_member_remove)."""
        self._call("roster_member_remove", _u64(user_id))

    def set_status(self, user_id: int, status: int) -> None:
        """Sets the member's status, a Presence (roster_member_set_status)."""
        if not 0 <= user_id <= _U64_MAX:
            _u64(user_id)
        rc = _set_status(self._h, user_id, status)
        if rc or self._delivery.pending is not None:
            self._fail(rc, "roster_member_set_status")

    def set_name(self, user_id: int, name: Union[str, bytes]) -> None:
        """Renames the member (UTF-8, 1..128 bytes) (roster_member_set_name)."""
        data = _text(name)
        self._call("roster_member_set_name", _u64(user_id), data, len(data))

    def set_sort_key(self, user_id: int, key: Optional[bytes]) -> None:
        """A host sort key (bytes, 1..max_sort_key_bytes) replacing the
        default (the name with A-Z folded); None restores the default
        (roster_member_set_sort_key)."""
        if key is None:
            self._call("roster_member_set_sort_key", _u64(user_id), None, 0)
            return
        data = bytes(key)
        self._call("roster_member_set_sort_key", _u64(user_id), data, len(data))

    def set_roles(self, user_id: int, roles: Sequence[int]) -> None:
        """Replaces the member's roles (roster_member_set_roles)."""
        _keep, address, count = _ids(roles)
        self._call("roster_member_set_roles", _u64(user_id), address, count)

    def add_member_role(self, user_id: int, role_id: int) -> None:
        """Gives the member one role (roster_member_add_role)."""
        self._call("roster_member_add_role", _u64(user_id), _u64(role_id))

    def remove_member_role(self, user_id: int, role_id: int) -> None:
        """Takes one role from the member (roster_member_remove_role)."""
        self._call("roster_member_remove_role", _u64(user_id), _u64(role_id))

    def touch(self, user_id: int) -> None:
        """The member's data changed without moving it (avatar, ...)
        (roster_member_touch)."""
        self._call("roster_member_touch", _u64(user_id))

    def get_member(self, user_id: int) -> MemberInfo:
        """The member's data, copied (roster_member_get); ENOTFOUND for an
        unknown member."""
        info = _ffi.RosterMemberInfo()
        total = _ffi.c_size_t()
        cap = 16
        while True:
            roles = array("Q", bytes(8 * cap))
            status = _lib.roster_member_get(
                _ffi.byref(info),
                roles.buffer_info()[0],
                cap,
                _ffi.byref(total),
                self._h,
                _u64(user_id),
            )
            if status:
                self._fail(status, "roster_member_get")
            if total.value <= cap:
                break
            cap = total.value
        name = _string_at(info.name, info.name_len) if info.name_len else b""
        return MemberInfo(
            info.id,
            name.decode("utf-8"),
            _known(Presence, info.status),
            info.group,
            tuple(roles[: total.value]),
        )

    # -- members and events in bulk: one FFI crossing per call

    def add_members(self, members: Iterable[Union[MemberSpec, Tuple[Any, ...]]]) -> None:
        """Adds many new members at once, all or nothing (roster_members_add):
        members are MemberSpec or (id, name, roles, status) tuples. One C
        array is built and the library is called once. On an error the
        status is that of the first failing entry (see add_members_at for
        its index)."""
        self._add_members(members, report_index=False)

    def add_members_at(self, members: Iterable[Union[MemberSpec, Tuple[Any, ...]]]) -> None:
        """add_members through roster_members_add_at: the RosterError also
        carries ``index``, the first failing entry, or len(members) when the
        error is not about one entry."""
        self._add_members(members, report_index=True)

    def _add_members(self, members: Iterable[Any], report_index: bool) -> None:
        specs = [MemberSpec(*m) for m in members]
        n = len(specs)
        if not n:
            fn = "roster_members_add_at" if report_index else "roster_members_add"
            if report_index:
                status = _lib.roster_members_add_at(None, self._h, None, 0)
            else:
                status = _lib.roster_members_add(self._h, None, 0)
            if status or self._delivery.pending is not None:
                self._fail(status, fn)
            return
        packed = _Packed()
        for spec in specs:
            packed.add(spec.name, spec.roles)
        text, name_ptrs, role_ptrs = packed.pointers()
        buf = bytearray(_SPEC * n)
        q = memoryview(buf).cast("Q")
        q[0::6] = array("Q", [s.id for s in specs])
        q[1::6] = name_ptrs
        q[2::6] = array("Q", packed.name_len)
        q[3::6] = role_ptrs
        q[4::6] = array("Q", packed.role_count)
        memoryview(buf).cast("i")[10::12] = array("i", [s.status for s in specs])
        address = _address(buf)
        if report_index:
            failed = _ffi.c_size_t(n)
            status = _lib.roster_members_add_at(_ffi.byref(failed), self._h, address, n)
            if status or self._delivery.pending is not None:
                self._fail(status, "roster_members_add_at", index=failed.value)
        else:
            status = _lib.roster_members_add(self._h, address, n)
            if status or self._delivery.pending is not None:
                self._fail(status, "roster_members_add")
        del text, q

    def apply_events(
        self, events: Iterable[Union[Event, Tuple[Any, ...]]], statuses: bool = False
    ) -> Optional[List[int]]:
        """Applies member events in order, in one C call
        (roster_events_apply): events are Event tuples (see its
        constructors). Each event does what its own call does; an event
        that fails changes nothing and the ones after it still apply; the
        frames of the whole array are delivered once, at the end.

        statuses=False: raises RosterError with the status of the first
        failing event (the others were applied), or the call's own error.
        statuses=True: returns every event's status (a list of ints) and
        raises only when the call itself failed (nothing applied: EINVAL,
        EBUSY) or for EFLUSH (the events were applied; err.statuses holds
        their statuses)."""
        evs = [e if type(e) is Event else Event(*e) for e in events]
        n = len(evs)
        packed = _Packed()
        for e in evs:
            packed.add(e.name, e.roles)
        text, name_ptrs, role_ptrs = packed.pointers()
        buf = bytearray(_EVENT * n)
        if n:
            words = memoryview(buf)
            words.cast("I")[0::14] = array("I", [e.kind for e in evs])
            words.cast("i")[1::14] = array("i", [e.status for e in evs])
            q = words.cast("Q")
            q[1::7] = array("Q", [e.user_id for e in evs])
            q[2::7] = name_ptrs
            q[3::7] = array("Q", packed.name_len)
            q[4::7] = role_ptrs
            q[5::7] = array("Q", packed.role_count)
            q[6::7] = array("Q", [e.role_id for e in evs])
            del words, q
        result = self._apply(buf, n, statuses)
        del text
        return result

    def apply_status_events(
        self, user_ids: Sequence[int], statuses: Sequence[int], report: bool = False
    ) -> Optional[List[int]]:
        """The fast path of apply_events for status changes only: event i
        sets member user_ids[i] to statuses[i] (a Presence). Both are
        sequences of ints of the same length (lists, or array("Q") and
        array("i"), which are used without conversion); the C array is
        filled column by column, without a Python object per event.
        report: as apply_events' statuses argument."""
        n = len(user_ids)
        if len(statuses) != n:
            raise ValueError(f"{n} user ids but {len(statuses)} statuses")
        buf = bytearray(_EVENT * n)
        if n:
            words = memoryview(buf)
            words.cast("I")[0::14] = array("I", [EventKind.STATUS]) * n
            words.cast("i")[1::14] = _as_array("i", statuses)
            words.cast("Q")[1::7] = _as_array("Q", user_ids)
            del words
        return self._apply(buf, n, report)

    def _apply(self, buf: bytearray, n: int, report: bool) -> Optional[List[int]]:
        """Calls roster_events_apply on the n events packed in buf."""
        address = _address(buf) if n else None
        if not report:
            status = _events_apply(self._h, address, n, _EVENT, None)
            if status or self._delivery.pending is not None:
                self._fail(status, "roster_events_apply")
            return None
        out = array("i", [1]) * n  # 1 is no status: not written
        status = _events_apply(self._h, address, n, _EVENT, _address(out) if n else None)
        written = n > 0 and out[0] != 1
        if self._delivery.pending is not None or (status and not written and n):
            self._fail(status, "roster_events_apply")
        if status == Status.EFLUSH or (status and not n):
            self._fail(status, "roster_events_apply", statuses=list(out))
        return list(out)

    # -- lists

    def set_list(
        self,
        list_id: int,
        everyone: int = OVERWRITE_NONE,
        roles: Iterable[Tuple[int, bool]] = (),
        members: Iterable[Tuple[int, bool]] = (),
    ) -> None:
        """Creates list list_id or replaces its rule (roster_list_set).
        everyone: OVERWRITE_*; roles / members: (id, allow VIEW) pairs, in
        order."""
        role_arr, role_count = _overwrites(roles)
        member_arr, member_count = _overwrites(members)
        rule = _ffi.RosterListRule(
            _ffi.sizeof(_ffi.RosterListRule),
            everyone,
            role_arr,
            role_count,
            member_arr,
            member_count,
        )
        self._call("roster_list_set", _u64(list_id), _ffi.byref(rule))

    def remove_list(self, list_id: int) -> None:
        """Removes the list; its subscribers get a last frame
        (roster_list_remove)."""
        self._call("roster_list_remove", _u64(list_id))

    def list_length(self, list_id: int) -> int:
        """Rows of the list, headers included (roster_list_length)."""
        out = _ffi.c_uint32()
        self._query("roster_list_length", [out], _u64(list_id))
        return out.value

    def list_counts(self, list_id: int) -> Tuple[int, int]:
        """(members visible in the list, those not offline)
        (roster_list_counts)."""
        members, online = _ffi.c_uint32(), _ffi.c_uint32()
        self._query("roster_list_counts", [members, online], _u64(list_id))
        return members.value, online.value

    def list_groups(self, list_id: int) -> Tuple[Group, ...]:
        """The groups that appear in the list, in order
        (roster_list_groups)."""
        data = self._fetch("roster_list_groups", _GROUP, 16, _u64(list_id))
        if not data:
            return ()
        m = memoryview(data)
        return tuple(map(Group, m.cast("Q")[0::2], m.cast("I")[2::4]))

    def list_rows(self, list_id: int, start: int, end: int) -> RowsView:
        """Rows start..end of the list that exist (end clipped to the last
        row), copied into a RowsView with a buffer of its own
        (roster_list_rows). EINVAL when end < start."""
        _u32(start, "start")
        _u32(end, "end")
        guess = max(1, min(end - start + 1, 1024))
        data = self._fetch("roster_list_rows", _ROW, guess, _u64(list_id), start, end)
        return RowsView(memoryview(data))

    def list_index_of(self, list_id: int, user_id: int) -> int:
        """The row of a member shown in the list (roster_list_index_of);
        ENOTFOUND when it is unknown, not visible there, or hidden."""
        out = _ffi.c_uint32()
        self._query("roster_list_index_of", [out], _u64(list_id), _u64(user_id))
        return out.value

    def list_can_view(self, list_id: int, user_id: int) -> bool:
        """Whether the member may view the list by its rule, shown or hidden
        as offline (roster_list_can_view); False for a user not a member."""
        out = _ffi.c_int()
        self._query("roster_list_can_view", [out], _u64(list_id), _u64(user_id))
        return out.value != 0

    def _fetch(self, name: str, size: int, cap: int, *after: Any) -> bytearray:
        """For the calls (out, cap, *count, guild, *after) that write
        min(cap, total) entries of size bytes: all the entries' bytes."""
        count = _ffi.c_size_t()
        while True:
            buf = bytearray(size * cap)
            status = getattr(_lib, name)(_address(buf), cap, _ffi.byref(count), self._h, *after)
            if status:
                self._fail(status, name)
            if count.value <= cap:
                del buf[size * count.value :]
                return buf
            cap = count.value

    # -- sessions and frames

    def set_frame_callback(self, callback: Optional[FrameCallback]) -> None:
        """Sets (None: clears) the function that receives every frame
        (roster_guild_set_frame_callback).

        The callback gets a FrameView, valid only while it runs (call its
        copy() to keep the frame). Inside it, queries work and calls that
        change the guild raise RosterError EBUSY, except remove_session and
        unsubscribe. If the callback raises, the exception is kept and
        re-raised by the guild call that delivered the frame, once that
        call has returned (the call's change stands); the later frames of
        that call are not handed to the callback.
        """
        if callback is None:
            c_fn = _ffi.FRAME_FN()  # a NULL function pointer
        else:
            c_fn = _trampoline(self._delivery, callback)
        self._call("roster_guild_set_frame_callback", c_fn, None)
        self._c_callback = c_fn  # the old one is no longer used by C

    def set_frame_queue(self, enable: bool = True) -> None:
        """Switches the frame queue on or off (roster_guild_set_frame_queue).

        On: each flush appends its frames to a buffer the library keeps,
        and take_frames() returns them; the frame callback, if any, is
        cleared. Off: frames are dropped until a callback or the queue is
        set again; frames not yet taken stay to be taken. The queue costs
        no call from C into Python per frame: the fast way when frames are
        many. EBUSY inside the frame callback.
        """
        self._call("roster_guild_set_frame_queue", 1 if enable else 0)
        if enable:
            self._c_callback = None  # C cleared it

    def take_frames(self) -> FrameBatch:
        """The frames queued since the last take, copied out of the library
        in one piece (roster_guild_take_frames), as a FrameBatch (empty when
        nothing is queued)."""
        data = _ffi.ctypes.c_void_p()
        length = _ffi.ctypes.c_size_t()
        self._query("roster_guild_take_frames", (data, length))
        n = length.value
        return FrameBatch(_ffi.string_at(data.value, n) if n else b"")

    def subscribe(self, session_id: int, list_id: int, ranges: Iterable[RangeLike]) -> None:
        """Subscribes the session (created on first use) to row ranges
        (inclusive (start, end) pairs) of the list, replacing its previous
        subscription to it (roster_session_subscribe). No ranges:
        unsubscribes."""
        flat = array("I")
        for start, end in ranges:
            flat.append(_u32(start, "range start"))
            flat.append(_u32(end, "range end"))
        count = len(flat) // 2
        address = flat.buffer_info()[0] if count else None
        self._call(
            "roster_session_subscribe", _u64(session_id), _u64(list_id), address, count
        )

    def unsubscribe(self, session_id: int, list_id: int) -> None:
        """Ends the session's subscription to the list (a subscribe with no
        ranges); the session stays."""
        self.subscribe(session_id, list_id, ())

    def remove_session(self, session_id: int) -> None:
        """Removes the session and its subscriptions (roster_session_remove);
        allowed inside the frame callback."""
        self._call("roster_session_remove", _u64(session_id))

    def session_ranges(self, session_id: int, list_id: int) -> List[Range]:
        """The session's normalised ranges for the list (whole chunks,
        ascending; empty when not subscribed) (roster_session_ranges);
        ENOTFOUND for an unknown session."""
        data = self._fetch(
            "roster_session_ranges", 8, 8, _u64(session_id), _u64(list_id)
        )
        u = memoryview(data).cast("I")
        return [Range(s, e) for s, e in zip(u[0::2], u[1::2])]

    def session_count(self) -> int:
        """Sessions in the guild (roster_guild_session_count)."""
        out = _ffi.c_uint32()
        self._query("roster_guild_session_count", [out])
        return out.value

    # -- statistics and snapshots

    def stats(self) -> Stats:
        """The guild's counters and sizes (roster_guild_stats)."""
        out = _ffi.RosterStats(size=_ffi.sizeof(_ffi.RosterStats))
        self._query("roster_guild_stats", [out])
        return Stats(*(getattr(out, f.name) for f in fields(Stats)))

    def save(self, flags: int = SAVE_SESSIONS) -> bytes:
        """The guild's snapshot as bytes (see save_to)."""
        chunks: List[bytes] = []

        class _Sink:
            write = chunks.append

        self.save_to(_Sink, flags)  # type: ignore[arg-type]
        return b"".join(chunks)

    def save_to(self, out: BinaryIO, flags: int = SAVE_SESSIONS) -> None:
        """Writes the guild's snapshot to out (anything with a write(bytes)
        that takes all it is given, e.g. a file opened "wb"), in pieces: no
        second copy of the guild is made (roster_guild_save). flags: 0 or
        SAVE_SESSIONS. Saving flushes first, so frames still owed after an
        EFLUSH are delivered; the guild is not changed. An exception of
        out.write is re-raised here once the library has returned (what was
        written is then not a snapshot). Other errors (RosterError): EINVAL
        (unknown flags, inside a batch), EBUSY (inside the frame callback),
        EFLUSH, ENOMEM."""
        failure: List[BaseException] = []
        write_out = out.write

        def write(data, length, _user_data):
            try:
                write_out(_string_at(data, length) if length else b"")
            except BaseException as exc:  # nothing may unwind through C
                failure.append(exc)
                return -1
            return 0

        c_fn = _ffi.WRITE_FN(write)  # alive until the call returns
        status = _lib.roster_guild_save(self._h, _u32(flags, "flags"), c_fn, None)
        if status == Status.EIO and failure:
            raise failure[0]
        if status or self._delivery.pending is not None:
            self._fail(status, "roster_guild_save")
