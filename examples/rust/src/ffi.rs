//! Raw declarations of the part of roster's C API (include/roster/roster.h)
//! that the safe wrapper uses. Every struct is `#[repr(C)]` with the fields,
//! types and order of the header; the sizes are checked at compile time
//! below (for 64-bit targets). Nothing here is safe to call directly: use
//! the wrapper in the crate root.

#![allow(non_camel_case_types)]

use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_uint};

/// Status codes (`roster_status`). Fixed forever: new ones may be added.
pub const ROSTER_OK: c_int = 0;
pub const ROSTER_EINVAL: c_int = -1;
pub const ROSTER_ENOTFOUND: c_int = -2;
pub const ROSTER_EEXIST: c_int = -3;
pub const ROSTER_ELIMIT: c_int = -4;
pub const ROSTER_ENOMEM: c_int = -5;
pub const ROSTER_EBUSY: c_int = -6;
pub const ROSTER_ECORRUPT: c_int = -7;
pub const ROSTER_EVERSION: c_int = -8;
pub const ROSTER_EINTERNAL: c_int = -9;
pub const ROSTER_EFLUSH: c_int = -10;
pub const ROSTER_EIO: c_int = -11;

/// The two reserved group ids.
pub const ROSTER_GROUP_ONLINE: u64 = 0xFFFF_FFFF_FFFF_FFFE;
pub const ROSTER_GROUP_OFFLINE: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/// `roster_presence`.
pub const ROSTER_OFFLINE: c_int = 0;
pub const ROSTER_ONLINE: c_int = 1;
pub const ROSTER_IDLE: c_int = 2;
pub const ROSTER_DND: c_int = 3;

/// `ROSTER_ROLE_*` flags.
pub const ROSTER_ROLE_HOIST: u32 = 1;
pub const ROSTER_ROLE_VIEW: u32 = 2;
pub const ROSTER_ROLE_ADMIN: u32 = 4;

/// `ROSTER_OVERWRITE_*`.
pub const ROSTER_OVERWRITE_NONE: i32 = 0;
pub const ROSTER_OVERWRITE_ALLOW: i32 = 1;
pub const ROSTER_OVERWRITE_DENY: i32 = 2;

/// `ROSTER_ROW_*`.
pub const ROSTER_ROW_HEADER: u32 = 0;
pub const ROSTER_ROW_MEMBER: u32 = 1;

/// `ROSTER_SAVE_*`: flags of `roster_guild_save`.
pub const ROSTER_SAVE_SESSIONS: u32 = 1;

/// `ROSTER_OP_*`.
pub const ROSTER_OP_SYNC: u32 = 0;
pub const ROSTER_OP_INSERT: u32 = 1;
pub const ROSTER_OP_UPDATE: u32 = 2;
pub const ROSTER_OP_DELETE: u32 = 3;
pub const ROSTER_OP_INVALIDATE: u32 = 4;

/// The opaque guild.
/// The signature shared by roster_member_add and roster_member_upsert.
pub type MemberFn = unsafe extern "C" fn(
    *mut roster_guild,
    u64,
    *const c_char,
    usize,
    *const u64,
    usize,
    c_int,
) -> c_int;

#[repr(C)]
pub struct roster_guild {
    _private: [u8; 0],
}

