//! Raw FFI declarations of roster's C API (`include/roster/roster.h`): every
//! function that libroster exports (the version nodes `ROSTER_0.1` and
//! `ROSTER_0.2` of its linker map), every struct as a `#[repr(C)]` mirror
//! with the header's fields, types and order, the callback types, and the
//! constants and status codes of the header's macros and enums.
//!
//! Nothing here is safe to call by itself: the header's rules (valid
//! pointers, one thread at a time per guild, what may be called inside the
//! frame callback, who frees what) are the caller's to keep. The `roster`
//! crate wraps all of it in a safe API.
//!
//! The layouts are checked at compile time on 64-bit targets: size,
//! alignment and the offset and type of every field of every struct (a
//! mismatch fails the build).
//!
//! Linking: the build script finds libroster with the `pkg-config` program
//! (`pkg-config --libs roster`) and links it as a shared library. Point
//! `PKG_CONFIG_PATH` at the directory of an installed `roster.pc`, or at a
//! meson build root's `meson-uninstalled` directory to use a build tree.

#![allow(non_camel_case_types)]

use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_uint};

// ---- Version ------------------------------------------------------------------

/// The major version of the header these declarations mirror.
pub const ROSTER_VERSION_MAJOR: c_uint = 0;
/// The minor version of the header these declarations mirror.
pub const ROSTER_VERSION_MINOR: c_uint = 1;
/// The patch version of the header these declarations mirror.
pub const ROSTER_VERSION_PATCH: c_uint = 0;
/// major * 10000 + minor * 100 + patch (compare with `roster_version_number`).
pub const ROSTER_VERSION_NUMBER: c_uint =
    ROSTER_VERSION_MAJOR * 10000 + ROSTER_VERSION_MINOR * 100 + ROSTER_VERSION_PATCH;
/// The version of the header as a string.
pub const ROSTER_VERSION_STRING: &str = "0.1.0";

// ---- Status codes (`roster_status`) ----------------------------------------------

/// `roster_status`: what every call that can fail returns.
pub type roster_status = c_int;
/// Success.
pub const ROSTER_OK: roster_status = 0;
/// Invalid argument (null pointer, bad UTF-8, id 0, ...).
pub const ROSTER_EINVAL: roster_status = -1;
/// Unknown id.
pub const ROSTER_ENOTFOUND: roster_status = -2;
/// Already exists.
pub const ROSTER_EEXIST: roster_status = -3;
/// A configured limit would be exceeded.
pub const ROSTER_ELIMIT: roster_status = -4;
/// Out of memory.
pub const ROSTER_ENOMEM: roster_status = -5;
/// Called from inside this guild's own frame callback.
pub const ROSTER_EBUSY: roster_status = -6;
/// Damaged or truncated snapshot.
pub const ROSTER_ECORRUPT: roster_status = -7;
/// Snapshot of an incompatible format version.
pub const ROSTER_EVERSION: roster_status = -8;
/// A bug in roster; the guild is unchanged.
pub const ROSTER_EINTERNAL: roster_status = -9;
/// The change was made, but memory ran out while its frames were built or
/// delivered (the next flush brings every session up to date).
pub const ROSTER_EFLUSH: roster_status = -10;
/// A host's snapshot read or write callback failed.
pub const ROSTER_EIO: roster_status = -11;

// ---- Guild types and limits --------------------------------------------------------

/// The group id of ONLINE.
pub const ROSTER_GROUP_ONLINE: u64 = 0xFFFF_FFFF_FFFF_FFFE;
/// The group id of OFFLINE.
pub const ROSTER_GROUP_OFFLINE: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/// `roster_presence`: a member's status.
pub type roster_presence = c_int;
/// Offline (also what a host sends for "invisible").
pub const ROSTER_OFFLINE: roster_presence = 0;
/// Online.
pub const ROSTER_ONLINE: roster_presence = 1;
/// Idle (away).
pub const ROSTER_IDLE: roster_presence = 2;
/// Do not disturb.
pub const ROSTER_DND: roster_presence = 3;

