//! A safe Rust wrapper over roster's C API (include/roster/roster.h), covering
//! what the host example needs: a guild, its roles, members and lists,
//! session subscriptions, batches, the frame callback, snapshots
//! ([`Guild::save`], [`Guild::load`]) and statistics ([`Guild::stats`]).
//!
//! - [`Guild`] owns a `roster_guild` and destroys it on drop.
//! - Every call that can fail returns [`Result`]; an [`Error`] carries the C
//!   status code and its `roster_status_str` text.
//! - The frame callback is a Rust closure, `FnMut(&Frame)`. Everything the C
//!   callback is handed is valid only during the call, so the wrapper copies
//!   it into an owned [`Frame`] (plain `Vec`s and enums) before calling the
//!   closure: user code never sees a pointer into the library.
//! - A panic in the closure is caught at the FFI boundary (unwinding through
//!   C is not allowed), the rest of that flush's frames are dropped, and the
//!   panic resumes in the caller once the guild call has returned.

pub mod ffi;

use std::any::Any;
use std::ffi::{c_void, CStr};
use std::fmt;
use std::io::Write;
use std::ops::RangeInclusive;
use std::os::raw::{c_char, c_int};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::time::Duration;

// ---- Errors ----------------------------------------------------------------

/// A failed roster call: the status code (one of `ffi::ROSTER_E*`, always
/// negative) and the library's name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    code: i32,
    message: &'static str,
}

impl Error {
    /// The error for a (non-zero) status code.
    pub fn from_code(code: i32) -> Error {
        Error {
            code,
            message: status_str(code),
        }
    }

    /// The C status code, e.g. -2 (`ROSTER_ENOTFOUND`).
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The library's text for the code, e.g. "not found".
    pub fn message(&self) -> &'static str {
        self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "roster: {} (status {})", self.message, self.code)
    }
}

impl std::error::Error for Error {}

/// The result of a roster call.
pub type Result<T> = std::result::Result<T, Error>;

/// Turns a C status into a `Result`.
fn check(status: c_int) -> Result<()> {
    if status == ffi::ROSTER_OK {
        Ok(())
    } else {
        Err(Error::from_code(status))
    }
}

/// The library's name of a status code ("ok", "invalid argument", ...;
/// "unknown status" for a code it does not know).
pub fn status_str(code: i32) -> &'static str {
    // SAFETY: roster_status_str never returns NULL and its strings are static.
    let text = unsafe { CStr::from_ptr(ffi::roster_status_str(code)) };
    text.to_str().unwrap_or("unknown status")
}

/// The version of the linked library, e.g. "0.1.0".
pub fn version() -> &'static str {
    // SAFETY: a static, never-NULL string.
    let text = unsafe { CStr::from_ptr(ffi::roster_version_string()) };
    text.to_str().unwrap_or("")
}

/// The version of the linked library as major * 10000 + minor * 100 + patch.
pub fn version_number() -> u32 {
    // SAFETY: a pure function without arguments.
    unsafe { ffi::roster_version_number() }
}

// ---- Guild configuration and inputs -------------------------------------------

/// Guild configuration; `Config::default()` is the header's `ROSTER_CONFIG_INIT`.
///
/// The allocator hooks of `roster_config` are not exposed: the guild always
/// uses the C and C++ runtimes' allocator (`allocator` unset, `reserved` 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub offline_threshold: u32,
    pub everyone_view: bool,
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
}

impl Default for Config {
    fn default() -> Config {
        let c = ffi::roster_config::INIT;
        Config {
            offline_threshold: c.offline_threshold,
            everyone_view: c.everyone_view != 0,
            max_members: c.max_members,
            max_roles: c.max_roles,
            max_roles_per_member: c.max_roles_per_member,
            max_lists: c.max_lists,
            max_overwrites: c.max_overwrites,
            max_sort_key_bytes: c.max_sort_key_bytes,
            chunk_size: c.chunk_size,
            max_ranges: c.max_ranges,
            max_range_span: c.max_range_span,
            max_session_lists: c.max_session_lists,
            max_sessions: c.max_sessions,
        }
    }
}

