//! The guild: an owned `roster_guild` and every call on it.

use std::any::Any;
use std::ffi::c_void;
use std::io::{ErrorKind as IoErrorKind, Read, Write};
use std::mem::ManuallyDrop;
use std::ops::RangeInclusive;
use std::os::raw::{c_char, c_int};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};

use crate::error::{check, AddMembersError, Error, Result};
use crate::event::{ptr_or_null, Event, MemberSpec};
use crate::frame::{c_slice, FrameView};
use crate::queue::FrameBatch;
use crate::sys;
use crate::types::{
    Config, Group, GroupId, ListCounts, ListRule, Member, Overwrite, Presence, Role, Row, Stats,
};

/// A panic caught at the FFI boundary, waiting to be resumed.
type Panic = Box<dyn Any + Send + 'static>;

// ---- The frame callback ----------------------------------------------------------

/// What the C callback's `user_data` points to: the user's closure and a
/// panic caught in it.
struct Callback<F> {
    f: F,
    panic: Option<Panic>,
}

/// A registered callback, whatever its closure's type.
trait Registered: Send {
    fn take_panic(&mut self) -> Option<Panic>;
}

impl<F: Send> Registered for Callback<F> {
    fn take_panic(&mut self) -> Option<Panic> {
        self.panic.take()
    }
}

/// The `roster_frame_fn` given to the library for a closure of type `F`:
/// hands it a view of the frame (no copy). No panic unwinds out of it.
unsafe extern "C" fn on_frame<F>(
    frame: *const sys::roster_frame,
    sessions: *const u64,
    session_count: usize,
    user_data: *mut c_void,
) where
    F: FnMut(&FrameView<'_>) + Send + 'static,
{
    // SAFETY: user_data is the Callback<F> the Guild registered; it lives
    // until the callback is replaced or the guild is destroyed, and nothing
    // else touches it while a guild call (hence this callback) runs.
    let state = &mut *(user_data as *mut Callback<F>);
    if state.panic.is_some() || frame.is_null() {
        return; // an earlier frame of this flush panicked: drop the rest
    }
    // SAFETY: the library's arguments, valid during this call.
    let view = FrameView::new(&*frame, sessions, session_count);
    let f = &mut state.f;
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| f(&view))) {
        state.panic = Some(payload);
    }
}

// ---- Snapshot callbacks ------------------------------------------------------------

/// What the C write callback's `user_data` points to during a save.
struct SaveSink<'a, W: ?Sized> {
    out: &'a mut W,
    panic: Option<Panic>,
}