/// Bound of `max_members`.
pub const ROSTER_MAX_MEMBERS: u32 = 268_435_456;
/// Bound of `max_roles`.
pub const ROSTER_MAX_ROLES: u32 = 65_536;
/// Bound of `max_roles_per_member`.
pub const ROSTER_MAX_ROLES_PER_MEMBER: u32 = 65_536;
/// Bound of `max_lists`.
pub const ROSTER_MAX_LISTS: u32 = 32_768;
/// Bound of `max_overwrites`.
pub const ROSTER_MAX_OVERWRITES: u32 = 65_536;
/// Bound of `max_sort_key_bytes`.
pub const ROSTER_MAX_SORT_KEY_BYTES: u32 = 4096;
/// Bound of `chunk_size`.
pub const ROSTER_MAX_CHUNK_SIZE: u32 = 10_000;
/// Bound of `max_ranges`.
pub const ROSTER_MAX_RANGES: u32 = 500;
/// Bound of `max_range_span`.
pub const ROSTER_MAX_RANGE_SPAN: u32 = 1_000_000;
/// Bound of `max_session_lists`.
pub const ROSTER_MAX_SESSION_LISTS: u32 = 64;
/// Bound of `max_sessions`.
pub const ROSTER_MAX_SESSIONS: u32 = 16_777_216;
/// A config needs `max_ranges * (max_range_span / chunk_size + 2)` at most this.
pub const ROSTER_MAX_SUBSCRIPTION_CHUNKS: u32 = 1000;

/// The opaque guild (`roster_guild`): only ever handled by pointer.
#[repr(C)]
pub struct roster_guild {
    _private: [u8; 0],
}

/// `roster_allocator`: a host's allocator hooks (`roster_config.allocator`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_allocator {
    /// malloc-like; `None`: no hooks.
    pub allocate: Option<unsafe extern "C" fn(size: usize, user_data: *mut c_void) -> *mut c_void>,
    /// realloc-like, or `None`.
    pub reallocate: Option<
        unsafe extern "C" fn(ptr: *mut c_void, size: usize, user_data: *mut c_void) -> *mut c_void,
    >,
    /// free-like; required when `allocate` is set.
    pub deallocate: Option<unsafe extern "C" fn(ptr: *mut c_void, user_data: *mut c_void)>,
    /// Passed to all three.
    pub user_data: *mut c_void,
}

impl roster_allocator {
    /// No hooks (all NULL), as in `ROSTER_CONFIG_INIT`.
    pub const NONE: roster_allocator = roster_allocator {
        allocate: None,
        reallocate: None,
        deallocate: None,
        user_data: std::ptr::null_mut(),
    };
}

/// `roster_config`: guild configuration. Start from [`roster_config::INIT`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_config {
    /// `sizeof(roster_config)`.
    pub size: u32,
    /// Offline shown while members < this (1000).
    pub offline_threshold: u32,
    /// 1: @everyone may VIEW the guild (1; 0 or 1).
    pub everyone_view: u32,
    /// (67,108,864; 1..`ROSTER_MAX_MEMBERS`)
    pub max_members: u32,
    /// Roles in the guild (1000; 1..`ROSTER_MAX_ROLES`).
    pub max_roles: u32,
    /// (256; 1..`ROSTER_MAX_ROLES_PER_MEMBER`)
    pub max_roles_per_member: u32,
    /// Lists besides list 0 (256; 0..`ROSTER_MAX_LISTS`).
    pub max_lists: u32,
    /// Role + member overwrites per list (1000; 0..`ROSTER_MAX_OVERWRITES`).
    pub max_overwrites: u32,
    /// Host sort keys (256; 1..`ROSTER_MAX_SORT_KEY_BYTES`).
    pub max_sort_key_bytes: u32,
    /// Rows per chunk ranges are widened to (100; 1..`ROSTER_MAX_CHUNK_SIZE`).
    pub chunk_size: u32,
    /// Ranges per subscription (3; 1..`ROSTER_MAX_RANGES`).
    pub max_ranges: u32,
    /// Rows one range may span before widening (300; 1..`ROSTER_MAX_RANGE_SPAN`).
    pub max_range_span: u32,
    /// Lists one session may subscribe to (5; 1..`ROSTER_MAX_SESSION_LISTS`).
    pub max_session_lists: u32,
    /// Sessions in the guild (1,048,576; 1..`ROSTER_MAX_SESSIONS`).
    pub max_sessions: u32,
    /// Must be 0.
    pub reserved: u32,
    /// Memory hooks (none: the C and C++ runtimes); since 0.2.
    pub allocator: roster_allocator,
}