impl Config {
    fn to_raw(self) -> ffi::roster_config {
        ffi::roster_config {
            size: ffi::roster_config::INIT.size,
            offline_threshold: self.offline_threshold,
            everyone_view: u32::from(self.everyone_view),
            max_members: self.max_members,
            max_roles: self.max_roles,
            max_roles_per_member: self.max_roles_per_member,
            max_lists: self.max_lists,
            max_overwrites: self.max_overwrites,
            max_sort_key_bytes: self.max_sort_key_bytes,
            chunk_size: self.chunk_size,
            max_ranges: self.max_ranges,
            max_range_span: self.max_range_span,
            max_session_lists: self.max_session_lists,
            max_sessions: self.max_sessions,
            reserved: 0,
            allocator: ffi::roster_allocator::NONE,
        }
    }
}

/// A guild's counters and sizes, for monitoring (`roster_stats`). The
/// counters count from the guild's creation; a loaded guild's start at 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Members in the guild.
    pub members: u32,
    /// Lists, list 0 included.
    pub lists: u32,
    /// As [`Guild::session_count`].
    pub sessions: u32,
    /// Distinct subscriptions (each gets one frame per flush).
    pub subscriptions: u64,
    /// Chunks some session holds, over all lists.
    pub chunks_held: u64,
    /// Bytes the guild holds, by its own accounting (not the RSS).
    pub memory_bytes: u64,
    /// Flushes run.
    pub flushes: u64,
    /// Frames delivered: calls of the frame callback.
    pub frames: u64,
    /// Frames times the sessions each was for.
    pub deliveries: u64,
    /// Ops in the delivered frames (once per frame).
    pub ops: u64,
    /// Rows (items) in the delivered frames (once per frame).
    pub rows: u64,
    /// The last flush's duration, the callback's time included.
    pub last_flush: Duration,
    /// The longest flush.
    pub max_flush: Duration,
}

impl Stats {
    fn from_raw(s: &ffi::roster_stats) -> Stats {
        Stats {
            members: s.members,
            lists: s.lists,
            sessions: s.sessions,
            subscriptions: s.subscriptions,
            chunks_held: s.chunks_held,
            memory_bytes: s.memory_bytes,
            flushes: s.flushes,
            frames: s.frames,
            deliveries: s.deliveries,
            ops: s.ops,
            rows: s.rows,
            last_flush: Duration::from_nanos(s.last_flush_ns),
            max_flush: Duration::from_nanos(s.max_flush_ns),
        }
    }
}

/// A flag of [`Guild::save`]: also write the sessions and what their clients
/// hold, so that they go on receiving incremental ops from the loaded guild.
/// Without it the loaded guild has no sessions (clients subscribe again).
pub const SAVE_SESSIONS: u32 = ffi::ROSTER_SAVE_SESSIONS;

/// A member's presence (`roster_presence`). Send `Offline` for "invisible".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Presence {
    Offline,
    Online,
    Idle,
    Dnd,
}

impl Presence {
    fn to_raw(self) -> c_int {
        match self {
            Presence::Offline => ffi::ROSTER_OFFLINE,
            Presence::Online => ffi::ROSTER_ONLINE,
            Presence::Idle => ffi::ROSTER_IDLE,
            Presence::Dnd => ffi::ROSTER_DND,
        }
    }
}

/// A role's settings (`roster_role`); `flags` is a combination of
/// `Role::HOIST`, `Role::VIEW` and `Role::ADMIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Role {
    pub id: u64,
    /// Higher is shown first.
    pub position: i32,
    pub flags: u32,
}

impl Role {
    /// Members are shown in the role's own section.
    pub const HOIST: u32 = ffi::ROSTER_ROLE_HOIST;
    /// The role grants VIEW at guild level.
    pub const VIEW: u32 = ffi::ROSTER_ROLE_VIEW;
    /// Holders see everything.
    pub const ADMIN: u32 = ffi::ROSTER_ROLE_ADMIN;

    pub fn new(id: u64, position: i32, flags: u32) -> Role {
        Role {
            id,
            position,
            flags,
        }
    }
}

/// A VIEW overwrite of a list for one role or one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overwrite {
    /// A role id (role overwrites) or a user id (member overwrites).
    pub id: u64,
    pub allow: bool,
}

impl Overwrite {
    pub fn allow(id: u64) -> Overwrite {
        Overwrite { id, allow: true }
    }

    pub fn deny(id: u64) -> Overwrite {
        Overwrite { id, allow: false }
    }
}

/// Who may see a list (`roster_list_rule`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListRule {
    /// The @everyone overwrite: `None` (no overwrite), allow or deny.
    pub everyone: Option<bool>,
    pub roles: Vec<Overwrite>,
    pub members: Vec<Overwrite>,
}

// ---- Frames (owned copies of the callback's data) -----------------------------

