"""The ctypes layer of the binding: the C structs of roster.h field for field,
the callback types, the shared library and the signature of every function
it exports (capi/roster.map, nodes ROSTER_0.1 and ROSTER_0.2).

Private: the public API is in roster/__init__.py. Nothing here checks
statuses or owns memory; it only describes the ABI.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
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
from typing import Dict, List, Tuple

# ---- C structures, field for field as in roster.h ------------------------------


class RosterAllocator(Structure):
    """roster_allocator: a host's allocator hooks. The binding never sets
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


class RosterMemberSpec(Structure):
    _fields_ = [
        ("id", c_uint64),
        ("name", c_void_p),
        ("name_len", c_size_t),
        ("roles", c_void_p),
        ("role_count", c_size_t),
        ("status", c_int32),
    ]


class RosterEvent(Structure):
    _fields_ = [
        ("kind", c_uint32),
        ("status", c_int32),
        ("user_id", c_uint64),
        ("name", c_void_p),
        ("name_len", c_size_t),
        ("roles", c_void_p),
        ("role_count", c_size_t),
        ("role_id", c_uint64),
    ]


class RosterMemberInfo(Structure):
    _fields_ = [
        ("id", c_uint64),
        ("name", c_void_p),
        ("name_len", c_size_t),
        ("status", c_int32),
        ("group", c_uint64),
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


# The layouts the column-wise fast paths of roster/__init__.py rely on
# (a 64-bit platform: pointers and size_t of 8 bytes). Checked at import.
LAYOUT = {
    "roster_event": (RosterEvent, 56),
    "roster_member_spec": (RosterMemberSpec, 48),
    "roster_row": (RosterRow, 24),
    "roster_op": (RosterOp, 24),
    "roster_group": (RosterGroup, 16),
    "roster_frame": (RosterFrame, 48),
}

# Callbacks. Pointers arrive as plain ints (c_void_p), which is the cheapest
# conversion ctypes makes; the binding reads the memory behind them itself.
# void (*roster_frame_fn)(const roster_frame *, const uint64_t *, size_t, void *)
FRAME_FN = CFUNCTYPE(None, c_void_p, c_void_p, c_size_t, c_void_p)
# int (*roster_write_fn)(const void *data, size_t len, void *user_data)
WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
# int (*roster_read_fn)(void *buf, size_t cap, size_t *got, void *user_data)
READ_FN = CFUNCTYPE(c_int, c_void_p, c_size_t, POINTER(c_size_t), c_void_p)

# ---- Finding and loading the library -----------------------------------------------

SONAME = "libroster.so.0"  # the soname of the 0.x ABI (meson: soversion 0)


def candidates() -> List[str]:
    """Where the library is looked for, in order (the first that loads wins):

    1. the ROSTER_LIBRARY environment variable: a path to libroster.so (when
       set, only this is tried);
    2. ctypes.util.find_library("roster"): the linker's cache (ldconfig) and
       the paths the compiler and linker know;
    3. the soname, libroster.so.0, through the dynamic loader (which reads
       LD_LIBRARY_PATH, the ld.so cache, /lib and /usr/lib);
    4. meson's default install directories: /usr/local/lib/<multiarch>/ and
       /usr/local/lib/ (not in the ld.so cache until ldconfig runs).
    """
    path = os.environ.get("ROSTER_LIBRARY")
    if path:
        return [path]
    found = []
    name = ctypes.util.find_library("roster")
    if name:
        found.append(name)
    found.append(SONAME)
    for pattern in ("/usr/local/lib/*-linux-gnu/", "/usr/local/lib/"):
        for folder in sorted(glob.glob(pattern)):
            found.append(os.path.join(folder, SONAME))
    return found


def _load() -> Tuple[ctypes.CDLL, str]:
    tried = []
    for path in candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            tried.append(f"{path}: {exc}")
    raise OSError(
        "libroster not found: set ROSTER_LIBRARY to the path of libroster.so "
        "(tried " + "; ".join(tried) + ")"
    )


lib, path = _load()

# ---- Signatures ---------------------------------------------------------------------

_U32P = POINTER(c_uint32)
_SIZEP = POINTER(c_size_t)
# The guild and every array argument are passed as addresses (plain ints or
# None), so that no ctypes pointer object is made per call.
_G = c_void_p
_P = c_void_p

# name: (restype, argtypes), for every function of capi/roster.map.
SIGNATURES: Dict[str, Tuple[object, list]] = {
    # ROSTER_0.1
    "roster_version_number": (c_uint, []),
    "roster_version_string": (c_char_p, []),
    "roster_status_str": (c_char_p, [c_int]),
    "roster_guild_create": (c_int, [_P, _P]),
    "roster_guild_destroy": (None, [_G]),
    "roster_guild_set_everyone_view": (c_int, [_G, c_int]),
    "roster_guild_set_offline_threshold": (c_int, [_G, c_uint32]),
    "roster_guild_member_count": (c_int, [_P, _G]),
    "roster_batch_begin": (c_int, [_G]),
    "roster_batch_commit": (c_int, [_G]),
    "roster_guild_flush": (c_int, [_G]),
    "roster_role_upsert": (c_int, [_G, _P]),
    "roster_role_remove": (c_int, [_G, c_uint64]),
    "roster_roles_reorder": (c_int, [_G, _P, _P, c_size_t]),
    "roster_member_add": (c_int, [_G, c_uint64, c_char_p, c_size_t, _P, c_size_t, c_int]),
    "roster_member_upsert": (c_int, [_G, c_uint64, c_char_p, c_size_t, _P, c_size_t, c_int]),
    "roster_members_add": (c_int, [_G, _P, c_size_t]),
    "roster_members_add_at": (c_int, [_SIZEP, _G, _P, c_size_t]),
    "roster_member_remove": (c_int, [_G, c_uint64]),
    "roster_member_set_status": (c_int, [_G, c_uint64, c_int]),
    "roster_member_set_name": (c_int, [_G, c_uint64, c_char_p, c_size_t]),
    "roster_member_set_sort_key": (c_int, [_G, c_uint64, c_char_p, c_size_t]),
    "roster_member_set_roles": (c_int, [_G, c_uint64, _P, c_size_t]),
    "roster_member_add_role": (c_int, [_G, c_uint64, c_uint64]),
    "roster_member_remove_role": (c_int, [_G, c_uint64, c_uint64]),
    "roster_member_touch": (c_int, [_G, c_uint64]),
    "roster_events_apply": (c_int, [_G, _P, c_size_t, c_size_t, _P]),
    "roster_member_get": (
        c_int,
        [POINTER(RosterMemberInfo), _P, c_size_t, _SIZEP, _G, c_uint64],
    ),
    "roster_list_set": (c_int, [_G, c_uint64, POINTER(RosterListRule)]),
    "roster_list_remove": (c_int, [_G, c_uint64]),
    "roster_list_length": (c_int, [_U32P, _G, c_uint64]),
    "roster_list_counts": (c_int, [_U32P, _U32P, _G, c_uint64]),
    "roster_list_groups": (c_int, [_P, c_size_t, _SIZEP, _G, c_uint64]),
    "roster_list_rows": (c_int, [_P, c_size_t, _SIZEP, _G, c_uint64, c_uint32, c_uint32]),
    "roster_list_index_of": (c_int, [_U32P, _G, c_uint64, c_uint64]),
    "roster_list_can_view": (c_int, [POINTER(c_int), _G, c_uint64, c_uint64]),
    "roster_guild_set_frame_callback": (c_int, [_G, FRAME_FN, c_void_p]),
    "roster_session_subscribe": (c_int, [_G, c_uint64, c_uint64, _P, c_size_t]),
    "roster_session_remove": (c_int, [_G, c_uint64]),
    "roster_session_ranges": (c_int, [_P, c_size_t, _SIZEP, _G, c_uint64, c_uint64]),
    "roster_guild_session_count": (c_int, [_U32P, _G]),
    # ROSTER_0.2
    "roster_guild_stats": (c_int, [POINTER(RosterStats), _G]),
    "roster_guild_save": (c_int, [_G, c_uint32, WRITE_FN, c_void_p]),
    "roster_guild_load": (c_int, [_P, _P, READ_FN, c_void_p]),
    "roster_guild_load_buffer": (c_int, [_P, _P, c_char_p, c_size_t]),
    "roster_guild_set_frame_queue": (c_int, [_G, c_int]),
    "roster_guild_take_frames": (c_int, [POINTER(c_void_p), _SIZEP, _G]),
}


def _declare() -> None:
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    for name, (struct, size) in LAYOUT.items():
        if ctypes.sizeof(struct) != size:
            raise ImportError(
                f"{name} is {ctypes.sizeof(struct)} bytes here, not {size}: "
                "this binding supports 64-bit platforms only"
            )


_declare()

# ---- Reading and addressing memory ------------------------------------------------

addressof = ctypes.addressof
string_at = ctypes.string_at
sizeof = ctypes.sizeof
byref = ctypes.byref
memmove = ctypes.memmove
c_char = ctypes.c_char

# The process's address space as one byte memoryview (a ctypes array of
# sys.maxsize bytes at address 0, which is never read as a whole). Slicing
# it, memory[address:address + size], gives a memoryview of C memory in
# place, without a ctypes call or a new ctypes type per size: this is how
# the binding reads the arrays of a frame (roster/__init__.py, FrameView).
# Only ranges the library handed over (a pointer and its count) are ever
# sliced, and only while they are valid.
memory = memoryview((ctypes.c_char * sys.maxsize).from_address(0)).cast("B")
