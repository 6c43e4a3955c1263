"""A small Python binding of the roster C API (include/roster/roster.h).

Standard library only: the shared library is loaded with ctypes. It wraps
what the host example (host.py) needs plus its obvious neighbours: a guild
with its configuration, roles, members, list rules, sessions, batches, the
frame callback, snapshots (Guild.save, Guild.load) and statistics
(Guild.stats).

Conventions:
  - Every failing call raises RosterError, which carries the C status code
    (``err.status``) and the library's text for it (``err.text``).
  - Ids are Python ints (64-bit unsigned); strings are str (sent as UTF-8).
  - Frames are handed to the callback as plain Python objects (Frame, Op, Row,
    Group): the C frame and its arrays are valid only during the C call, so
    everything is copied before user code sees it.

The library is found through, in order: the ROSTER_LIBRARY environment
variable (a path to libroster.so), then ctypes.util.find_library("roster").
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import enum
import io
import os
import weakref
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_int,
    c_int32,
    c_size_t,
    c_uint,
    c_uint32,
    c_uint64,
    c_void_p,
)
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable, Iterator, Optional, Sequence, Tuple

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
    EIO = -11  # a snapshot's write (or read) callback failed


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


# ---- C structures, field for field as in roster.h ------------------------------


class RosterAllocator(Structure):
    """roster_allocator: a host's allocator hooks. This module never sets
    them (all NULL: a guild uses the C and C++ runtimes' allocator); the
    struct is here so that RosterConfig has the header's layout."""

    _fields_ = [
        ("allocate", c_void_p),
        ("reallocate", c_void_p),
        ("deallocate", c_void_p),
        ("user_data", c_void_p),
    ]


class RosterConfig(Structure):
    """roster_config; reserved stays 0 and the allocator unset."""

    _fields_ = [
        ("size", c_uint32),
        ("offline_threshold", c_uint32),
        ("everyone_view", c_uint32),
        ("max_members", c_uint32),
        ("max_roles", c_uint32),
        ("max_roles_per_member", c_uint32),
        ("max_lists", c_uint32),
        ("max_overwrites", c_uint32),
        ("max_sort_key_bytes", c_uint32),
        ("chunk_size", c_uint32),
        ("max_ranges", c_uint32),
        ("max_range_span", c_uint32),
        ("max_session_lists", c_uint32),
        ("max_sessions", c_uint32),
        ("reserved", c_uint32),
        ("allocator", RosterAllocator),
    ]


# ROSTER_CONFIG_INIT is a macro, so its values are repeated here (size aside).
CONFIG_DEFAULTS = {
    "offline_threshold": 1000,
    "everyone_view": 1,
    "max_members": 67108864,
    "max_roles": 1000,
    "max_roles_per_member": 256,
    "max_lists": 256,
    "max_overwrites": 1000,
    "max_sort_key_bytes": 256,
    "chunk_size": 100,
    "max_ranges": 3,
    "max_range_span": 300,
    "max_session_lists": 5,
    "max_sessions": 1048576,
}


class RosterStats(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("members", c_uint32),
        ("lists", c_uint32),
        ("sessions", c_uint32),
        ("subscriptions", c_uint64),
        ("chunks_held", c_uint64),
        ("memory_bytes", c_uint64),
        ("flushes", c_uint64),
        ("frames", c_uint64),
        ("deliveries", c_uint64),
        ("ops", c_uint64),
        ("rows", c_uint64),
        ("last_flush_ns", c_uint64),
        ("max_flush_ns", c_uint64),
    ]


class RosterRole(Structure):
    _fields_ = [("id", c_uint64), ("position", c_int32), ("flags", c_uint32)]


class RosterOverwrite(Structure):
    _fields_ = [("id", c_uint64), ("allow", c_int32)]


class RosterListRule(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("everyone", c_int32),
        ("roles", POINTER(RosterOverwrite)),
        ("role_count", c_size_t),
        ("members", POINTER(RosterOverwrite)),
        ("member_count", c_size_t),
    ]


class RosterRow(Structure):
    _fields_ = [
        ("kind", c_uint32),
        ("count", c_uint32),
        ("group", c_uint64),
        ("user", c_uint64),
    ]


class RosterGroup(Structure):
    _fields_ = [("id", c_uint64), ("count", c_uint32)]


class RosterRange(Structure):
    _fields_ = [("start", c_uint32), ("end", c_uint32)]


class RosterOp(Structure):
    _fields_ = [
        ("kind", c_uint32),
        ("index", c_uint32),
        ("end", c_uint32),
        ("item_count", c_uint32),
        ("items", POINTER(RosterRow)),
    ]


class RosterFrame(Structure):
    _fields_ = [
        ("list_id", c_uint64),
        ("member_count", c_uint32),
        ("online_count", c_uint32),
        ("groups", POINTER(RosterGroup)),
        ("group_count", c_size_t),
        ("ops", POINTER(RosterOp)),
        ("op_count", c_size_t),
    ]


class _Guild(Structure):
    """The opaque roster_guild (only ever used through a pointer)."""


_GuildP = POINTER(_Guild)

# void (*roster_frame_fn)(const roster_frame *, const uint64_t *, size_t, void *)
FRAME_FN = CFUNCTYPE(None, POINTER(RosterFrame), POINTER(c_uint64), c_size_t, c_void_p)
# int (*roster_write_fn)(const void *data, size_t len, void *user_data)
WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)