/// A group: a hoisted role's section, or one of the two reserved groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupId {
    Role(u64),
    Online,
    Offline,
}

impl GroupId {
    pub fn from_raw(id: u64) -> GroupId {
        match id {
            ffi::ROSTER_GROUP_ONLINE => GroupId::Online,
            ffi::ROSTER_GROUP_OFFLINE => GroupId::Offline,
            role => GroupId::Role(role),
        }
    }
}

/// One group of a list, with the number of its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub count: u32,
}

/// One row of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// A group's header, with the number of members in the group.
    Header { group: GroupId, count: u32 },
    /// A member, with the group it is shown in.
    Member { user: u64, group: GroupId },
}

impl Row {
    fn from_raw(row: &ffi::roster_row) -> Row {
        if row.kind == ffi::ROSTER_ROW_HEADER {
            Row::Header {
                group: GroupId::from_raw(row.group),
                count: row.count,
            }
        } else {
            Row::Member {
                user: row.user,
                group: GroupId::from_raw(row.group),
            }
        }
    }
}

/// One op of a frame (docs/frames.md §4). Indices are rows over the whole list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Rows `start..=end` are `rows` (fewer at the list's end); no shifting.
    Sync {
        start: u32,
        end: u32,
        rows: Vec<Row>,
    },
    /// Insert `row` at `index`; later rows shift down by one.
    Insert { index: u32, row: Row },
    /// Replace the row at `index`.
    Update { index: u32, row: Row },
    /// Remove the row at `index`; later rows shift up by one.
    Delete { index: u32 },
    /// The session no longer holds rows `start..=end`.
    Invalidate { start: u32, end: u32 },
    /// An op this wrapper does not know (a newer library), as received.
    Unknown { kind: u32, index: u32, end: u32 },
}

/// One frame, for one list and one or more sessions with identical
/// subscriptions. An owned copy: keep it as long as you like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub list_id: u64,
    /// The sessions the frame is for, in the order the library gave them.
    pub sessions: Vec<u64>,
    /// Members visible in the list, and those of them not offline.
    pub member_count: u32,
    pub online_count: u32,
    /// Every group that appears in the list, in order.
    pub groups: Vec<Group>,
    /// The ops that bring the sessions' rows up to date, in order.
    pub ops: Vec<Op>,
}

/// A borrowed C array as a slice (empty when the pointer is NULL).
///
/// # Safety
/// Unless NULL, `ptr` must point to `len` valid `T`s for the lifetime `'a`.
unsafe fn c_slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

impl Op {
    /// # Safety
    /// `op.items` must hold `op.item_count` rows.
    unsafe fn from_raw(op: &ffi::roster_op) -> Op {
        let items = c_slice(op.items, op.item_count as usize);
        match (op.kind, items.first()) {
            (ffi::ROSTER_OP_SYNC, _) => Op::Sync {
                start: op.index,
                end: op.end,
                rows: items.iter().map(Row::from_raw).collect(),
            },
            (ffi::ROSTER_OP_INSERT, Some(row)) => Op::Insert {
                index: op.index,
                row: Row::from_raw(row),
            },
            (ffi::ROSTER_OP_UPDATE, Some(row)) => Op::Update {
                index: op.index,
                row: Row::from_raw(row),
            },
            (ffi::ROSTER_OP_DELETE, _) => Op::Delete { index: op.index },
            (ffi::ROSTER_OP_INVALIDATE, _) => Op::Invalidate {
                start: op.index,
                end: op.end,
            },
            // Unknown kinds, and an INSERT or UPDATE without its row.
            (kind, _) => Op::Unknown {
                kind,
                index: op.index,
                end: op.end,
            },
        }
    }
}

impl Frame {
    /// Copies a frame out of the callback's arguments.
    ///
    /// # Safety
    /// The arguments must be those of a `roster_frame_fn` call, still running.
    unsafe fn copy_from(frame: &ffi::roster_frame, sessions: *const u64, count: usize) -> Frame {
        Frame {
            list_id: frame.list_id,
            sessions: c_slice(sessions, count).to_vec(),
            member_count: frame.member_count,
            online_count: frame.online_count,
            groups: c_slice(frame.groups, frame.group_count)
                .iter()
                .map(|g| Group {
                    id: GroupId::from_raw(g.id),
                    count: g.count,
                })
                .collect(),
            ops: c_slice(frame.ops, frame.op_count)
                .iter()
                .map(|op| Op::from_raw(op))
                .collect(),
        }
    }
}