impl roster_config {
    /// `ROSTER_CONFIG_INIT` (a macro in C, so its values are repeated here).
    pub const INIT: roster_config = roster_config {
        size: std::mem::size_of::<roster_config>() as u32,
        offline_threshold: 1000,
        everyone_view: 1,
        max_members: 67_108_864,
        max_roles: 1000,
        max_roles_per_member: 256,
        max_lists: 256,
        max_overwrites: 1000,
        max_sort_key_bytes: 256,
        chunk_size: 100,
        max_ranges: 3,
        max_range_span: 300,
        max_session_lists: 5,
        max_sessions: 1_048_576,
        reserved: 0,
        allocator: roster_allocator::NONE,
    };
}

// ---- Roles -------------------------------------------------------------------------

/// Members shown in the role's own section.
pub const ROSTER_ROLE_HOIST: u32 = 1;
/// The role grants VIEW at guild level.
pub const ROSTER_ROLE_VIEW: u32 = 2;
/// Sees everything.
pub const ROSTER_ROLE_ADMIN: u32 = 4;

/// `roster_role`: a role's settings.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct roster_role {
    /// Not 0, not a `ROSTER_GROUP_*` id.
    pub id: u64,
    /// Higher is shown first.
    pub position: i32,
    /// `ROSTER_ROLE_*`.
    pub flags: u32,
}

// ---- Members -----------------------------------------------------------------------

/// `roster_member_spec`: one new member of a bulk add.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_member_spec {
    /// The user id, not 0.
    pub id: u64,
    /// Display name: UTF-8, `name_len` bytes.
    pub name: *const c_char,
    /// 1..128.
    pub name_len: usize,
    /// May be NULL when `role_count` is 0.
    pub roles: *const u64,
    /// Entries of `roles`.
    pub role_count: usize,
    /// A `roster_presence`.
    pub status: i32,
}

/// Event kind of [`roster_event`]: status.
pub const ROSTER_EVENT_STATUS: u32 = 1;
/// Event kind: name, name_len.
pub const ROSTER_EVENT_NAME: u32 = 2;
/// Event kind: roles, role_count (the member's whole set).
pub const ROSTER_EVENT_ROLES: u32 = 3;
/// Event kind: role_id.
pub const ROSTER_EVENT_ADD_ROLE: u32 = 4;
/// Event kind: role_id.
pub const ROSTER_EVENT_REMOVE_ROLE: u32 = 5;
/// Event kind: no field.
pub const ROSTER_EVENT_TOUCH: u32 = 6;
/// Event kind: name, name_len, roles, role_count, status.
pub const ROSTER_EVENT_ADD: u32 = 7;
/// Event kind: as ADD; an existing member's data is replaced.
pub const ROSTER_EVENT_UPSERT: u32 = 8;
/// Event kind: no field.
pub const ROSTER_EVENT_REMOVE: u32 = 9;

/// `roster_event`: one member event of `roster_events_apply`; `kind` says
/// which fields it reads.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_event {
    /// `ROSTER_EVENT_*`.
    pub kind: u32,
    /// A `roster_presence`: STATUS, ADD, UPSERT.
    pub status: i32,
    /// The member; every kind.
    pub user_id: u64,
    /// NAME, ADD, UPSERT.
    pub name: *const c_char,
    /// Bytes of `name`.
    pub name_len: usize,
    /// ROLES, ADD, UPSERT; may be NULL when `role_count` is 0.
    pub roles: *const u64,
    /// Entries of `roles`.
    pub role_count: usize,
    /// ADD_ROLE, REMOVE_ROLE.
    pub role_id: u64,
}

impl roster_event {
    /// An event with every field zero or NULL (kind 0 is not a kind).
    pub const ZERO: roster_event = roster_event {
        kind: 0,
        status: 0,
        user_id: 0,
        name: std::ptr::null(),
        name_len: 0,
        roles: std::ptr::null(),
        role_count: 0,
        role_id: 0,
    };
}

/// `roster_member_info`: a member's data (`roster_member_get`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_member_info {
    /// The user id.
    pub id: u64,
    /// Display name, `name_len` bytes, not terminated; points into the guild.
    pub name: *const c_char,
    /// Bytes of `name`.
    pub name_len: usize,
    /// A `roster_presence`.
    pub status: i32,
    /// Its group: a role id or `ROSTER_GROUP_*`.
    pub group: u64,
}

// ---- Lists -------------------------------------------------------------------------

/// No overwrite for @everyone.
pub const ROSTER_OVERWRITE_NONE: i32 = 0;
/// @everyone may VIEW the list.
pub const ROSTER_OVERWRITE_ALLOW: i32 = 1;
/// @everyone may not VIEW the list.
pub const ROSTER_OVERWRITE_DENY: i32 = 2;

