"""ctypes against cffi (ABI mode: cffi.FFI().dlopen, no compiler) on roster's
hot paths: the measurement behind the binding's choice of FFI layer
(README.md, "ctypes or cffi").

Both layers run the same Python algorithm, each with its own primitives:

  micro  N single roster_member_set_status calls on a guild of 100,000
         members with no session (each call flushes; nothing is delivered),
         the status checked after each call as the package does; ctypes
         also checks the id's range (cffi's uint64_t conversion does).
  bench  the host benchmark (examples/c/bench.c, bench.py): events of the
         same LCG applied with roster_events_apply in calls of 1,000, the
         C array filled column by column; a frame callback that reads the
         frame in place (ops as columns, the rows of every op gathered into
         one buffer) and folds it into the same checksum. ctypes reads C
         memory through slices of one memoryview of the address space (as
         the package does), cffi through ffi.buffer().

Usage: ffi_compare.py {micro|bench} {ctypes|cffi} [N]
       (ROSTER_LIBRARY names the library; run.sh does not run this.)
Prints one line: FFICOMPARE case=... layer=... n=... seconds=...
us_per_call_or_event=... cpu_seconds=... checksum=... (bench: the checksum
must equal bench.c's for the same N). cffi is whatever `import cffi` gives:
compare Debian's python3-cffi with /usr/bin/python3.
"""

from __future__ import annotations

import os
import sys
import time
from array import array
from operator import xor
from typing import Any, Callable, Tuple

MEMBERS = 100000
SESSIONS = 1000
BATCH = 1000
MASK64 = 0xFFFFFFFFFFFFFFFF
EVENT_SIZE = 56
ROW = 24
OP = 24

CDEF = """
typedef struct roster_guild roster_guild;
typedef struct { void *a; void *r; void *d; void *u; } roster_allocator;
typedef struct {
    uint32_t size, offline_threshold, everyone_view, max_members, max_roles,
        max_roles_per_member, max_lists, max_overwrites, max_sort_key_bytes,
        chunk_size, max_ranges, max_range_span, max_session_lists, max_sessions,
        reserved;
    roster_allocator allocator;
    uint32_t tail_deletes;
} roster_config;
typedef struct { uint64_t id; int32_t position; uint32_t flags; } roster_role;
typedef struct {
    uint64_t id; const char *name; size_t name_len; const uint64_t *roles;
    size_t role_count; int32_t status;
} roster_member_spec;
typedef struct { uint32_t start, end; } roster_range;
typedef struct { uint32_t kind, count; uint64_t group, user; } roster_row;
typedef struct { uint64_t id; uint32_t count; } roster_group;
typedef struct {
    uint32_t kind, index, end, item_count; const roster_row *items;
} roster_op;
typedef struct {
    uint64_t list_id; uint32_t member_count, online_count;
    const roster_group *groups; size_t group_count;
    const roster_op *ops; size_t op_count;
} roster_frame;
typedef void (*roster_frame_fn)(const roster_frame *, const uint64_t *, size_t, void *);
int roster_guild_create(roster_guild **out, const roster_config *config);
void roster_guild_destroy(roster_guild *guild);
int roster_role_upsert(roster_guild *guild, const roster_role *role);
int roster_members_add(roster_guild *guild, const roster_member_spec *members, size_t count);
int roster_member_set_status(roster_guild *guild, uint64_t user_id, int status);
int roster_events_apply(roster_guild *guild, const void *events, size_t count,
                        size_t event_size, int *statuses);
int roster_guild_set_frame_callback(roster_guild *guild, roster_frame_fn fn, void *user_data);
int roster_session_subscribe(roster_guild *guild, uint64_t session_id, uint64_t list_id,
                             const roster_range *ranges, size_t range_count);
"""


def member_columns() -> Tuple[array, bytes, array, array, array, array]:
    """The members of bench.c as columns: ids, the names' text, name
    offsets and lengths, role ids (one per member, 0: none), statuses."""
    names = [f"m{i + 1}".encode() for i in range(MEMBERS)]
    offsets = array("Q", [0]) * MEMBERS
    at = 0
    for i, n in enumerate(names):
        offsets[i] = at
        at += len(n)
    ids = array("Q", range(1, MEMBERS + 1))
    lens = array("Q", map(len, names))
    roles = array("Q", [i % 10 + 1 if i % 3 == 0 else 0 for i in range(MEMBERS)])
    statuses = array("i", [(1, 2, 0, 0)[i % 4] for i in range(MEMBERS)])
    return ids, b"".join(names), offsets, lens, roles, statuses


def spec_buffer(text_address: int, roles_address: int) -> bytearray:
    """The roster_member_spec array of bench.c, filled column by column."""
    ids, _text, offsets, lens, roles, statuses = COLUMNS
    buf = bytearray(48 * MEMBERS)
    q = memoryview(buf).cast("Q")
    q[0::6] = ids
    q[1::6] = array("Q", [text_address + o for o in offsets])
    q[2::6] = lens
    q[3::6] = array("Q", [roles_address + 8 * i if r else 0 for i, r in enumerate(roles)])
    q[4::6] = array("Q", [1 if r else 0 for r in roles])
    memoryview(buf).cast("i")[10::12] = statuses
    return buf


