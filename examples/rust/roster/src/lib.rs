//! The safe Rust API of roster, the member-list engine for chat guilds
//! (the C API of `include/roster/roster.h`, through the raw declarations
//! of the `roster-sys` crate, re-exported as [`sys`]). It covers every
//! function of the C API.
//!
//! - [`Guild`] owns a `roster_guild` and destroys it exactly once, on drop
//!   ([`Guild::into_raw`] and [`Guild::from_raw`] hand the ownership over
//!   explicitly). It is `Send`, not `Sync` (see [`Guild`]).
//! - Every call that can fail returns [`Result`]; an [`Error`] carries the
//!   C status code, its [`ErrorKind`], the name of its C constant and the
//!   library's text for it.
//! - The frame callback is a closure, `FnMut(&FrameView)`. A [`FrameView`]
//!   reads the library's arrays in place (slices of [`Group`], [`OpView`]
//!   and [`Row`] over the C data, no copy, no allocation) and is valid only
//!   during the callback; [`FrameView::to_frame`] makes an owned [`Frame`].
//!   A panic in the closure is caught at the FFI boundary (unwinding through
//!   C is not allowed) and resumed once the guild call has returned.
//! - Or the frame queue: [`Guild::set_frame_queue`], then after each call
//!   [`Guild::take_frames`] hands out all its frames at once, a
//!   [`FrameBatch`] of [`FrameRecord`]s read in place (the accessors of a
//!   [`FrameView`]), which borrows the guild until it is dropped.
//! - The bulk calls cross the FFI once per call with the caller's slice as
//!   it is: [`Guild::apply_events`] (a slice of [`Event`]) and
//!   [`Guild::add_members`] (a slice of [`MemberSpec`]).
//! - Snapshots: [`Guild::save`] / [`Guild::save_to`] (any `io::Write`),
//!   [`Guild::load`] (bytes) and [`Guild::load_from`] (any `io::Read`).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use roster::{Config, Guild, Presence, Role};
//!
//! let mut guild = Guild::new(&Config::default())?;
//! let lines = Arc::new(Mutex::new(Vec::new()));
//! let sink = Arc::clone(&lines);
//! guild.set_frame_callback(move |frame| {
//!     // Read in place; keep only what is needed.
//!     let rows: usize = frame.ops().iter().map(|op| op.items().len()).sum();
//!     sink.lock().unwrap().push((frame.list_id(), rows));
//! })?;
//! guild.upsert_role(&Role::new(5, 1, Role::HOIST))?;
//! guild.add_member(1, "ann", &[5], Presence::Online)?;
//! guild.subscribe(9, 0, &[0..=99])?;
//! assert_eq!(*lines.lock().unwrap(), vec![(0, 2)]); // the SYNC: header + ann
//! # Ok::<(), roster::Error>(())
//! ```

pub use roster_sys as sys;

mod error;
mod event;
mod frame;
mod guild;
mod queue;
mod types;

use std::ffi::CStr;

pub use crate::error::{check, status_name, status_str, AddMembersError, Error, ErrorKind, Result};
pub use crate::event::{Event, EventKind, MemberSpec};
pub use crate::frame::{Frame, FrameView, Op, OpKind, OpView};
pub use crate::guild::Guild;
pub use crate::queue::{FrameBatch, FrameRecord, FrameRecords, OpRecord, OpRecords};
pub use crate::types::{
    Config, Group, GroupId, ListCounts, ListRule, Member, Overwrite, Presence, Role, Row, RowKind,
    Stats, SAVE_SESSIONS,
};

/// The version of the linked library, e.g. "0.1.0" (`roster_version_string`).
pub fn version() -> &'static str {
    // SAFETY: a static, never-NULL string.
    let text = unsafe { CStr::from_ptr(sys::roster_version_string()) };
    text.to_str().unwrap_or("")
}

/// The version of the linked library as major * 10000 + minor * 100 +
/// patch (`roster_version_number`); compare with
/// [`sys::ROSTER_VERSION_NUMBER`] to detect a header/library mismatch.
pub fn version_number() -> u32 {
    // SAFETY: a pure function without arguments.
    unsafe { sys::roster_version_number() }
}