/// `roster_overwrite`: one overwrite of a list's rule.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct roster_overwrite {
    /// A role id (role overwrites) or user id (member overwrites).
    pub id: u64,
    /// 1 allow VIEW, 0 deny VIEW.
    pub allow: i32,
}

/// `roster_list_rule`: who may see a list. Start from [`roster_list_rule::INIT`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_list_rule {
    /// `sizeof(roster_list_rule)`.
    pub size: u32,
    /// `ROSTER_OVERWRITE_*` for @everyone.
    pub everyone: i32,
    /// Role overwrites (may be NULL when `role_count` is 0).
    pub roles: *const roster_overwrite,
    /// Entries of `roles`.
    pub role_count: usize,
    /// Member overwrites (may be NULL when `member_count` is 0).
    pub members: *const roster_overwrite,
    /// Entries of `members`.
    pub member_count: usize,
}

impl roster_list_rule {
    /// `ROSTER_LIST_RULE_INIT`: an empty rule.
    pub const INIT: roster_list_rule = roster_list_rule {
        size: std::mem::size_of::<roster_list_rule>() as u32,
        everyone: ROSTER_OVERWRITE_NONE,
        roles: std::ptr::null(),
        role_count: 0,
        members: std::ptr::null(),
        member_count: 0,
    };
}

/// A group's header row.
pub const ROSTER_ROW_HEADER: u32 = 0;
/// A member's row.
pub const ROSTER_ROW_MEMBER: u32 = 1;

/// `roster_row`: one row of a list, a group's header or a member.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct roster_row {
    /// `ROSTER_ROW_HEADER` or `ROSTER_ROW_MEMBER`.
    pub kind: u32,
    /// Header: members in its group; member: 0.
    pub count: u32,
    /// The group: a role id or `ROSTER_GROUP_*`.
    pub group: u64,
    /// Member: its user id; header: 0.
    pub user: u64,
}

/// `roster_group`: a group (section) that appears in a list.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct roster_group {
    /// A hoisted role's id or `ROSTER_GROUP_*`.
    pub id: u64,
    /// Members in it.
    pub count: u32,
}

// ---- Sessions, subscriptions and frames -------------------------------------------

/// `roster_range`: a range of rows a session subscribes to (both ends inclusive).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct roster_range {
    /// Inclusive.
    pub start: u32,
    /// Inclusive; may be below start (the ends are swapped).
    pub end: u32,
}

/// Op kind: rows [index, end], items = the rows that exist.
pub const ROSTER_OP_SYNC: u32 = 0;
/// Op kind: insert items\[0\] at index; later rows shift +1.
pub const ROSTER_OP_INSERT: u32 = 1;
/// Op kind: replace the row at index with items\[0\].
pub const ROSTER_OP_UPDATE: u32 = 2;
/// Op kind: remove the row at index; later rows shift -1.
pub const ROSTER_OP_DELETE: u32 = 3;
/// Op kind: the session no longer holds rows [index, end].
pub const ROSTER_OP_INVALIDATE: u32 = 4;

/// `roster_op`: one op of a frame.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_op {
    /// `ROSTER_OP_*`.
    pub kind: u32,
    /// The row, or the first row of a SYNC/INVALIDATE range.
    pub index: u32,
    /// SYNC/INVALIDATE: last row of the range; others: index.
    pub end: u32,
    /// SYNC: rows in items; INSERT/UPDATE: 1; DELETE/INVALIDATE: 0.
    pub item_count: u32,
    /// Header rows and member rows, as `roster_list_rows`.
    pub items: *const roster_row,
}

/// `roster_frame`: what a session receives after a flush for one list.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_frame {
    /// The list the frame is about.
    pub list_id: u64,
    /// As `roster_list_counts`.
    pub member_count: u32,
    /// As `roster_list_counts`.
    pub online_count: u32,
    /// Every group that appears, in order.
    pub groups: *const roster_group,
    /// Entries of `groups`.
    pub group_count: usize,
    /// The ops, in the order to apply them.
    pub ops: *const roster_op,
    /// May be 0: only the counts or groups changed.
    pub op_count: usize,
}

/// `roster_frame_fn`: receives one frame for `sessions[0..session_count)`;
/// everything it is given is valid only during the call. Nullable, hence
/// the `Option`.
pub type roster_frame_fn = Option<
    unsafe extern "C" fn(
        frame: *const roster_frame,
        sessions: *const u64,
        session_count: usize,
        user_data: *mut c_void,
    ),