COLUMNS = member_columns()


class Tally:
    def __init__(self) -> None:
        self.frames = self.ops = self.rows = self.checksum = 0


def fold(t: Tally, scalars: int, opu: memoryview, rows: memoryview, nops: int) -> None:
    """The checksum of bench.c from the frame's scalars, its ops as 32-bit
    words (6 per op) and all its rows' bytes."""
    s = scalars + 31 * sum(opu[0::6]) + 7 * sum(opu[1::6]) + sum(opu[2::6])
    if len(rows):
        q = rows.cast("Q")
        s += sum(map(xor, q[2::3], q[1::3])) + sum(rows.cast("I")[1::6])
        t.rows += len(q) // 3
    t.ops += nops
    t.frames += 1
    t.checksum += s


def events_buffer(n: int, x: int) -> Tuple[bytearray, int]:
    ids = [0] * n
    sts = [0] * n
    for k in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK64
        ids[k] = 1 + (x >> 33) % MEMBERS
        sts[k] = (x >> 13) % 4
    buf = bytearray(EVENT_SIZE * n)
    words = memoryview(buf)
    words.cast("I")[0::14] = array("I", [1]) * n
    words.cast("i")[1::14] = array("i", sts)
    words.cast("Q")[1::7] = array("Q", ids)
    return buf, x


# ---- ctypes ---------------------------------------------------------------------