// ---- The frame callback ----------------------------------------------------------

/// What the C callback's `user_data` points to: the user's closure and a
/// panic caught in it, waiting to be resumed.
struct Callback {
    f: Box<dyn FnMut(&Frame)>,
    panic: Option<Box<dyn Any + Send + 'static>>,
}

/// The `roster_frame_fn` given to the library: copies the frame and calls
/// the closure. No panic unwinds out of it.
unsafe extern "C" fn on_frame(
    frame: *const ffi::roster_frame,
    sessions: *const u64,
    session_count: usize,
    user_data: *mut c_void,
) {
    // SAFETY: user_data is the Callback the Guild registered; it lives until
    // the callback is replaced or the guild is destroyed, and nothing else
    // touches it while a guild call (hence this callback) runs.
    let state = &mut *(user_data as *mut Callback);
    if state.panic.is_some() || frame.is_null() {
        return; // an earlier frame of this flush panicked: drop the rest
    }
    let f = &mut state.f;
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the library's arguments, valid during this call.
        let frame = Frame::copy_from(&*frame, sessions, session_count);
        f(&frame);
    }));
    if let Err(payload) = result {
        state.panic = Some(payload);
    }
}

// ---- Saving ------------------------------------------------------------------------

/// What the C write callback's `user_data` points to during a save: the
/// writer, and a panic caught in it, waiting to be resumed.
struct SaveSink<'a> {
    out: &'a mut dyn Write,
    panic: Option<Box<dyn Any + Send + 'static>>,
}