>;

// ---- Operator statistics -------------------------------------------------------------

/// `roster_stats`: counters and sizes of a guild. Start from [`roster_stats::INIT`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct roster_stats {
    /// `sizeof(roster_stats)` as the caller was built with.
    pub size: u32,
    /// Members in the guild.
    pub members: u32,
    /// Lists, list 0 included.
    pub lists: u32,
    /// As `roster_guild_session_count`.
    pub sessions: u32,
    /// Distinct subscriptions.
    pub subscriptions: u64,
    /// Chunks some session holds, over all lists.
    pub chunks_held: u64,
    /// Bytes the guild holds, by its own accounting.
    pub memory_bytes: u64,
    /// Flushes run since the guild was made.
    pub flushes: u64,
    /// Frames delivered: calls of the frame callback.
    pub frames: u64,
    /// Frames x the sessions each was for.
    pub deliveries: u64,
    /// Ops in the delivered frames (once per frame).
    pub ops: u64,
    /// Rows (items) in the delivered frames (once per frame).
    pub rows: u64,
    /// The last flush's duration, the callback's time included.
    pub last_flush_ns: u64,
    /// The longest flush.
    pub max_flush_ns: u64,
}

impl roster_stats {
    /// `ROSTER_STATS_INIT`: size set, everything else 0.
    pub const INIT: roster_stats = roster_stats {
        size: std::mem::size_of::<roster_stats>() as u32,
        members: 0,
        lists: 0,
        sessions: 0,
        subscriptions: 0,
        chunks_held: 0,
        memory_bytes: 0,
        flushes: 0,
        frames: 0,
        deliveries: 0,
        ops: 0,
        rows: 0,
        last_flush_ns: 0,
        max_flush_ns: 0,
    };
}

// ---- Snapshots -------------------------------------------------------------------------

/// Flag of `roster_guild_save`: also write sessions and what their clients hold.
pub const ROSTER_SAVE_SESSIONS: u32 = 1;

/// `roster_write_fn`: receives the next `len` bytes of a snapshot; 0 goes on,
/// anything else stops the save (EIO).
pub type roster_write_fn =
    Option<unsafe extern "C" fn(data: *const c_void, len: usize, user_data: *mut c_void) -> c_int>;

/// `roster_read_fn`: fills `buf` with up to `cap` bytes and sets `*got` (0:
/// the bytes have ended); 0 on success, anything else stops the load (EIO).
pub type roster_read_fn = Option<
    unsafe extern "C" fn(
        buf: *mut c_void,
        cap: usize,
        got: *mut usize,
        user_data: *mut c_void,
    ) -> c_int,
>;

// ---- Layout checks ------------------------------------------------------------------------

/// Compile-time checks that every struct has the header's layout on 64-bit
/// targets (LP64 and LLP64 alike: `size_t` and pointers are 8 bytes, `int`
/// 4). Each check builds a probe value of the struct from the bytes 0, 1,
/// 2, ... and reads every field back as bytes: a field of the right type at
/// the right offset holds exactly the bytes numbered from its offset. This
/// works on Rust 1.63, which has no `offset_of!`.
#[cfg(target_pointer_width = "64")]
// Rust 1.63 does not see the uses inside the `const _` blocks below.
#[allow(dead_code)]
mod layout {
    use super::*;
    use std::mem::{align_of, size_of};

    /// A value and its bytes (N must be the value's size).
    #[repr(C)]
    union Bytes<T: Copy, const N: usize> {
        value: T,
        bytes: [u8; N],
    }

    /// The bytes 0, 1, 2, ..., N - 1 (every struct here is under 256 bytes).
    const fn counting<const N: usize>() -> [u8; N] {
        let mut bytes = [0u8; N];
        let mut i = 0;
        while i < N {
            bytes[i] = i as u8;
            i += 1;
        }
        bytes
    }

    /// Whether `bytes` are the probe's bytes from `offset` on.
    const fn at<const M: usize>(bytes: [u8; M], offset: usize) -> bool {
        let mut i = 0;
        while i < M {
            if bytes[i] as usize != offset + i {
                return false;
            }
            i += 1;
        }
        true
    }