/// The `roster_write_fn` given to the library: hands the bytes to the
/// writer. No panic unwinds out of it.
unsafe extern "C" fn on_write<W: Write + ?Sized>(
    data: *const c_void,
    len: usize,
    user_data: *mut c_void,
) -> c_int {
    // SAFETY: user_data is the SaveSink of the running Guild::save_to.
    let sink = &mut *(user_data as *mut SaveSink<'_, W>);
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

/// What the C read callback's `user_data` points to during a load.
struct LoadSource<R> {
    input: R,
    panic: Option<Panic>,
}

/// The `roster_read_fn` given to the library: fills its buffer from the
/// reader. No panic unwinds out of it.
unsafe extern "C" fn on_read<R: Read>(
    buf: *mut c_void,
    cap: usize,
    got: *mut usize,
    user_data: *mut c_void,
) -> c_int {
    // SAFETY: user_data is the LoadSource of the running Guild::load_from.
    let source = &mut *(user_data as *mut LoadSource<R>);
    if got.is_null() {
        return -1;
    }
    let buf: &mut [u8] = if buf.is_null() || cap == 0 {
        &mut []
    } else {
        // The buffer may be uninitialised: zero it before making a slice.
        ptr::write_bytes(buf as *mut u8, 0, cap);
        // SAFETY: the library's buffer of cap bytes, valid during this call.
        std::slice::from_raw_parts_mut(buf as *mut u8, cap)
    };
    let input = &mut source.input;
    loop {
        match panic::catch_unwind(AssertUnwindSafe(|| input.read(buf))) {
            Ok(Ok(n)) => {
                *got = n.min(cap);
                return 0;
            }
            Ok(Err(err)) if err.kind() == IoErrorKind::Interrupted => continue,
            Ok(Err(_)) => return -1, // the load stops with ROSTER_EIO
            Err(payload) => {
                source.panic = Some(payload);
                return -1;
            }
        }
    }
}

// ---- The guild ---------------------------------------------------------------------

/// A guild: its roles, members, lists and sessions (an owned
/// `roster_guild`, destroyed exactly once, on drop).
///
/// Every method that changes the guild or a subscription delivers the
/// frames it causes to the frame callback (or the frame queue, see
/// [`Guild::set_frame_queue`]) before it returns (at the outermost
/// [`Guild::batch_commit`] inside a batch). The callback cannot
/// reach the guild (that would take a second `&mut`), so the library's
/// `ROSTER_EBUSY` cannot happen through this type.
///
/// Threads: a `Guild` is [`Send`] but not [`Sync`]. The C API allows one
/// thread at a time on a guild (calls must not overlap) and any thread
/// from one call to the next: moving a `Guild` to another thread is fine,
/// and `&mut self` on every call that changes it (`&self` queries cannot
/// run beside them, and a `&Guild` cannot be shared between threads)
/// rules out overlapping calls. The frame callback runs on the thread
/// that made the call, so it must be `Send` too. Distinct guilds are
/// independent.
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<roster::Guild>(); // a Guild is not Sync
/// ```
pub struct Guild {
    raw: NonNull<sys::roster_guild>,
    /// The registered callback (from `Box::into_raw`), or `None`.
    callback: Option<NonNull<dyn Registered>>,
}

// SAFETY: see the type's documentation: the C guild may move between
// threads between calls, and the registered callback is Send.
unsafe impl Send for Guild {}

/// The config pointer of a create or load: NULL for the defaults.
fn config_ptr(config: Option<&sys::roster_config>) -> *const sys::roster_config {
    config.map_or(ptr::null(), |c| c as *const sys::roster_config)
}

/// Reads a C array whose total size is only known after a first call:
/// `f(out, cap, &mut total)` writes min(cap, total) entries. Retries with
/// the total when `guess` was too small.
fn fill_vec<T>(
    guess: usize,
    mut f: impl FnMut(*mut T, usize, &mut usize) -> c_int,
) -> Result<Vec<T>> {
    let mut out: Vec<T> = Vec::with_capacity(guess);
    loop {
        let cap = out.capacity();
        let ptr = if cap == 0 {
            ptr::null_mut()
        } else {
            out.as_mut_ptr()
        };
        let mut total = 0usize;
        check(f(ptr, cap, &mut total))?;
        if total <= cap {
            // SAFETY: the library wrote `total` entries.
            unsafe { out.set_len(total) };
            return Ok(out);
        }
        out.reserve_exact(total);
    }
}

impl Guild {
    /// Creates an empty guild (list 0, "everyone", exists from the start)
    /// with the config (`roster_guild_create`). Errors:
    /// `InvalidArgument` (a field out of its bounds), `OutOfMemory`.
    pub fn new(config: &Config) -> Result<Guild> {
        let raw_config = config.to_raw();
        let mut out: *mut sys::roster_guild = ptr::null_mut();
        // SAFETY: valid out-pointer and config.
        check(unsafe { sys::roster_guild_create(&mut out, &raw_config) })?;
        Guild::adopt(out)
    }

    /// Takes a guild the library has just made (non-NULL on success).
    fn adopt(out: *mut sys::roster_guild) -> Result<Guild> {
        let raw = NonNull::new(out).ok_or_else(|| Error::from_code(sys::ROSTER_EINTERNAL))?;
        Ok(Guild {
            raw,
            callback: None,
        })
    }

    /// Takes ownership of a guild made through [`crate::sys`] (e.g. with
    /// allocator hooks): it is destroyed when the `Guild` is dropped.
    ///
    /// # Safety
    /// `raw` must be a live guild from `roster_guild_create` or a load,
    /// owned by nobody else (it must not be destroyed elsewhere), with no
    /// frame callback set or one whose user data outlives the guild.
    pub unsafe fn from_raw(raw: NonNull<sys::roster_guild>) -> Guild {
        Guild {
            raw,
            callback: None,
        }
    }

    /// Gives up ownership: clears the frame callback, if one is set (its
    /// closure is dropped; a frame queue stays as it is), and returns the
    /// guild, which the caller must `roster_guild_destroy` (or give back
    /// with [`Guild::from_raw`]).
    pub fn into_raw(self) -> NonNull<sys::roster_guild> {
        let mut guild = ManuallyDrop::new(self);
        if guild.callback.is_some() {
            // Cannot fail: the guild is valid and no callback of it is running.
            let _ = guild.clear_frame_callback();
        }
        guild.raw
    }

    /// The C guild, for calls through [`crate::sys`]. It stays owned by
    /// this `Guild`: do not destroy it, nor set its frame callback.
    pub fn as_ptr(&self) -> *mut sys::roster_guild {
        self.raw.as_ptr()
    }

    fn as_const(&self) -> *const sys::roster_guild {
        self.raw.as_ptr()
    }

    /// Runs one C call on the guild: resumes a panic caught in the frame
    /// callback during it, then turns its status into a `Result`.
    fn call(&mut self, f: impl FnOnce(*mut sys::roster_guild) -> c_int) -> Result<()> {
        let status = f(self.raw.as_ptr());
        if let Some(callback) = self.callback {
            // SAFETY: ours, and the C call (hence the callback) has returned.
            if let Some(payload) = unsafe { (*callback.as_ptr()).take_panic() } {
                panic::resume_unwind(payload);
            }
        }
        check(status)
    }

    // ---- Snapshots -----------------------------------------------------------------

    /// Creates a guild from a snapshot in memory (`roster_guild_load_buffer`;
    /// `data` is not kept). `config` gives the limits (`None`: the
    /// defaults); the settings come from the snapshot (its offline
    /// threshold, @everyone's VIEW and chunk size, not the config's). The
    /// guild has no frame callback: set one with
    /// [`Guild::set_frame_callback`]. Loading delivers no frame. Errors:
    /// `Corrupt` (damaged or truncated bytes), `Version`, `Limit` (the
    /// snapshot exceeds a limit of the config), `InvalidArgument` (a config
    /// [`Guild::new`] refuses), `OutOfMemory`.
    pub fn load(data: &[u8], config: Option<&Config>) -> Result<Guild> {
        let raw_config = config.map(Config::to_raw);
        let mut out: *mut sys::roster_guild = ptr::null_mut();
        // SAFETY: valid out-pointer, config (or NULL) and bytes (NULL when empty).
        check(unsafe {
            sys::roster_guild_load_buffer(
                &mut out,
                config_ptr(raw_config.as_ref()),
                ptr_or_null(data) as *const c_void,
                data.len(),
            )
        })?;
        Guild::adopt(out)
    }

    /// Creates a guild from a snapshot read from `input` (`roster_guild_load`),
    /// a block (a little over 64 KiB) at a time: the bytes are never all
    /// in memory. As [`Guild::load`], and also `Io` when `input` fails (its
    /// `io::Error` is not kept). A panic in `input` resumes once the library
    /// has returned (nothing is leaked).
    pub fn load_from<R: Read>(input: R, config: Option<&Config>) -> Result<Guild> {
        let raw_config = config.map(Config::to_raw);
        let mut source = LoadSource { input, panic: None };
        let mut out: *mut sys::roster_guild = ptr::null_mut();
        // SAFETY: valid out-pointer and config; source outlives the call and
        // on_read::<R> is its only user.
        let status = unsafe {
            sys::roster_guild_load(
                &mut out,
                config_ptr(raw_config.as_ref()),
                Some(on_read::<R>),
                &mut source as *mut LoadSource<R> as *mut c_void,
            )
        };
        if let Some(payload) = source.panic.take() {
            if status == sys::ROSTER_OK {
                // SAFETY: the library made it; nobody else has it.
                unsafe { sys::roster_guild_destroy(out) };
            }
            panic::resume_unwind(payload);
        }
        check(status)?;
        Guild::adopt(out)
    }

    /// The guild's snapshot (`roster_guild_save`) as bytes; see
    /// [`Guild::save_to`].
    pub fn save(&mut self, flags: u32) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.save_to(flags, &mut bytes)?;
        Ok(bytes)
    }

    /// Writes the guild's snapshot to `out`, in pieces (no second copy of
    /// the guild is made). `flags`: 0 or [`SAVE_SESSIONS`](crate::SAVE_SESSIONS).
    /// Saving flushes first, so frames still owed after a `Flush` error are
    /// delivered; the guild is not changed. Errors: `Io` when `out` fails
    /// (its `io::Error` is not kept; what was written is then not a
    /// snapshot), `InvalidArgument` (unknown flags, inside a batch),
    /// `Flush`, `OutOfMemory`. A panic in `out` resumes once the library
    /// has returned.
    pub fn save_to<W: Write + ?Sized>(&mut self, flags: u32, out: &mut W) -> Result<()> {
        let mut sink = SaveSink { out, panic: None };
        let user_data = &mut sink as *mut SaveSink<'_, W> as *mut c_void;
        // SAFETY: sink outlives the call; on_write::<W> is its only user.
        let result = self
            .call(|g| unsafe { sys::roster_guild_save(g, flags, Some(on_write::<W>), user_data) });
        if let Some(payload) = sink.panic.take() {
            panic::resume_unwind(payload);
        }
        result
    }

    // ---- Frame callback ------------------------------------------------------------

    /// Sets the frame callback (`roster_guild_set_frame_callback`),
    /// replacing (and dropping) any previous one. The closure gets a
    /// [`FrameView`] of every frame: the library's data read in place,
    /// valid only during the call ([`FrameView::to_frame`] copies it).
    /// Should the closure panic, the rest of that flush's frames are
    /// dropped (the sessions stay consistent) and the panic resumes in the
    /// guild method that caused the frame, once the library has finished
    /// that call. Frames go to one place: the callback replaces the frame
    /// queue ([`Guild::set_frame_queue`]) when that is on.
    pub fn set_frame_callback<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&FrameView<'_>) + Send + 'static,
    {
        let state: *mut Callback<F> = Box::into_raw(Box::new(Callback { f, panic: None }));
        // SAFETY: state stays valid until replaced or the guild is dropped.
        let status = unsafe {
            sys::roster_guild_set_frame_callback(
                self.raw.as_ptr(),
                Some(on_frame::<F>),
                state as *mut c_void,
            )
        };
        if let Err(err) = check(status) {
            // SAFETY: the library did not take it; we still own it.
            drop(unsafe { Box::from_raw(state) });
            return Err(err);
        }
        self.free_callback();
        let state: *mut dyn Registered = state;
        self.callback = NonNull::new(state);
        Ok(())
    }

    /// Removes the frame callback: frames are computed and dropped, and the
    /// sessions stay consistent.
    pub fn clear_frame_callback(&mut self) -> Result<()> {
        // SAFETY: a valid guild; NULL clears.
        check(unsafe {
            sys::roster_guild_set_frame_callback(self.raw.as_ptr(), None, ptr::null_mut())
        })?;
        self.free_callback();
        Ok(())
    }

    /// Turns the frame queue on or off (`roster_guild_set_frame_queue`,
    /// docs/frames.md §12). On: the guild appends every frame it delivers
    /// to a block it owns, as one record, and [`Guild::take_frames`] hands
    /// the block out after the call: one FFI crossing per take instead of
    /// one per frame. The frame callback, if any, is removed (its closure
    /// dropped): frames go to one place, and setting a callback again turns
    /// the queue off. Off: frames are computed and dropped (a callback is
    /// removed too) until a callback or the queue is set again. Either way,
    /// records not taken yet stay to be taken. Records pile up until taken:
    /// with the queue on, take after every call that can flush.
    pub fn set_frame_queue(&mut self, enable: bool) -> Result<()> {
        // SAFETY: a valid guild, and no callback of it is running.
        check(unsafe {
            sys::roster_guild_set_frame_queue(self.raw.as_ptr(), c_int::from(enable))
        })?;
        if !enable && self.callback.is_some() {
            // Off drops frames, so the callback is no longer set; made sure
            // of here before its closure is freed.
            check(unsafe {
                sys::roster_guild_set_frame_callback(self.raw.as_ptr(), None, ptr::null_mut())
            })?;
        }
        self.free_callback();
        Ok(())
    }

    /// Takes the frames queued since the last take
    /// (`roster_guild_take_frames`; empty when none, e.g. with the queue
    /// off) and empties the queue. The [`FrameBatch`] reads the guild's
    /// block in place: records with the accessors of a [`FrameView`], no
    /// copy, no allocation. It borrows the guild, which keeps it from
    /// outliving the block (valid until the next take or the guild's drop);
    /// [`FrameBatch::to_frames`] makes owned copies. The records' sizes are
    /// checked here: a malformed block (a bug in roster) gives `Internal`
    /// and is never read past its end; so does a block that cannot be read
    /// in place (on a target whose `roster_group` is not 16 bytes: none of
    /// 64 bits). Since frames go to the queue as they would to the callback,
    /// the records are exactly the frames a callback would get, in order.
    ///
    /// ```
    /// use roster::{Config, Guild, OpKind, Presence};
    ///
    /// let mut guild = Guild::new(&Config::default())?;
    /// guild.set_frame_queue(true)?;
    /// guild.add_member(1, "ann", &[], Presence::Online)?;
    /// guild.subscribe(9, 0, &[0..=99])?;
    /// for frame in &guild.take_frames()? {
    ///     assert_eq!(frame.sessions(), [9]);
    ///     for op in frame.ops() {
    ///         assert_eq!((op.kind(), op.items().len()), (OpKind::Sync, 2)); // header + ann
    ///     }
    /// }
    /// # Ok::<(), roster::Error>(())
    /// ```
    ///
    /// A batch cannot be kept past the next take (nor the guild's drop):
    ///
    /// ```compile_fail,E0499
    /// # let mut guild = roster::Guild::new(&roster::Config::default()).unwrap();
    /// let first = guild.take_frames().unwrap();
    /// let second = guild.take_frames().unwrap(); // `guild` is still borrowed
    /// println!("{:?} {:?}", first, second);
    /// ```
    pub fn take_frames(&mut self) -> Result<FrameBatch<'_>> {
        let mut data: *const c_void = ptr::null();
        let mut len = 0usize;
        // SAFETY: valid out-pointers and guild.
        check(unsafe { sys::roster_guild_take_frames(&mut data, &mut len, self.raw.as_ptr()) })?;
        // SAFETY: the library's block, valid and unchanged until the next
        // take or the guild's destruction; both need the guild, which the
        // batch borrows (mutably) for as long as it lives.
        unsafe { FrameBatch::new(data as *const u8, len) }
    }

    fn free_callback(&mut self) {
        if let Some(callback) = self.callback.take() {
            // SAFETY: from Box::into_raw, and no longer registered.
            drop(unsafe { Box::from_raw(callback.as_ptr()) });
        }
    }

    // ---- Guild settings, counts and batches -------------------------------------------

    /// Sets whether @everyone may VIEW the guild. O(n L).
    pub fn set_everyone_view(&mut self, view: bool) -> Result<()> {
        // SAFETY (for this and every `call` below): a valid guild, and
        // pointer + length pairs taken from live slices.
        self.call(|g| unsafe { sys::roster_guild_set_everyone_view(g, c_int::from(view)) })
    }

    /// Sets the offline threshold (docs/model.md §7): offline members are
    /// shown while the guild has fewer members than this.
    pub fn set_offline_threshold(&mut self, threshold: u32) -> Result<()> {
        self.call(|g| unsafe { sys::roster_guild_set_offline_threshold(g, threshold) })
    }

    /// Number of members in the guild.
    pub fn member_count(&self) -> Result<u32> {
        let mut n = 0;
        // SAFETY (for this and every query below): valid out-pointers and guild.
        check(unsafe { sys::roster_guild_member_count(&mut n, self.as_const()) })?;
        Ok(n)
    }

    /// Number of sessions in the guild.
    pub fn session_count(&self) -> Result<u32> {
        let mut n = 0;
        check(unsafe { sys::roster_guild_session_count(&mut n, self.as_const()) })?;
        Ok(n)
    }

    /// The guild's counters and sizes (`roster_guild_stats`).
    pub fn stats(&self) -> Result<Stats> {
        let mut raw = sys::roster_stats::INIT;
        check(unsafe { sys::roster_guild_stats(&mut raw, self.as_const()) })?;
        Ok(Stats::from_raw(&raw))
    }

    /// Opens a batch (or a nested level of one): frames are held until the
    /// outermost [`Guild::batch_commit`]. Each call still takes effect (and
    /// is checked) when it is made.
    pub fn batch_begin(&mut self) -> Result<()> {
        self.call(|g| unsafe { sys::roster_batch_begin(g) })
    }

    /// Closes a batch level; the outermost commit delivers the batch's
    /// frames. `InvalidArgument` without a begin.
    pub fn batch_commit(&mut self) -> Result<()> {
        self.call(|g| unsafe { sys::roster_batch_commit(g) })
    }

    /// Delivers now the frames of everything not delivered yet
    /// (`roster_guild_flush`); after a `Flush` error this resynchronises the
    /// sessions without waiting for the next event. Nothing to deliver:
    /// `Ok`, no frame. `InvalidArgument` inside a batch.
    pub fn flush(&mut self) -> Result<()> {
        self.call(|g| unsafe { sys::roster_guild_flush(g) })
    }

    // ---- Roles ---------------------------------------------------------------------------

    /// Creates a role, or replaces the settings of an existing one.
    pub fn upsert_role(&mut self, role: &Role) -> Result<()> {
        let raw = role.to_raw();
        self.call(|g| unsafe { sys::roster_role_upsert(g, &raw) })
    }

    /// Removes a role from the guild and from every member holding it.
    pub fn remove_role(&mut self, role_id: u64) -> Result<()> {
        self.call(|g| unsafe { sys::roster_role_remove(g, role_id) })
    }

    /// Sets the positions of many roles at once: `(role id, position)`
    /// pairs, ids distinct and existing (`roster_roles_reorder`).
    pub fn reorder_roles(&mut self, roles: &[(u64, i32)]) -> Result<()> {
        let ids: Vec<u64> = roles.iter().map(|r| r.0).collect();
        let positions: Vec<i32> = roles.iter().map(|r| r.1).collect();
        self.call(|g| unsafe {
            sys::roster_roles_reorder(g, ptr_or_null(&ids), ptr_or_null(&positions), ids.len())
        })
    }

    // ---- Members ---------------------------------------------------------------------------

    /// Adds a member: user id (not 0), display name (1..128 bytes of UTF-8),
    /// roles (duplicates ignored), presence. `AlreadyExists` if it is one.
    pub fn add_member(
        &mut self,
        user_id: u64,
        name: &str,
        roles: &[u64],
        presence: Presence,
    ) -> Result<()> {
        self.call(|g| unsafe {
            sys::roster_member_add(
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

    /// Adds a member, or replaces all the data of an existing one.
    pub fn upsert_member(
        &mut self,
        user_id: u64,
        name: &str,
        roles: &[u64],
        presence: Presence,
    ) -> Result<()> {
        self.call(|g| unsafe {
            sys::roster_member_upsert(
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

    /// Adds many new members at once, all or nothing (`roster_members_add`,
    /// one FFI call): one sort per list instead of an insert per member.
    /// Each entry is checked as [`Guild::add_member`] checks it; an id given
    /// earlier in the slice counts as existing. The error is that of the
    /// first failing entry ([`Guild::add_members_at`] also tells which).
    pub fn add_members(&mut self, members: &[MemberSpec<'_>]) -> Result<()> {
        self.call(|g| unsafe {
            sys::roster_members_add(
                g,
                ptr_or_null(members) as *const sys::roster_member_spec,
                members.len(),
            )
        })
    }

    /// As [`Guild::add_members`], and on an error tells the index of the
    /// first failing entry (`roster_members_add_at`).
    pub fn add_members_at(
        &mut self,
        members: &[MemberSpec<'_>],
    ) -> std::result::Result<(), AddMembersError> {
        let mut failed = members.len();
        self.call(|g| unsafe {
            sys::roster_members_add_at(
                &mut failed,
                g,
                ptr_or_null(members) as *const sys::roster_member_spec,
                members.len(),
            )
        })
        .map_err(|error| AddMembersError {
            error,
            index: if failed < members.len() {
                Some(failed)
            } else {
                None
            },
        })
    }

    /// Removes a member from the guild and every list.
    pub fn remove_member(&mut self, user_id: u64) -> Result<()> {
        self.call(|g| unsafe { sys::roster_member_remove(g, user_id) })
    }

    /// Sets a member's presence (`roster_member_set_status`).
    pub fn set_member_presence(&mut self, user_id: u64, presence: Presence) -> Result<()> {
        self.call(|g| unsafe { sys::roster_member_set_status(g, user_id, presence.to_raw()) })
    }

    /// Renames a member (1..128 bytes of UTF-8).
    pub fn set_member_name(&mut self, user_id: u64, name: &str) -> Result<()> {
        self.call(|g| unsafe {
            sys::roster_member_set_name(g, user_id, name.as_ptr() as *const c_char, name.len())
        })
    }

    /// Sets a host sort key (1..`max_sort_key_bytes` bytes) replacing the
    /// default (the name with ASCII A-Z folded to a-z); `None` restores the
    /// default. `InvalidArgument` for an empty key, `Limit` for a long one.
    pub fn set_member_sort_key(&mut self, user_id: u64, key: Option<&[u8]>) -> Result<()> {
        let (ptr, len) = match key {
            // An empty key keeps a non-NULL pointer: the library refuses it.
            Some(key) => (key.as_ptr() as *const c_void, key.len()),
            None => (ptr::null(), 0),
        };
        self.call(|g| unsafe { sys::roster_member_set_sort_key(g, user_id, ptr, len) })
    }

    /// Replaces a member's roles (duplicates ignored).
    pub fn set_member_roles(&mut self, user_id: u64, roles: &[u64]) -> Result<()> {
        self.call(|g| unsafe {
            sys::roster_member_set_roles(g, user_id, ptr_or_null(roles), roles.len())
        })
    }

    /// Gives a member one role (nothing when it has it).
    pub fn add_member_role(&mut self, user_id: u64, role_id: u64) -> Result<()> {
        self.call(|g| unsafe { sys::roster_member_add_role(g, user_id, role_id) })
    }

    /// Takes one role from a member (nothing when it does not have it).
    pub fn remove_member_role(&mut self, user_id: u64, role_id: u64) -> Result<()> {
        self.call(|g| unsafe { sys::roster_member_remove_role(g, user_id, role_id) })
    }

    /// The member's data changed without moving it (avatar, activity, ...):
    /// sessions that hold its row get an UPDATE.
    pub fn touch_member(&mut self, user_id: u64) -> Result<()> {
        self.call(|g| unsafe { sys::roster_member_touch(g, user_id) })
    }

    /// Applies many member events in one FFI call (`roster_events_apply`):
    /// the slice is handed to the library as it is. Each event does exactly
    /// what its own call does; one that fails changes nothing and the ones
    /// after it still apply. The frames of the whole slice are delivered
    /// once, when the call returns (or at the commit of an enclosing batch).
    /// Returns `Ok` when every event succeeded, else the error of the first
    /// that failed; `Flush` (the events were applied but their frames not
    /// all delivered) takes precedence.
    pub fn apply_events(&mut self, events: &[Event<'_>]) -> Result<()> {
        self.apply(events, ptr::null_mut())
    }

    /// As [`Guild::apply_events`], and writes each event's own status to
    /// `statuses` (0 or a negative code; [`check`](crate::check) turns one
    /// into a `Result`). On an error of the call itself (e.g. `Busy`),
    /// nothing is applied and `statuses` is not written.
    ///
    /// # Panics
    /// When `statuses` is not as long as `events`.
    pub fn apply_events_with_statuses(
        &mut self,
        events: &[Event<'_>],
        statuses: &mut [i32],
    ) -> Result<()> {
        assert_eq!(
            statuses.len(),
            events.len(),
            "apply_events_with_statuses: one status per event"
        );
        self.apply(events, statuses.as_mut_ptr())
    }

    fn apply(&mut self, events: &[Event<'_>], statuses: *mut c_int) -> Result<()> {
        self.call(|g| unsafe {
            sys::roster_events_apply(
                g,
                ptr_or_null(events) as *const sys::roster_event,
                events.len(),
                std::mem::size_of::<sys::roster_event>(),
                if events.is_empty() {
                    ptr::null_mut()
                } else {
                    statuses
                },
            )
        })
    }

    /// A member's data, copied out of the guild (`roster_member_get`).
    /// `NotFound` for an unknown member.
    pub fn member(&self, user_id: u64) -> Result<Member> {
        let mut info = sys::roster_member_info {
            id: 0,
            name: ptr::null(),
            name_len: 0,
            status: 0,
            group: 0,
        };
        let roles = fill_vec(8, |out, cap, total| unsafe {
            sys::roster_member_get(&mut info, out, cap, total, self.as_const(), user_id)
        })?;
        // SAFETY: the name points into the guild, unchanged since the call.
        let name = unsafe { c_slice(info.name as *const u8, info.name_len) };
        Ok(Member {
            id: info.id,
            name: String::from_utf8_lossy(name).into_owned(),
            presence: Presence::from_raw(info.status)
                .ok_or_else(|| Error::from_code(sys::ROSTER_EINTERNAL))?,
            group: GroupId::from_raw(info.group),
            roles,
        })
    }

    // ---- Lists ----------------------------------------------------------------------------

    /// Creates list `list_id` with the rule, or replaces its rule (not list 0).
    pub fn set_list(&mut self, list_id: u64, rule: &ListRule) -> Result<()> {
        fn raw(list: &[Overwrite]) -> Vec<sys::roster_overwrite> {
            list.iter()
                .map(|o| sys::roster_overwrite {
                    id: o.id,
                    allow: i32::from(o.allow),
                })
                .collect()
        }
        let roles = raw(&rule.roles);
        let members = raw(&rule.members);
        let raw_rule = sys::roster_list_rule {
            everyone: match rule.everyone {
                None => sys::ROSTER_OVERWRITE_NONE,
                Some(true) => sys::ROSTER_OVERWRITE_ALLOW,
                Some(false) => sys::ROSTER_OVERWRITE_DENY,
            },
            roles: ptr_or_null(&roles),
            role_count: roles.len(),
            members: ptr_or_null(&members),
            member_count: members.len(),
            ..sys::roster_list_rule::INIT
        };
        self.call(|g| unsafe { sys::roster_list_set(g, list_id, &raw_rule) })
    }

    /// Removes a list (not list 0); its subscribers get a last frame.
    pub fn remove_list(&mut self, list_id: u64) -> Result<()> {
        self.call(|g| unsafe { sys::roster_list_remove(g, list_id) })
    }

    /// Number of rows of the list, headers included.
    pub fn list_length(&self, list_id: u64) -> Result<u32> {
        let mut n = 0;
        check(unsafe { sys::roster_list_length(&mut n, self.as_const(), list_id) })?;
        Ok(n)
    }

    /// The list's member counts.
    pub fn list_counts(&self, list_id: u64) -> Result<ListCounts> {
        let mut counts = ListCounts::default();
        check(unsafe {
            sys::roster_list_counts(
                &mut counts.members,
                &mut counts.online,
                self.as_const(),
                list_id,
            )
        })?;
        Ok(counts)
    }

    /// The groups that appear in the list, in order.
    pub fn list_groups(&self, list_id: u64) -> Result<Vec<Group>> {
        fill_vec(16, |out: *mut Group, cap, total| unsafe {
            sys::roster_list_groups(
                out as *mut sys::roster_group,
                cap,
                total,
                self.as_const(),
                list_id,
            )
        })
    }

    /// The rows of `rows` that exist (the end is clipped to the last row;
    /// nothing when the start is past it). `InvalidArgument` when the
    /// range's end is below its start.
    pub fn list_rows(&self, list_id: u64, rows: RangeInclusive<u32>) -> Result<Vec<Row>> {
        let (start, end) = (*rows.start(), *rows.end());
        let guess = (end.saturating_sub(start) as usize)
            .saturating_add(1)
            .min(256);
        fill_vec(guess, |out: *mut Row, cap, total| unsafe {
            sys::roster_list_rows(
                out as *mut sys::roster_row,
                cap,
                total,
                self.as_const(),
                list_id,
                start,
                end,
            )
        })
    }

    /// The row of a member shown in the list. `NotFound` when the member is
    /// unknown, not visible in the list, or hidden (offline past the
    /// threshold).
    pub fn list_index_of(&self, list_id: u64, user_id: u64) -> Result<u32> {
        let mut n = 0;
        check(unsafe { sys::roster_list_index_of(&mut n, self.as_const(), list_id, user_id) })?;
        Ok(n)
    }

    /// Whether the member may view the list by its rule, shown or hidden as
    /// offline (`roster_list_can_view`); false for a user who is not a member.
    pub fn list_can_view(&self, list_id: u64, user_id: u64) -> Result<bool> {
        let mut v = 0;
        check(unsafe { sys::roster_list_can_view(&mut v, self.as_const(), list_id, user_id) })?;
        Ok(v != 0)
    }

    // ---- Sessions -------------------------------------------------------------------------

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
        let raw: Vec<sys::roster_range> = ranges
            .iter()
            .map(|r| sys::roster_range {
                start: *r.start(),
                end: *r.end(),
            })
            .collect();
        self.call(|g| unsafe {
            sys::roster_session_subscribe(g, session_id, list_id, ptr_or_null(&raw), raw.len())
        })
    }

    /// Ends a session's subscription to a list (the session stays).
    pub fn unsubscribe(&mut self, session_id: u64, list_id: u64) -> Result<()> {
        self.subscribe(session_id, list_id, &[])
    }

    /// Removes a session and all its subscriptions; it gets no more frames.
    pub fn remove_session(&mut self, session_id: u64) -> Result<()> {
        self.call(|g| unsafe { sys::roster_session_remove(g, session_id) })
    }

    /// The session's normalised ranges of a list (whole chunks, ascending,
    /// adjacent chunks merged; none when it is not subscribed). `NotFound`
    /// for an unknown session.
    pub fn session_ranges(
        &self,
        session_id: u64,
        list_id: u64,
    ) -> Result<Vec<RangeInclusive<u32>>> {
        let raw = fill_vec(4, |out, cap, total| unsafe {
            sys::roster_session_ranges(out, cap, total, self.as_const(), session_id, list_id)
        })?;
        Ok(raw.iter().map(|r| r.start..=r.end).collect())
    }
}

impl Drop for Guild {
    fn drop(&mut self) {
        // SAFETY: ours, destroyed here only; the library calls no callback
        // while destroying.
        unsafe { sys::roster_guild_destroy(self.raw.as_ptr()) };
        self.free_callback();
    }
}

impl std::fmt::Debug for Guild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guild")
            .field("raw", &self.raw)
            .field("frame_callback", &self.callback.is_some())
            .finish()
    }
}