/// `roster_allocator`: a host's allocator hooks. The safe wrapper never sets
/// them (a guild uses the C and C++ runtimes' allocator); the struct is
/// here so that `roster_config` has the header's layout.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_allocator {
    pub allocate: Option<unsafe extern "C" fn(size: usize, user_data: *mut c_void) -> *mut c_void>,
    pub reallocate: Option<
        unsafe extern "C" fn(ptr: *mut c_void, size: usize, user_data: *mut c_void) -> *mut c_void,
    >,
    pub deallocate: Option<unsafe extern "C" fn(ptr: *mut c_void, user_data: *mut c_void)>,
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

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_config {
    pub size: u32,
    pub offline_threshold: u32,
    pub everyone_view: u32,
    pub max_members: u32,
    pub max_roles: u32,
    pub max_roles_per_member: u32,
    pub max_lists: u32,
    pub max_overwrites: u32,
    pub max_sort_key_bytes: u32,
    pub chunk_size: u32,
    pub max_ranges: u32,
    pub max_range_span: u32,
    pub max_session_lists: u32,
    pub max_sessions: u32,
    /// Must be 0.
    pub reserved: u32,
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

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_role {
    pub id: u64,
    pub position: i32,
    pub flags: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_overwrite {
    pub id: u64,
    pub allow: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_list_rule {
    pub size: u32,
    pub everyone: i32,
    pub roles: *const roster_overwrite,
    pub role_count: usize,
    pub members: *const roster_overwrite,
    pub member_count: usize,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_row {
    pub kind: u32,
    pub count: u32,
    pub group: u64,
    pub user: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_group {
    pub id: u64,
    pub count: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_range {
    pub start: u32,
    pub end: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_op {
    pub kind: u32,
    pub index: u32,
    pub end: u32,
    pub item_count: u32,
    pub items: *const roster_row,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_frame {
    pub list_id: u64,
    pub member_count: u32,
    pub online_count: u32,
    pub groups: *const roster_group,
    pub group_count: usize,
    pub ops: *const roster_op,
    pub op_count: usize,
}

/// `roster_stats`: a guild's counters and sizes (`roster_guild_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct roster_stats {
    pub size: u32,
    pub members: u32,
    pub lists: u32,
    pub sessions: u32,
    pub subscriptions: u64,
    pub chunks_held: u64,
    pub memory_bytes: u64,
    pub flushes: u64,
    pub frames: u64,
    pub deliveries: u64,
    pub ops: u64,
    pub rows: u64,
    pub last_flush_ns: u64,
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

/// `roster_write_fn`: receives the next bytes of a snapshot; 0 goes on.
pub type roster_write_fn =
    Option<unsafe extern "C" fn(data: *const c_void, len: usize, user_data: *mut c_void) -> c_int>;

/// `roster_frame_fn`: nullable, hence the `Option`.
pub type roster_frame_fn = Option<
    unsafe extern "C" fn(
        frame: *const roster_frame,
        sessions: *const u64,
        session_count: usize,
        user_data: *mut c_void,
    ),
>;

// The layouts of the header on 64-bit targets (a mismatch fails the build).
#[cfg(target_pointer_width = "64")]
const _: () = {
    use std::mem::size_of;
    assert!(size_of::<roster_allocator>() == 32);
    assert!(size_of::<roster_config>() == 96);
    assert!(size_of::<roster_stats>() == 96);
    assert!(size_of::<roster_role>() == 16);
    assert!(size_of::<roster_overwrite>() == 16);
    assert!(size_of::<roster_list_rule>() == 40);
    assert!(size_of::<roster_row>() == 24);
    assert!(size_of::<roster_group>() == 16);
    assert!(size_of::<roster_range>() == 8);
    assert!(size_of::<roster_op>() == 24);
    assert!(size_of::<roster_frame>() == 48);
};

extern "C" {
    pub fn roster_version_number() -> c_uint;
    pub fn roster_version_string() -> *const c_char;
    pub fn roster_status_str(status: c_int) -> *const c_char;

    pub fn roster_guild_create(out: *mut *mut roster_guild, config: *const roster_config) -> c_int;
    pub fn roster_guild_destroy(guild: *mut roster_guild);
    pub fn roster_guild_member_count(out: *mut u32, guild: *const roster_guild) -> c_int;
    pub fn roster_guild_session_count(out: *mut u32, guild: *const roster_guild) -> c_int;
    pub fn roster_guild_stats(out: *mut roster_stats, guild: *const roster_guild) -> c_int;
    pub fn roster_guild_set_frame_callback(
        guild: *mut roster_guild,
        f: roster_frame_fn,
        user_data: *mut c_void,
    ) -> c_int;

    pub fn roster_batch_begin(guild: *mut roster_guild) -> c_int;
    pub fn roster_batch_commit(guild: *mut roster_guild) -> c_int;

    pub fn roster_role_upsert(guild: *mut roster_guild, role: *const roster_role) -> c_int;
    pub fn roster_role_remove(guild: *mut roster_guild, role_id: u64) -> c_int;

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
    pub fn roster_member_remove(guild: *mut roster_guild, user_id: u64) -> c_int;
    pub fn roster_member_set_status(guild: *mut roster_guild, user_id: u64, status: c_int)
        -> c_int;
    pub fn roster_member_set_name(
        guild: *mut roster_guild,
        user_id: u64,
        name: *const c_char,
        name_len: usize,
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

    pub fn roster_list_set(
        guild: *mut roster_guild,
        list_id: u64,
        rule: *const roster_list_rule,
    ) -> c_int;
    pub fn roster_list_remove(guild: *mut roster_guild, list_id: u64) -> c_int;

    pub fn roster_session_subscribe(
        guild: *mut roster_guild,
        session_id: u64,
        list_id: u64,
        ranges: *const roster_range,
        range_count: usize,
    ) -> c_int;
    pub fn roster_session_remove(guild: *mut roster_guild, session_id: u64) -> c_int;

    pub fn roster_guild_save(
        guild: *mut roster_guild,
        flags: u32,
        write: roster_write_fn,
        user_data: *mut c_void,
    ) -> c_int;
    pub fn roster_guild_load_buffer(
        out: *mut *mut roster_guild,
        config: *const roster_config,
        data: *const c_void,
        len: usize,
    ) -> c_int;
}