    /// `check!(type, size, align, field @ offset: field_type, ...)`: every
    /// field of the struct must be listed (the size check catches a missing
    /// one only when it changes the size, so keep the lists complete).
    macro_rules! check {
        ($ty:ident, $size:literal, $align:literal, $($field:ident @ $off:literal: $fty:ty),+ $(,)?) => {
            const _: () = {
                assert!(size_of::<$ty>() == $size);
                assert!(align_of::<$ty>() == $align);
                // SAFETY: the structs hold only integers, raw pointers and
                // optional function pointers, made here from plain bytes and
                // never used as pointers: each field is read back as bytes.
                let probe: $ty = unsafe { Bytes::<$ty, $size> { bytes: counting::<$size>() }.value };
                $(
                    assert!(at(
                        unsafe { Bytes::<$fty, { size_of::<$fty>() }> { value: probe.$field }.bytes },
                        $off
                    ));
                )+
            };
        };
    }

    type AllocateFn = Option<unsafe extern "C" fn(usize, *mut c_void) -> *mut c_void>;
    type ReallocateFn =
        Option<unsafe extern "C" fn(*mut c_void, usize, *mut c_void) -> *mut c_void>;
    type DeallocateFn = Option<unsafe extern "C" fn(*mut c_void, *mut c_void)>;

    check!(roster_allocator, 32, 8,
        allocate @ 0: AllocateFn, reallocate @ 8: ReallocateFn,
        deallocate @ 16: DeallocateFn, user_data @ 24: *mut c_void);
    check!(roster_config, 96, 8,
        size @ 0: u32, offline_threshold @ 4: u32, everyone_view @ 8: u32,
        max_members @ 12: u32, max_roles @ 16: u32, max_roles_per_member @ 20: u32,
        max_lists @ 24: u32, max_overwrites @ 28: u32, max_sort_key_bytes @ 32: u32,
        chunk_size @ 36: u32, max_ranges @ 40: u32, max_range_span @ 44: u32,
        max_session_lists @ 48: u32, max_sessions @ 52: u32, reserved @ 56: u32,
        allocator @ 64: roster_allocator);
    check!(roster_role, 16, 8, id @ 0: u64, position @ 8: i32, flags @ 12: u32);
    check!(roster_member_spec, 48, 8,
        id @ 0: u64, name @ 8: *const c_char, name_len @ 16: usize,
        roles @ 24: *const u64, role_count @ 32: usize, status @ 40: i32);
    check!(roster_event, 56, 8,
        kind @ 0: u32, status @ 4: i32, user_id @ 8: u64, name @ 16: *const c_char,
        name_len @ 24: usize, roles @ 32: *const u64, role_count @ 40: usize,
        role_id @ 48: u64);
    check!(roster_member_info, 40, 8,
        id @ 0: u64, name @ 8: *const c_char, name_len @ 16: usize, status @ 24: i32,
        group @ 32: u64);
    check!(roster_overwrite, 16, 8, id @ 0: u64, allow @ 8: i32);
    check!(roster_list_rule, 40, 8,
        size @ 0: u32, everyone @ 4: i32, roles @ 8: *const roster_overwrite,
        role_count @ 16: usize, members @ 24: *const roster_overwrite,
        member_count @ 32: usize);
    check!(roster_row, 24, 8, kind @ 0: u32, count @ 4: u32, group @ 8: u64, user @ 16: u64);
    check!(roster_group, 16, 8, id @ 0: u64, count @ 8: u32);
    check!(roster_range, 8, 4, start @ 0: u32, end @ 4: u32);
    check!(roster_op, 24, 8,
        kind @ 0: u32, index @ 4: u32, end @ 8: u32, item_count @ 12: u32,
        items @ 16: *const roster_row);
    check!(roster_frame, 48, 8,
        list_id @ 0: u64, member_count @ 8: u32, online_count @ 12: u32,
        groups @ 16: *const roster_group, group_count @ 24: usize,
        ops @ 32: *const roster_op, op_count @ 40: usize);
    check!(roster_stats, 96, 8,
        size @ 0: u32, members @ 4: u32, lists @ 8: u32, sessions @ 12: u32,
        subscriptions @ 16: u64, chunks_held @ 24: u64, memory_bytes @ 32: u64,
        flushes @ 40: u64, frames @ 48: u64, deliveries @ 56: u64, ops @ 64: u64,
        rows @ 72: u64, last_flush_ns @ 80: u64, max_flush_ns @ 88: u64);
}

// ---- Functions --------------------------------------------------------------------------
//
// In the order of the header, but for the frame queue's two functions,
// which come last with the other 0.2 ones. Every function of the linker
// map (capi/roster.map, nodes ROSTER_0.1 and ROSTER_0.2) is here.