# ---- Loading the library and declaring the functions ---------------------------


def _find_library() -> str:
    path = os.environ.get("ROSTER_LIBRARY")
    if path:
        return path
    found = ctypes.util.find_library("roster")
    if found is None:
        raise OSError(
            "libroster not found: set ROSTER_LIBRARY to the path of libroster.so"
        )
    return found


_lib = ctypes.CDLL(_find_library())

_U64P = POINTER(c_uint64)
_SIGNATURES = {
    # name: (restype, argtypes)
    "roster_version_number": (c_uint, []),
    "roster_version_string": (c_char_p, []),
    "roster_status_str": (c_char_p, [c_int]),
    "roster_guild_create": (c_int, [POINTER(_GuildP), POINTER(RosterConfig)]),
    "roster_guild_destroy": (None, [_GuildP]),
    "roster_guild_member_count": (c_int, [POINTER(c_uint32), _GuildP]),
    "roster_guild_session_count": (c_int, [POINTER(c_uint32), _GuildP]),
    "roster_guild_set_frame_callback": (c_int, [_GuildP, FRAME_FN, c_void_p]),
    "roster_batch_begin": (c_int, [_GuildP]),
    "roster_batch_commit": (c_int, [_GuildP]),
    "roster_role_upsert": (c_int, [_GuildP, POINTER(RosterRole)]),
    "roster_role_remove": (c_int, [_GuildP, c_uint64]),
    "roster_member_add": (
        c_int,
        [_GuildP, c_uint64, c_char_p, c_size_t, _U64P, c_size_t, c_int],
    ),
    "roster_member_upsert": (
        c_int,
        [_GuildP, c_uint64, c_char_p, c_size_t, _U64P, c_size_t, c_int],
    ),
    "roster_member_remove": (c_int, [_GuildP, c_uint64]),
    "roster_member_set_status": (c_int, [_GuildP, c_uint64, c_int]),
    "roster_member_set_name": (c_int, [_GuildP, c_uint64, c_char_p, c_size_t]),
    "roster_member_set_roles": (c_int, [_GuildP, c_uint64, _U64P, c_size_t]),
    "roster_member_add_role": (c_int, [_GuildP, c_uint64, c_uint64]),
    "roster_member_remove_role": (c_int, [_GuildP, c_uint64, c_uint64]),
    "roster_member_touch": (c_int, [_GuildP, c_uint64]),
    "roster_list_set": (c_int, [_GuildP, c_uint64, POINTER(RosterListRule)]),
    "roster_list_remove": (c_int, [_GuildP, c_uint64]),
    "roster_list_counts": (
        c_int,
        [POINTER(c_uint32), POINTER(c_uint32), _GuildP, c_uint64],
    ),
    "roster_session_subscribe": (
        c_int,
        [_GuildP, c_uint64, c_uint64, POINTER(RosterRange), c_size_t],
    ),
    "roster_session_remove": (c_int, [_GuildP, c_uint64]),
    "roster_guild_stats": (c_int, [POINTER(RosterStats), _GuildP]),
    "roster_guild_save": (c_int, [_GuildP, c_uint32, WRITE_FN, c_void_p]),
    "roster_guild_load_buffer": (
        c_int,
        [POINTER(_GuildP), POINTER(RosterConfig), c_char_p, c_size_t],
    ),
}
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _fn = getattr(_lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes
del _name, _restype, _argtypes, _fn


def version() -> str:
    """The version of the loaded library, e.g. "0.1.0"."""
    return _lib.roster_version_string().decode("ascii")


def version_number() -> int:
    """major * 10000 + minor * 100 + patch of the loaded library."""
    return _lib.roster_version_number()


def status_str(status: int) -> str:
    """The library's lower-case name of a status ("invalid argument", ...)."""
    return _lib.roster_status_str(status).decode("utf-8", "replace")


class RosterError(Exception):
    """A roster call failed: ``status`` is the C status code (negative)."""

    def __init__(self, status: int, call: str = "") -> None:
        self.status = int(status)
        self.text = status_str(status)
        self.call = call
        where = f"{call}: " if call else ""
        super().__init__(f"{where}{self.text} ({status})")


# ---- Frame data as plain Python objects ------------------------------------------


@dataclass(frozen=True)
class Row:
    """A row: a group header (count = members of the group, user = 0) or a
    member (count = 0, user = its id). group is a role id or GROUP_*."""

    kind: int  # RowKind (or a newer library's raw value)
    count: int
    group: int
    user: int

    @property
    def is_header(self) -> bool:
        return self.kind == RowKind.HEADER


@dataclass(frozen=True)
class Group:
    id: int  # a hoisted role id or GROUP_*
    count: int


@dataclass(frozen=True)
class Op:
    kind: int  # OpKind (or a newer library's raw value)
    index: int
    end: int
    items: Tuple[Row, ...]  # SYNC: the rows that exist; INSERT/UPDATE: one row


@dataclass(frozen=True)
class Frame:
    """One frame, for every session in ``sessions`` (in delivery order)."""

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


def _known(enum_type, value: int) -> int:
    """The enum member for value, or value itself when this module does not
    know it (a newer library)."""
    try:
        return enum_type(value)
    except ValueError:
        return value


def _copy_frame(frame_p, sessions_p, session_count: int) -> Frame:
    """Copies a C frame into Python objects. Must run inside the callback:
    the C memory is gone as soon as the callback returns."""
    f = frame_p.contents
    # Pointers are only indexed below their count: an empty array may be NULL.
    sessions = tuple(sessions_p[i] for i in range(session_count))
    groups = tuple(
        Group(g.id, g.count) for g in (f.groups[i] for i in range(f.group_count))
    )
    ops = []
    for i in range(f.op_count):
        op = f.ops[i]
        items = tuple(
            Row(_known(RowKind, r.kind), r.count, r.group, r.user)
            for r in (op.items[j] for j in range(op.item_count))
        )
        ops.append(Op(_known(OpKind, op.kind), op.index, op.end, items))
    return Frame(
        f.list_id, sessions, f.member_count, f.online_count, groups, tuple(ops)
    )


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


def _id_array(ids: Sequence[int]):
    """(array or None, count) for a uint64_t pointer + count pair."""
    ids = [_u64(i) for i in ids]
    if not ids:
        return None, 0
    return (c_uint64 * len(ids))(*ids), len(ids)


def _config(config: dict) -> RosterConfig:
    """A roster_config: ROSTER_CONFIG_INIT with the fields of config changed.
    The allocator hooks are not exposed (the struct's stay NULL)."""
    unknown = set(config) - set(CONFIG_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    cfg = RosterConfig(size=ctypes.sizeof(RosterConfig))
    for name, value in dict(CONFIG_DEFAULTS, **config).items():
        setattr(cfg, name, _u32(value, name))
    return cfg


def _utf8(name: str) -> bytes:
    return name.encode("utf-8")


def _overwrites(pairs: Iterable[Tuple[int, bool]]):
    pairs = [(_u64(i), 1 if allow else 0) for i, allow in pairs]
    if not pairs:
        return None, 0
    return (RosterOverwrite * len(pairs))(*pairs), len(pairs)


FrameCallback = Callable[[Frame], None]
RangeLike = Tuple[int, int]

# ---- The guild ------------------------------------------------------------------


class Guild:
    """A roster_guild. Close it with close() or use it as a context manager.

    One thread at a time: calls on one guild must not overlap.
    """

    def __init__(self, **config: int) -> None:
        """Creates an empty guild; keyword arguments override the fields of
        ROSTER_CONFIG_INIT (e.g. chunk_size=10)."""
        cfg = _config(config)
        handle = _GuildP()
        status = _lib.roster_guild_create(ctypes.byref(handle), ctypes.byref(cfg))
        if status != Status.OK:
            raise RosterError(status, "roster_guild_create")
        self._adopt(handle)

    @classmethod
    def load(cls, data: bytes, **config: int) -> "Guild":
        """A guild loaded from a snapshot in memory (roster_guild_load_buffer;
        data, any bytes-like object, is not kept). Keyword arguments give the
        limits as for Guild() (none: the defaults); the settings come from the
        snapshot (its offline_threshold, everyone_view and chunk_size, not
        the config's). The guild is like a new one but has no frame
        callback: set one with set_frame_callback. Loading delivers no frame.
        Raises RosterError: ECORRUPT (damaged or truncated bytes), EVERSION,
        ELIMIT (the snapshot exceeds a limit of the config), EINVAL, ENOMEM.
        """
        cfg = _config(config)
        data = bytes(data)
        handle = _GuildP()
        status = _lib.roster_guild_load_buffer(
            ctypes.byref(handle), ctypes.byref(cfg), data, len(data)
        )
        if status != Status.OK:
            raise RosterError(status, "roster_guild_load_buffer")
        guild = cls.__new__(cls)
        guild._adopt(handle)
        return guild

    def _adopt(self, handle) -> None:
        """Takes ownership of a guild the library made."""
        self._handle = handle
        # The CFUNCTYPE object of the frame callback: C holds only a raw
        # pointer to it, so this reference keeps it alive while the guild may
        # call it. (Destroying the guild never calls it.)
        self._c_callback = None
        # Destroys the guild on close(), or when the Guild is collected or
        # the interpreter exits without close().
        self._close = weakref.finalize(self, _lib.roster_guild_destroy, handle)
        self._depth = 0  # nesting of C calls (the callback may call back in)
        self._pending: Optional[BaseException] = None  # raised in the callback

    # -- lifetime

    def close(self) -> None:
        """Destroys the guild. Safe to call more than once; not allowed
        inside the frame callback (RosterError EBUSY)."""
        if self._depth > 0:
            raise RosterError(Status.EBUSY, "close")
        self._close()

    @property
    def closed(self) -> bool:
        return not self._close.alive

    def __enter__(self) -> "Guild":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _ptr(self):
        if not self._close.alive:
            raise ValueError("the guild is closed")
        return self._handle

    def _call(self, name: str, *args) -> None:
        """Calls roster_<name>(guild, *args). An exception raised by the
        frame callback during the call is re-raised here, after C returned;
        otherwise a failing status raises RosterError."""
        fn = getattr(_lib, name)
        ptr = self._ptr()
        self._depth += 1
        try:
            status = fn(ptr, *args)
        finally:
            self._depth -= 1
        if self._depth == 0 and self._pending is not None:
            pending, self._pending = self._pending, None
            raise pending
        if status != Status.OK:
            raise RosterError(status, name)

    # -- frames

    def set_frame_callback(self, callback: Optional[FrameCallback]) -> None:
        """Sets (None: clears) the function that receives every frame.

        The callback gets a Frame made of plain Python objects (a copy: the C
        data is valid only during the call). Inside it, queries work and calls
        that change the guild raise RosterError (EBUSY), except
        remove_session and unsubscribe. If the callback raises, the exception
        is kept and re-raised by the guild call that delivered the frame once
        that call returns (it cannot cross C); later frames of that call are
        dropped.
        """
        if callback is None:
            c_fn = FRAME_FN()  # a NULL function pointer
        else:

            def trampoline(frame_p, sessions_p, session_count, _user_data):
                if self._pending is not None:
                    return  # a previous frame of this call already failed
                try:
                    callback(_copy_frame(frame_p, sessions_p, session_count))
                except BaseException as exc:  # nothing may unwind through C
                    self._pending = exc

            c_fn = FRAME_FN(trampoline)
        self._call("roster_guild_set_frame_callback", c_fn, None)
        self._c_callback = c_fn  # the old one is no longer used by C

    # -- snapshots and statistics

    def save(self, flags: int = SAVE_SESSIONS) -> bytes:
        """The guild's snapshot as bytes (see save_to)."""
        out = io.BytesIO()
        self.save_to(out, flags)
        return out.getvalue()

    def save_to(self, out: BinaryIO, flags: int = SAVE_SESSIONS) -> None:
        """Writes the guild's snapshot to out (anything with a write(bytes)
        that writes all it is given, e.g. a file opened "wb"), in pieces: no
        second copy of the guild is made (roster_guild_save). flags: 0 or
        SAVE_SESSIONS. Saving flushes first, so frames still owed after an
        EFLUSH are delivered; the guild is not changed. An exception of
        out.write is re-raised here once the library has returned (what was
        written is then not a snapshot). Other errors (RosterError): EINVAL
        (unknown flags, inside a batch), EBUSY (inside the frame callback),
        EFLUSH, ENOMEM."""
        failure: list = []

        def write(data, length, _user_data):
            try:
                out.write(ctypes.string_at(data, length) if length else b"")
            except BaseException as exc:  # nothing may unwind through C
                failure.append(exc)
                return -1
            return 0

        c_fn = WRITE_FN(write)  # alive until the call returns
        try:
            self._call("roster_guild_save", _u32(flags, "flags"), c_fn, None)
        except RosterError as err:
            if failure and err.status == Status.EIO:
                raise failure[0] from None
            raise

    def stats(self) -> Stats:
        """The guild's counters and sizes (roster_guild_stats)."""
        out = RosterStats(size=ctypes.sizeof(RosterStats))
        self._query("roster_guild_stats", [out])
        return Stats(
            members=out.members,
            lists=out.lists,
            sessions=out.sessions,
            subscriptions=out.subscriptions,
            chunks_held=out.chunks_held,
            memory_bytes=out.memory_bytes,
            flushes=out.flushes,
            frames=out.frames,
            deliveries=out.deliveries,
            ops=out.ops,
            rows=out.rows,
            last_flush_ns=out.last_flush_ns,
            max_flush_ns=out.max_flush_ns,
        )

    # -- batches

    def batch_begin(self) -> None:
        self._call("roster_batch_begin")

    def batch_commit(self) -> None:
        """Ends a batch; the outermost commit delivers the batch's frames."""
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

    # -- roles

    def upsert_role(self, role_id: int, position: int, flags: int = 0) -> None:
        """Creates the role or replaces its settings (flags: ROLE_*)."""
        role = RosterRole(_u64(role_id), position, _u32(flags, "flags"))
        self._call("roster_role_upsert", ctypes.byref(role))

    def remove_role(self, role_id: int) -> None:
        self._call("roster_role_remove", _u64(role_id))

    # -- members

    def add_member(
        self,
        user_id: int,
        name: str,
        roles: Sequence[int] = (),
        status: int = Presence.OFFLINE,
    ) -> None:
        """Adds a member; raises RosterError (EEXIST) if it already exists."""
        self._member_call("roster_member_add", user_id, name, roles, status)

    def upsert_member(
        self,
        user_id: int,
        name: str,
        roles: Sequence[int] = (),
        status: int = Presence.OFFLINE,
    ) -> None:
        """Like add_member, but replaces the data of an existing member."""
        self._member_call("roster_member_upsert", user_id, name, roles, status)

    def _member_call(
        self, fn: str, user_id: int, name: str, roles: Sequence[int], status: int
    ) -> None:
        data = _utf8(name)
        arr, count = _id_array(roles)
        self._call(fn, _u64(user_id), data, len(data), arr, count, status)

    def remove_member(self, user_id: int) -> None:
        self._call("roster_member_remove", _u64(user_id))

    def set_status(self, user_id: int, status: int) -> None:
        """status: a Presence."""
        self._call("roster_member_set_status", _u64(user_id), status)

    def set_name(self, user_id: int, name: str) -> None:
        data = _utf8(name)
        self._call("roster_member_set_name", _u64(user_id), data, len(data))

    def set_roles(self, user_id: int, roles: Sequence[int]) -> None:
        arr, count = _id_array(roles)
        self._call("roster_member_set_roles", _u64(user_id), arr, count)

    def add_member_role(self, user_id: int, role_id: int) -> None:
        self._call("roster_member_add_role", _u64(user_id), _u64(role_id))

    def remove_member_role(self, user_id: int, role_id: int) -> None:
        self._call("roster_member_remove_role", _u64(user_id), _u64(role_id))

    def touch(self, user_id: int) -> None:
        """The member's data changed without moving it (avatar, ...)."""
        self._call("roster_member_touch", _u64(user_id))

    def member_count(self) -> int:
        out = c_uint32()
        self._query("roster_guild_member_count", [out])
        return out.value

    # -- lists

    def set_list(
        self,
        list_id: int,
        everyone: int = OVERWRITE_NONE,
        roles: Iterable[Tuple[int, bool]] = (),
        members: Iterable[Tuple[int, bool]] = (),
    ) -> None:
        """Creates list list_id or replaces its rule. everyone: OVERWRITE_*;
        roles / members: (id, allow VIEW) pairs, in order."""
        role_arr, role_count = _overwrites(roles)
        member_arr, member_count = _overwrites(members)
        rule = RosterListRule(
            ctypes.sizeof(RosterListRule),
            everyone,
            role_arr,
            role_count,
            member_arr,
            member_count,
        )
        self._call("roster_list_set", _u64(list_id), ctypes.byref(rule))

    def remove_list(self, list_id: int) -> None:
        self._call("roster_list_remove", _u64(list_id))

    def list_counts(self, list_id: int) -> Tuple[int, int]:
        """(members visible in the list, those not offline)."""
        members, online = c_uint32(), c_uint32()
        self._query("roster_list_counts", [members, online], _u64(list_id))
        return members.value, online.value

    # -- sessions

    def subscribe(
        self, session_id: int, list_id: int, ranges: Sequence[RangeLike]
    ) -> None:
        """Subscribes the session (created on first use) to row ranges
        (inclusive (start, end) pairs) of the list, replacing its previous
        subscription to it. No ranges: unsubscribes."""
        ranges = [(_u32(s, "range start"), _u32(e, "range end")) for s, e in ranges]
        arr = (RosterRange * len(ranges))(*ranges) if ranges else None
        self._call(
            "roster_session_subscribe", _u64(session_id), _u64(list_id), arr, len(ranges)
        )

    def unsubscribe(self, session_id: int, list_id: int) -> None:
        self.subscribe(session_id, list_id, ())

    def remove_session(self, session_id: int) -> None:
        self._call("roster_session_remove", _u64(session_id))

    def session_count(self) -> int:
        out = c_uint32()
        self._query("roster_guild_session_count", [out])
        return out.value

    def _query(self, name: str, outs, *after) -> None:
        """Calls a query roster_<name>(*outs, guild, *after): its
        out-parameters (ctypes objects, passed by reference) come first."""
        status = getattr(_lib, name)(
            *(ctypes.byref(o) for o in outs), self._ptr(), *after
        )
        if status != Status.OK:
            raise RosterError(status, name)