/// The `roster_write_fn` given to the library: hands the bytes to the
/// writer. No panic unwinds out of it.
unsafe extern "C" fn on_write(data: *const c_void, len: usize, user_data: *mut c_void) -> c_int {
    // SAFETY: user_data is the SaveSink of the running Guild::save_to.
    let sink = &mut *(user_data as *mut SaveSink<'_>);
    // SAFETY: the library's bytes, valid during this call.
    let bytes = c_slice(data as *const u8, len);
    let out = &mut sink.out;
    match panic::catch_unwind(AssertUnwindSafe(|| out.write_all(bytes))) {
        Ok(Ok(())) => 0,
        Ok(Err(_)) => -1, // the save stops with ROSTER_EIO
        Err(payload) => {
            sink.panic = Some(payload);
            -1
        }
    }
}

// ---- The guild ---------------------------------------------------------------------

/// A guild: its members, roles, lists and sessions. Destroyed on drop.
///
/// Every method that changes the guild or a subscription delivers the frames
/// it causes to the frame callback before it returns (at `batch_commit`
/// inside a batch). The callback cannot reach the guild (it would need a
/// second `&mut`), so the library's EBUSY cannot happen through this type.
pub struct Guild {
    raw: NonNull<ffi::roster_guild>,
    /// The registered callback (from `Box::into_raw`), or NULL.
    callback: *mut Callback,
}

impl Guild {
    /// Creates an empty guild (list 0, "everyone", exists from the start).
    pub fn new(config: &Config) -> Result<Guild> {
        let raw_config = config.to_raw();
        let mut out: *mut ffi::roster_guild = ptr::null_mut();
        // SAFETY: valid out-pointer and config.
        check(unsafe { ffi::roster_guild_create(&mut out, &raw_config) })?;
        let raw = NonNull::new(out).ok_or_else(|| Error::from_code(ffi::ROSTER_EINTERNAL))?;
        Ok(Guild {
            raw,
            callback: ptr::null_mut(),
        })
    }

    /// Creates a guild from a snapshot in memory (`roster_guild_load_buffer`;
    /// `data` is not kept). `config` gives the limits (`None`: the
    /// defaults); the settings come from the snapshot (its offline
    /// threshold, @everyone's VIEW and chunk size, not the config's). The
    /// guild is like one from [`Guild::new`] but has no frame callback: set
    /// one with [`Guild::set_frame_callback`]. Loading delivers no frame.
    /// Errors: `ROSTER_ECORRUPT` (damaged or truncated bytes),
    /// `ROSTER_EVERSION`, `ROSTER_ELIMIT` (the snapshot exceeds a limit of
    /// the config), `ROSTER_EINVAL` (a config `new` refuses), `ROSTER_ENOMEM`.
    pub fn load(data: &[u8], config: Option<&Config>) -> Result<Guild> {
        let raw_config = config.map(|c| c.to_raw());
        let config_ptr = raw_config
            .as_ref()
            .map_or(ptr::null(), |c| c as *const ffi::roster_config);
        let mut out: *mut ffi::roster_guild = ptr::null_mut();
        // SAFETY: valid out-pointer, config (or NULL) and bytes (NULL when empty).
        check(unsafe {
            ffi::roster_guild_load_buffer(
                &mut out,
                config_ptr,
                ptr_or_null(data) as *const c_void,
                data.len(),
            )
        })?;
        let raw = NonNull::new(out).ok_or_else(|| Error::from_code(ffi::ROSTER_EINTERNAL))?;
        Ok(Guild {
            raw,
            callback: ptr::null_mut(),
        })
    }

    /// The guild's snapshot (`roster_guild_save`) as bytes; see
    /// [`Guild::save_to`].
    pub fn save(&mut self, flags: u32) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.save_to(flags, &mut bytes)?;
        Ok(bytes)
    }

    /// Writes the guild's snapshot to `out`, in pieces (no second copy of
    /// the guild is made). `flags`: 0 or [`SAVE_SESSIONS`]. Saving flushes
    /// first, so frames still owed after a `ROSTER_EFLUSH` are delivered;
    /// the guild is not changed. Errors: `ROSTER_EIO` when `out` fails (its
    /// `io::Error` is not kept; what was written is then not a snapshot),
    /// `ROSTER_EINVAL` (unknown flags, inside a batch), `ROSTER_EFLUSH`,
    /// `ROSTER_ENOMEM`. A panic in `out` resumes once the library has
    /// returned.
    pub fn save_to<W: Write>(&mut self, flags: u32, out: &mut W) -> Result<()> {
        let mut sink = SaveSink { out, panic: None };
        let user_data = &mut sink as *mut SaveSink<'_> as *mut c_void;
        // SAFETY: sink outlives the call; on_write is its only user.
        let result =
            self.call(|g| unsafe { ffi::roster_guild_save(g, flags, Some(on_write), user_data) });
        if let Some(payload) = sink.panic.take() {
            panic::resume_unwind(payload);
        }
        result
    }

    /// Sets the frame callback, replacing any previous one. The closure gets
    /// an owned copy of every frame (see [`Frame`]). Should it panic, the
    /// panic resumes in the guild method that caused the frame, once the
    /// library has finished that call.
    pub fn set_frame_callback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&Frame) + 'static,
    {
        let state = Box::into_raw(Box::new(Callback {
            f: Box::new(f),
            panic: None,
        }));
        // SAFETY: state stays valid until replaced or the guild is dropped.
        let status = unsafe {
            ffi::roster_guild_set_frame_callback(
                self.raw.as_ptr(),
                Some(on_frame),
                state as *mut c_void,
            )
        };
        if let Err(err) = check(status) {
            // SAFETY: the library did not take it; we still own it.
            drop(unsafe { Box::from_raw(state) });
            return Err(err);
        }
        self.free_callback();
        self.callback = state;
        Ok(())
    }

    /// Removes the frame callback: frames are computed and dropped.
    pub fn clear_frame_callback(&mut self) -> Result<()> {
        // SAFETY: a valid guild; NULL clears.
        check(unsafe {
            ffi::roster_guild_set_frame_callback(self.raw.as_ptr(), None, ptr::null_mut())
        })?;
        self.free_callback();
        Ok(())
    }

    fn free_callback(&mut self) {
        if !self.callback.is_null() {
            // SAFETY: from Box::into_raw, and no longer registered.
            drop(unsafe { Box::from_raw(self.callback) });
            self.callback = ptr::null_mut();
        }
    }

    /// Runs one C call on the guild: resumes a panic caught in the frame
    /// callback during it, then turns its status into a `Result`.
    fn call(&mut self, f: impl FnOnce(*mut ffi::roster_guild) -> c_int) -> Result<()> {
        let status = f(self.raw.as_ptr());
        if !self.callback.is_null() {
            // SAFETY: ours, and the C call (hence the callback) has returned.
            let state = unsafe { &mut *self.callback };
            if let Some(payload) = state.panic.take() {
                panic::resume_unwind(payload);
            }
        }
        check(status)
    }

    /// Number of members in the guild.
    pub fn member_count(&self) -> Result<u32> {
        let mut n = 0;
        // SAFETY: valid out-pointer and guild.
        check(unsafe { ffi::roster_guild_member_count(&mut n, self.raw.as_ptr()) })?;
        Ok(n)
    }

    /// Number of sessions in the guild.
    pub fn session_count(&self) -> Result<u32> {
        let mut n = 0;
        // SAFETY: valid out-pointer and guild.
        check(unsafe { ffi::roster_guild_session_count(&mut n, self.raw.as_ptr()) })?;
        Ok(n)
    }

    /// The guild's counters and sizes (`roster_guild_stats`).
    pub fn stats(&self) -> Result<Stats> {
        let mut raw = ffi::roster_stats::INIT;
        // SAFETY: valid out-pointer (its size set) and guild.
        check(unsafe { ffi::roster_guild_stats(&mut raw, self.raw.as_ptr()) })?;
        Ok(Stats::from_raw(&raw))
    }

    /// Starts a batch: frames are held until the outermost `batch_commit`.
    pub fn batch_begin(&mut self) -> Result<()> {
        // SAFETY (for this and every `call` below): a valid guild, and
        // pointer + length pairs taken from live slices.
        self.call(|g| unsafe { ffi::roster_batch_begin(g) })
    }

    /// Ends a batch; the outermost commit delivers the batch's frames.
    pub fn batch_commit(&mut self) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_batch_commit(g) })
    }

    /// Creates a role, or replaces the settings of an existing one.
    pub fn upsert_role(&mut self, role: &Role) -> Result<()> {
        let raw = ffi::roster_role {
            id: role.id,
            position: role.position,
            flags: role.flags,
        };
        self.call(|g| unsafe { ffi::roster_role_upsert(g, &raw) })
    }

    /// Removes a role from the guild and from every member holding it.
    pub fn remove_role(&mut self, role_id: u64) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_role_remove(g, role_id) })
    }

    /// Adds a member (EEXIST if it is one already).
    pub fn add_member(
        &mut self,
        user_id: u64,
        name: &str,
        roles: &[u64],
        presence: Presence,
    ) -> Result<()> {
        self.member_call(ffi::roster_member_add, user_id, name, roles, presence)
    }

    /// Adds a member, or replaces all the data of an existing one.
    pub fn upsert_member(
        &mut self,
        user_id: u64,
        name: &str,
        roles: &[u64],
        presence: Presence,
    ) -> Result<()> {
        self.member_call(ffi::roster_member_upsert, user_id, name, roles, presence)
    }

    /// roster_member_add and roster_member_upsert take the same arguments.
    fn member_call(
        &mut self,
        f: ffi::MemberFn,
        user_id: u64,
        name: &str,
        roles: &[u64],
        presence: Presence,
    ) -> Result<()> {
        self.call(|g| unsafe {
            f(
                g,
                user_id,
                name.as_ptr() as *const c_char,
                name.len(),
                ptr_or_null(roles),
                roles.len(),
                presence.to_raw(),
            )
        })
    }

    pub fn remove_member(&mut self, user_id: u64) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_member_remove(g, user_id) })
    }

    pub fn set_member_presence(&mut self, user_id: u64, presence: Presence) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_member_set_status(g, user_id, presence.to_raw()) })
    }

    /// Renames a member (1..128 bytes of UTF-8).
    pub fn set_member_name(&mut self, user_id: u64, name: &str) -> Result<()> {
        self.call(|g| unsafe {
            ffi::roster_member_set_name(g, user_id, name.as_ptr() as *const c_char, name.len())
        })
    }

    /// Replaces a member's roles.
    pub fn set_member_roles(&mut self, user_id: u64, roles: &[u64]) -> Result<()> {
        self.call(|g| unsafe {
            ffi::roster_member_set_roles(g, user_id, ptr_or_null(roles), roles.len())
        })
    }

    pub fn add_member_role(&mut self, user_id: u64, role_id: u64) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_member_add_role(g, user_id, role_id) })
    }

    pub fn remove_member_role(&mut self, user_id: u64, role_id: u64) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_member_remove_role(g, user_id, role_id) })
    }

    /// The member's data changed without moving it (avatar, activity, ...):
    /// sessions that hold its row get an UPDATE.
    pub fn touch_member(&mut self, user_id: u64) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_member_touch(g, user_id) })
    }

    /// Creates list `list_id` with the rule, or replaces its rule.
    pub fn set_list(&mut self, list_id: u64, rule: &ListRule) -> Result<()> {
        fn raw(list: &[Overwrite]) -> Vec<ffi::roster_overwrite> {
            list.iter()
                .map(|o| ffi::roster_overwrite {
                    id: o.id,
                    allow: i32::from(o.allow),
                })
                .collect()
        }
        let roles = raw(&rule.roles);
        let members = raw(&rule.members);
        let raw_rule = ffi::roster_list_rule {
            size: std::mem::size_of::<ffi::roster_list_rule>() as u32,
            everyone: match rule.everyone {
                None => ffi::ROSTER_OVERWRITE_NONE,
                Some(true) => ffi::ROSTER_OVERWRITE_ALLOW,
                Some(false) => ffi::ROSTER_OVERWRITE_DENY,
            },
            roles: ptr_or_null(&roles),
            role_count: roles.len(),
            members: ptr_or_null(&members),
            member_count: members.len(),
        };
        self.call(|g| unsafe { ffi::roster_list_set(g, list_id, &raw_rule) })
    }

    /// Removes a list (not list 0); its subscribers get a last frame.
    pub fn remove_list(&mut self, list_id: u64) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_list_remove(g, list_id) })
    }

    /// Subscribes a session (created on first use) to row ranges of a list,
    /// replacing its previous subscription to that list. Ranges are
    /// inclusive, e.g. `&[0..=9, 50..=59]`; reversed ends are swapped. No
    /// ranges unsubscribes (see [`Guild::unsubscribe`]).
    pub fn subscribe(
        &mut self,
        session_id: u64,
        list_id: u64,
        ranges: &[RangeInclusive<u32>],
    ) -> Result<()> {
        let raw: Vec<ffi::roster_range> = ranges
            .iter()
            .map(|r| ffi::roster_range {
                start: *r.start(),
                end: *r.end(),
            })
            .collect();
        self.call(|g| unsafe {
            ffi::roster_session_subscribe(g, session_id, list_id, ptr_or_null(&raw), raw.len())
        })
    }

    /// Ends a session's subscription to a list (the session stays).
    pub fn unsubscribe(&mut self, session_id: u64, list_id: u64) -> Result<()> {
        self.subscribe(session_id, list_id, &[])
    }

    /// Removes a session and all its subscriptions; it gets no more frames.
    pub fn remove_session(&mut self, session_id: u64) -> Result<()> {
        self.call(|g| unsafe { ffi::roster_session_remove(g, session_id) })
    }
}