extern "C" {
    // Version and status.
    pub fn roster_version_number() -> c_uint;
    pub fn roster_version_string() -> *const c_char;
    pub fn roster_status_str(status: c_int) -> *const c_char;

    // Guilds.
    pub fn roster_guild_create(out: *mut *mut roster_guild, config: *const roster_config) -> c_int;
    pub fn roster_guild_destroy(guild: *mut roster_guild);
    pub fn roster_guild_set_everyone_view(guild: *mut roster_guild, view: c_int) -> c_int;
    pub fn roster_guild_set_offline_threshold(guild: *mut roster_guild, threshold: u32) -> c_int;
    pub fn roster_guild_member_count(out: *mut u32, guild: *const roster_guild) -> c_int;

    // Batches and flushing.
    pub fn roster_batch_begin(guild: *mut roster_guild) -> c_int;
    pub fn roster_batch_commit(guild: *mut roster_guild) -> c_int;
    pub fn roster_guild_flush(guild: *mut roster_guild) -> c_int;

    // Roles.
    pub fn roster_role_upsert(guild: *mut roster_guild, role: *const roster_role) -> c_int;
    pub fn roster_role_remove(guild: *mut roster_guild, role_id: u64) -> c_int;
    pub fn roster_roles_reorder(
        guild: *mut roster_guild,
        role_ids: *const u64,
        positions: *const i32,
        count: usize,
    ) -> c_int;

    // Members.
    pub fn roster_member_add(
        guild: *mut roster_guild,
        user_id: u64,
        name: *const c_char,
        name_len: usize,
        roles: *const u64,
        role_count: usize,
        status: c_int,
    ) -> c_int;
    pub fn roster_member_upsert(
        guild: *mut roster_guild,
        user_id: u64,
        name: *const c_char,
        name_len: usize,
        roles: *const u64,
        role_count: usize,
        status: c_int,
    ) -> c_int;
    pub fn roster_members_add(
        guild: *mut roster_guild,
        members: *const roster_member_spec,
        count: usize,
    ) -> c_int;
    pub fn roster_members_add_at(
        failed_index: *mut usize,
        guild: *mut roster_guild,
        members: *const roster_member_spec,
        count: usize,
    ) -> c_int;
    pub fn roster_member_remove(guild: *mut roster_guild, user_id: u64) -> c_int;
    pub fn roster_member_set_status(guild: *mut roster_guild, user_id: u64, status: c_int)
        -> c_int;
    pub fn roster_member_set_name(
        guild: *mut roster_guild,
        user_id: u64,
        name: *const c_char,
        name_len: usize,
    ) -> c_int;
    pub fn roster_member_set_sort_key(
        guild: *mut roster_guild,
        user_id: u64,
        key: *const c_void,
        key_len: usize,
    ) -> c_int;
    pub fn roster_member_set_roles(
        guild: *mut roster_guild,
        user_id: u64,
        roles: *const u64,
        role_count: usize,
    ) -> c_int;
    pub fn roster_member_add_role(guild: *mut roster_guild, user_id: u64, role_id: u64) -> c_int;
    pub fn roster_member_remove_role(guild: *mut roster_guild, user_id: u64, role_id: u64)
        -> c_int;
    pub fn roster_member_touch(guild: *mut roster_guild, user_id: u64) -> c_int;

    // Many member events in one call.
    pub fn roster_events_apply(
        guild: *mut roster_guild,
        events: *const roster_event,
        count: usize,
        event_size: usize,
        statuses: *mut c_int,
    ) -> c_int;
    pub fn roster_member_get(
        out: *mut roster_member_info,
        roles: *mut u64,
        cap: usize,
        role_count: *mut usize,
        guild: *const roster_guild,
        user_id: u64,
    ) -> c_int;

    // Lists.
    pub fn roster_list_set(
        guild: *mut roster_guild,
        list_id: u64,
        rule: *const roster_list_rule,
    ) -> c_int;
    pub fn roster_list_remove(guild: *mut roster_guild, list_id: u64) -> c_int;

    // Queries on a list.
    pub fn roster_list_length(out: *mut u32, guild: *const roster_guild, list_id: u64) -> c_int;
    pub fn roster_list_counts(
        member_count: *mut u32,
        online_count: *mut u32,
        guild: *const roster_guild,
        list_id: u64,
    ) -> c_int;
    pub fn roster_list_groups(
        out: *mut roster_group,
        cap: usize,
        count: *mut usize,
        guild: *const roster_guild,
        list_id: u64,
    ) -> c_int;
    pub fn roster_list_rows(
        out: *mut roster_row,
        cap: usize,
        count: *mut usize,
        guild: *const roster_guild,
        list_id: u64,
        start: u32,
        end: u32,
    ) -> c_int;
    pub fn roster_list_index_of(
        out: *mut u32,
        guild: *const roster_guild,
        list_id: u64,
        user_id: u64,
    ) -> c_int;
    pub fn roster_list_can_view(
        out: *mut c_int,
        guild: *const roster_guild,
        list_id: u64,
        user_id: u64,
    ) -> c_int;

    // Sessions, subscriptions and frames.
    pub fn roster_guild_set_frame_callback(
        guild: *mut roster_guild,
        f: roster_frame_fn,
        user_data: *mut c_void,
    ) -> c_int;
    pub fn roster_session_subscribe(
        guild: *mut roster_guild,
        session_id: u64,
        list_id: u64,
        ranges: *const roster_range,
        range_count: usize,
    ) -> c_int;
    pub fn roster_session_remove(guild: *mut roster_guild, session_id: u64) -> c_int;
    pub fn roster_session_ranges(
        out: *mut roster_range,
        cap: usize,
        count: *mut usize,
        guild: *const roster_guild,
        session_id: u64,
        list_id: u64,
    ) -> c_int;
    pub fn roster_guild_session_count(out: *mut u32, guild: *const roster_guild) -> c_int;

    // Operator statistics (since 0.2).
    pub fn roster_guild_stats(out: *mut roster_stats, guild: *const roster_guild) -> c_int;

    // Snapshots (since 0.2).
    pub fn roster_guild_save(
        guild: *mut roster_guild,
        flags: u32,
        write: roster_write_fn,
        user_data: *mut c_void,
    ) -> c_int;
    pub fn roster_guild_load(
        out: *mut *mut roster_guild,
        config: *const roster_config,
        read: roster_read_fn,
        user_data: *mut c_void,
    ) -> c_int;
    pub fn roster_guild_load_buffer(
        out: *mut *mut roster_guild,
        config: *const roster_config,
        data: *const c_void,
        len: usize,
    ) -> c_int;

    // The frame queue (since 0.2; in the header beside
    // roster_guild_set_frame_callback). The block a take hands out is a
    // sequence of records in the layout of docs/frames.md §12 (8-byte
    // aligned, native byte order), owned by the guild and valid, unchanged,
    // until the next take or roster_guild_destroy.
    pub fn roster_guild_set_frame_queue(guild: *mut roster_guild, enable: c_int) -> c_int;
    pub fn roster_guild_take_frames(
        data: *mut *const c_void,
        len: *mut usize,
        guild: *mut roster_guild,
    ) -> c_int;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr;

    #[test]
    fn the_linked_library_matches_the_header() {
        // SAFETY: pure functions; static, never-NULL strings.
        unsafe {
            assert_eq!(roster_version_number(), ROSTER_VERSION_NUMBER);
            let version = CStr::from_ptr(roster_version_string());
            assert_eq!(version.to_str(), Ok(ROSTER_VERSION_STRING));
            let text = CStr::from_ptr(roster_status_str(ROSTER_ENOTFOUND));
            assert!(!text.to_bytes().is_empty());
        }
    }

    #[test]
    fn a_guild_made_and_freed_through_the_raw_calls() {
        let mut guild: *mut roster_guild = ptr::null_mut();
        // SAFETY: valid out-pointer and config; the guild is destroyed once.
        unsafe {
            assert_eq!(
                roster_guild_create(&mut guild, &roster_config::INIT),
                ROSTER_OK
            );
            assert!(!guild.is_null());
            let mut n = 7;
            assert_eq!(roster_guild_member_count(&mut n, guild), ROSTER_OK);
            assert_eq!(n, 0);
            let mut stats = roster_stats::INIT;
            assert_eq!(roster_guild_stats(&mut stats, guild), ROSTER_OK);
            assert_eq!(stats.lists, 1);
            assert_eq!(roster_guild_set_frame_queue(guild, 1), ROSTER_OK);
            let mut data: *const c_void = ptr::null();
            let mut len = 1;
            assert_eq!(
                roster_guild_take_frames(&mut data, &mut len, guild),
                ROSTER_OK
            );
            assert_eq!(len, 0); // nothing queued
            roster_guild_destroy(guild);
        }
    }
}