def ctypes_layer() -> Tuple[Callable[..., Any], ...]:
    import ctypes
    from ctypes import c_int, c_size_t, c_uint64, c_void_p

    lib = ctypes.CDLL(os.environ["ROSTER_LIBRARY"])
    sig = {
        "roster_guild_create": [c_void_p, c_void_p],
        "roster_role_upsert": [c_void_p, c_void_p],
        "roster_members_add": [c_void_p, c_void_p, c_size_t],
        "roster_member_set_status": [c_void_p, c_uint64, c_int],
        "roster_events_apply": [c_void_p, c_void_p, c_size_t, c_size_t, c_void_p],
        "roster_guild_set_frame_callback": [c_void_p, c_void_p, c_void_p],
        "roster_session_subscribe": [c_void_p, c_uint64, c_uint64, c_void_p, c_size_t],
    }
    for name, argtypes in sig.items():
        getattr(lib, name).argtypes = argtypes
        getattr(lib, name).restype = c_int
    lib.roster_guild_destroy.argtypes = [c_void_p]
    lib.roster_guild_destroy.restype = None
    memory = memoryview((ctypes.c_char * sys.maxsize).from_address(0)).cast("B")
    frame_fn = ctypes.CFUNCTYPE(None, c_void_p, c_void_p, c_size_t, c_void_p)
    import struct

    unpack_frame = struct.Struct("<QIIQQQQ").unpack_from

    def check(rc: int) -> None:
        if rc:
            raise RuntimeError(f"status {rc}")

    def make_guild(with_members: bool) -> int:
        out = c_void_p()
        check(lib.roster_guild_create(ctypes.byref(out), None))
        g = out.value
        for i in range(10):
            role = (ctypes.c_uint64 * 2)(i + 1, (i + 1) | (1 << 32))  # position, HOIST
            check(lib.roster_role_upsert(g, ctypes.addressof(role)))
        if with_members:
            text = ctypes.create_string_buffer(COLUMNS[1], len(COLUMNS[1]))
            roles = COLUMNS[4]
            buf = spec_buffer(ctypes.addressof(text), roles.buffer_info()[0])
            addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
            check(lib.roster_members_add(g, addr, MEMBERS))
        return g

    def micro(n: int) -> Tuple[float, float, int]:
        g = make_guild(True)
        fn = lib.roster_member_set_status
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(n):
            uid = 1 + (i * 7919) % MEMBERS
            if not 0 <= uid <= MASK64:
                raise ValueError(uid)
            rc = fn(g, uid, i & 3)
            if rc:
                raise RuntimeError(rc)
        t1, c1 = time.perf_counter(), time.process_time()
        lib.roster_guild_destroy(g)
        return t1 - t0, c1 - c0, 0

    def bench(n: int) -> Tuple[float, float, int]:
        g = make_guild(True)
        t = Tally()

        def on_frame(frame, _sessions, _count, _user):
            list_id, mc, oc, _groups, _gc, ops, nops = unpack_frame(memory, frame)
            if nops:
                opb = memory[ops : ops + OP * nops]
                q = opb.cast("Q")
                u = opb.cast("I")
                parts = [memory[p : p + ROW * c] for p, c in zip(q[2::3], u[3::6]) if c]
                fold(t, list_id + mc + oc, u, memoryview(b"".join(parts)), nops)
            else:
                t.frames += 1
                t.checksum += list_id + mc + oc

        cb = frame_fn(on_frame)
        check(lib.roster_guild_set_frame_callback(g, cb, None))
        for i in range(1, SESSIONS + 1):
            c = 1 + (i * 7919) % (MEMBERS // 100 - 1)
            ranges = array("I", [0, 99, c * 100, c * 100 + 99])
            check(lib.roster_session_subscribe(g, i, 0, ranges.buffer_info()[0], 2))
        apply = lib.roster_events_apply
        x, done = 42, 0
        t0, c0 = time.perf_counter(), time.process_time()
        while done < n:
            k = min(BATCH, n - done)
            buf, x = events_buffer(k, x)
            check(apply(g, ctypes.addressof(ctypes.c_char.from_buffer(buf)), k, EVENT_SIZE, None))
            done += k
        t1, c1 = time.perf_counter(), time.process_time()
        lib.roster_guild_destroy(g)
        return t1 - t0, c1 - c0, t.checksum & MASK64

    return micro, bench


# ---- cffi (ABI mode) ----------------------------------------------------------------


def cffi_layer() -> Tuple[Callable[..., Any], ...]:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    lib = ffi.dlopen(os.environ["ROSTER_LIBRARY"])
    buffer = ffi.buffer

    def check(rc: int) -> None:
        if rc:
            raise RuntimeError(f"status {rc}")

    def make_guild(with_members: bool):
        out = ffi.new("roster_guild **")
        check(lib.roster_guild_create(out, ffi.NULL))
        g = out[0]
        for i in range(10):
            check(lib.roster_role_upsert(g, ffi.new("roster_role *", (i + 1, i + 1, 1))))
        if with_members:
            text = ffi.from_buffer(COLUMNS[1])
            roles = COLUMNS[4]
            rbuf = ffi.from_buffer("uint64_t[]", roles)
            buf = spec_buffer(int(ffi.cast("uintptr_t", text)), int(ffi.cast("uintptr_t", rbuf)))
            check(lib.roster_members_add(g, ffi.from_buffer("roster_member_spec[]", buf), MEMBERS))
        return g

    def micro(n: int) -> Tuple[float, float, int]:
        g = make_guild(True)
        fn = lib.roster_member_set_status
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(n):
            rc = fn(g, 1 + (i * 7919) % MEMBERS, i & 3)
            if rc:
                raise RuntimeError(rc)
        t1, c1 = time.perf_counter(), time.process_time()
        lib.roster_guild_destroy(g)
        return t1 - t0, c1 - c0, 0

    def bench(n: int) -> Tuple[float, float, int]:
        g = make_guild(True)
        t = Tally()

        @ffi.callback("roster_frame_fn")
        def on_frame(f, _sessions, _count, _user):
            nops = f.op_count
            scalars = f.list_id + f.member_count + f.online_count
            if nops:
                ops = f.ops
                opb = memoryview(buffer(ops, OP * nops))
                parts = [
                    buffer(op.items, ROW * op.item_count) for op in ops[0:nops] if op.item_count
                ]
                fold(t, scalars, opb.cast("I"), memoryview(b"".join(parts)), nops)
            else:
                t.frames += 1
                t.checksum += scalars

        check(lib.roster_guild_set_frame_callback(g, on_frame, ffi.NULL))
        for i in range(1, SESSIONS + 1):
            c = 1 + (i * 7919) % (MEMBERS // 100 - 1)
            ranges = ffi.new("roster_range[2]", [(0, 99), (c * 100, c * 100 + 99)])
            check(lib.roster_session_subscribe(g, i, 0, ranges, 2))
        apply = lib.roster_events_apply
        x, done = 42, 0
        t0, c0 = time.perf_counter(), time.process_time()
        while done < n:
            k = min(BATCH, n - done)
            buf, x = events_buffer(k, x)
            check(apply(g, ffi.from_buffer(buf), k, EVENT_SIZE, ffi.NULL))
            done += k
        t1, c1 = time.perf_counter(), time.process_time()
        lib.roster_guild_destroy(g)
        return t1 - t0, c1 - c0, t.checksum & MASK64

    return micro, bench


def main(argv: list) -> int:
    if len(argv) < 3 or argv[1] not in ("micro", "bench") or argv[2] not in ("ctypes", "cffi"):
        print(__doc__, file=sys.stderr)
        return 2
    case, layer = argv[1], argv[2]
    n = int(argv[3]) if len(argv) > 3 else (100000 if case == "micro" else 200000)
    micro, bench = ctypes_layer() if layer == "ctypes" else cffi_layer()
    seconds, cpu, checksum = (micro if case == "micro" else bench)(n)
    version = ""
    if layer == "cffi":
        import cffi

        version = f" cffi={cffi.__version__}"
    print(
        f"FFICOMPARE case={case} layer={layer}{version} python={sys.version.split()[0]} n={n} "
        f"seconds={seconds:.3f} us_per_call_or_event={seconds / n * 1e6:.2f} "
        f"cpu_seconds={cpu:.3f} checksum={checksum}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