impl Drop for Guild {
    fn drop(&mut self) {
        // SAFETY: ours; the library calls no callback while destroying.
        unsafe { ffi::roster_guild_destroy(self.raw.as_ptr()) };
        self.free_callback();
    }
}

/// A slice's pointer for C: NULL when empty (the header allows NULL with a
/// zero count, and no dangling pointer crosses the boundary).
fn ptr_or_null<T>(slice: &[T]) -> *const T {
    if slice.is_empty() {
        ptr::null()
    } else {
        slice.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn failing_calls_are_errors_with_code_and_text() {
        let mut guild = Guild::new(&Config::default()).unwrap();
        let err = guild.remove_member(42).unwrap_err();
        assert_eq!(err.code(), ffi::ROSTER_ENOTFOUND);
        assert_eq!(err.message(), status_str(ffi::ROSTER_ENOTFOUND));
        assert_eq!(
            guild
                .add_member(0, "zero", &[], Presence::Online)
                .unwrap_err()
                .code(),
            -1
        );
        assert_eq!(guild.batch_commit().unwrap_err().code(), ffi::ROSTER_EINVAL);
        let config = Config {
            chunk_size: 0,
            ..Config::default()
        };
        assert_eq!(
            Guild::new(&config).err().map(|e| e.code()),
            Some(ffi::ROSTER_EINVAL)
        );
    }

    #[test]
    fn frames_are_copied_to_the_closure() {
        let frames = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&frames);
        let mut guild = Guild::new(&Config::default()).unwrap();
        guild
            .set_frame_callback(move |f| sink.borrow_mut().push(f.clone()))
            .unwrap();
        guild.upsert_role(&Role::new(5, 1, Role::HOIST)).unwrap();
        guild.add_member(1, "ann", &[5], Presence::Online).unwrap();
        guild.subscribe(9, 0, &[0..=0]).unwrap();
        assert_eq!(guild.member_count(), Ok(1));
        assert_eq!(guild.session_count(), Ok(1));
        let frames = frames.borrow();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].sessions, vec![9]);
        assert_eq!(
            frames[0].groups,
            vec![Group {
                id: GroupId::Role(5),
                count: 1
            }]
        );
        match &frames[0].ops[0] {
            Op::Sync { rows, .. } => assert_eq!(
                rows[..],
                [
                    Row::Header {
                        group: GroupId::Role(5),
                        count: 1
                    },
                    Row::Member {
                        user: 1,
                        group: GroupId::Role(5)
                    }
                ]
            ),
            other => panic!("expected a SYNC, got {:?}", other),
        }
    }

    #[test]
    fn a_loaded_guild_goes_on_like_the_saved_one() {
        let config = Config {
            chunk_size: 10,
            ..Config::default()
        };
        let mut guild = Guild::new(&config).unwrap();
        let frames = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&frames);
        guild
            .set_frame_callback(move |f| sink.borrow_mut().push(f.clone()))
            .unwrap();
        for (id, name) in [(1, "ann"), (2, "bob"), (3, "cy")] {
            guild.add_member(id, name, &[], Presence::Online).unwrap();
        }
        guild.subscribe(9, 0, &[0..=9]).unwrap();
        let stats = guild.stats().unwrap();
        assert_eq!(
            (
                stats.members,
                stats.lists,
                stats.sessions,
                stats.subscriptions
            ),
            (3, 1, 1, 1)
        );
        assert_eq!((stats.frames, stats.deliveries, stats.ops), (1, 1, 1));
        assert!(stats.memory_bytes > 0);

        let bytes = guild.save(SAVE_SESSIONS).unwrap();
        let mut loaded = Guild::load(&bytes, Some(&config)).unwrap();
        let stats = loaded.stats().unwrap();
        assert_eq!((stats.members, stats.sessions), (3, 1));
        assert_eq!((stats.flushes, stats.frames), (0, 0));
        let loaded_frames = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&loaded_frames);
        loaded
            .set_frame_callback(move |f| sink.borrow_mut().push(f.clone()))
            .unwrap();
        frames.borrow_mut().clear();
        guild.set_member_presence(2, Presence::Offline).unwrap();
        loaded.set_member_presence(2, Presence::Offline).unwrap();
        assert_eq!(frames.borrow().len(), 1);
        assert_eq!(*frames.borrow(), *loaded_frames.borrow());

        // Without the sessions, and with the default config.
        let bare = Guild::load(&guild.save(0).unwrap(), None).unwrap();
        assert_eq!(bare.session_count(), Ok(0));
        assert_eq!(bare.member_count(), Ok(3));
    }

    #[test]
    fn snapshot_errors_keep_their_status() {
        let mut guild = Guild::new(&Config::default()).unwrap();
        guild.add_member(1, "ann", &[], Presence::Online).unwrap();
        let bytes = guild.save(SAVE_SESSIONS).unwrap();
        let code = |r: Result<Guild>| r.err().map(|e| e.code());
        assert_eq!(code(Guild::load(&[], None)), Some(ffi::ROSTER_ECORRUPT));
        assert_eq!(
            code(Guild::load(&bytes[..bytes.len() - 1], None)),
            Some(ffi::ROSTER_ECORRUPT)
        );
        assert_eq!(guild.save(2).unwrap_err().code(), ffi::ROSTER_EINVAL);
        guild.batch_begin().unwrap();
        assert_eq!(guild.save(0).unwrap_err().code(), ffi::ROSTER_EINVAL);
        guild.batch_commit().unwrap();

        struct Failing;
        impl Write for Failing {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::Other, "disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = guild.save_to(0, &mut Failing).unwrap_err();
        assert_eq!(err.code(), ffi::ROSTER_EIO);
        assert_eq!(err.message(), status_str(ffi::ROSTER_EIO));

        struct Panicking;
        impl Write for Panicking {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                panic!("from the writer")
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let result = panic::catch_unwind(AssertUnwindSafe(|| guild.save_to(0, &mut Panicking)));
        assert!(result.is_err());
        assert_eq!(guild.save(0).unwrap(), guild.save(0).unwrap());
    }

    #[test]
    fn a_panic_in_the_callback_resumes_after_the_call() {
        let mut guild = Guild::new(&Config::default()).unwrap();
        guild
            .set_frame_callback(|_| panic!("from the callback"))
            .unwrap();
        guild.add_member(1, "ann", &[], Presence::Online).unwrap();
        let result = panic::catch_unwind(AssertUnwindSafe(|| guild.subscribe(1, 0, &[0..=9])));
        assert!(result.is_err());
        // The call itself completed: the guild is usable and consistent.
        assert_eq!(guild.session_count(), Ok(1));
        guild.clear_frame_callback().unwrap();
        guild.touch_member(1).unwrap();
    }
}
