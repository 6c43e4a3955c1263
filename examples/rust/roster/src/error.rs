//! Errors: the C status codes as a Rust error type.

use std::ffi::CStr;
use std::fmt;

use crate::sys;

/// What went wrong, by the C status code (`roster_status`). The codes are
/// fixed forever; a code this crate does not know (a newer library) is
/// [`ErrorKind::Unknown`]. New kinds may be added with new codes, so a
/// `match` on it needs a wildcard arm.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `ROSTER_EINVAL`: invalid argument (id 0, bad UTF-8, bad value, ...).
    InvalidArgument,
    /// `ROSTER_ENOTFOUND`: unknown id.
    NotFound,
    /// `ROSTER_EEXIST`: already exists.
    AlreadyExists,
    /// `ROSTER_ELIMIT`: a configured limit would be exceeded.
    Limit,
    /// `ROSTER_ENOMEM`: out of memory; nothing was changed.
    OutOfMemory,
    /// `ROSTER_EBUSY`: called from inside the guild's own frame callback.
    Busy,
    /// `ROSTER_ECORRUPT`: damaged or truncated snapshot.
    Corrupt,
    /// `ROSTER_EVERSION`: snapshot of an incompatible format version.
    Version,
    /// `ROSTER_EINTERNAL`: a bug in roster; the guild is unchanged.
    Internal,
    /// `ROSTER_EFLUSH`: the change was made, but memory ran out while its
    /// frames were built or delivered. Do not repeat the change: the next
    /// flush ([`Guild::flush`](crate::Guild::flush) or any call that
    /// flushes) brings every session up to date.
    Flush,
    /// `ROSTER_EIO`: a snapshot reader or writer failed.
    Io,
    /// A status this crate does not know.
    Unknown(i32),
}

/// A failed roster call: the C status code (always negative), its kind,
/// the name of its C constant and the library's text for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    code: i32,
}

impl Error {
    /// The error for a status code. Give it a failure code: `from_code(0)`
    /// makes an error whose kind is `Unknown(0)`.
    #[inline]
    pub fn from_code(code: i32) -> Error {
        Error { code }
    }

    /// The C status code, e.g. -2 (`ROSTER_ENOTFOUND`).
    #[inline]
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The kind of error, matched on the code.
    pub fn kind(&self) -> ErrorKind {
        match self.code {
            sys::ROSTER_EINVAL => ErrorKind::InvalidArgument,
            sys::ROSTER_ENOTFOUND => ErrorKind::NotFound,
            sys::ROSTER_EEXIST => ErrorKind::AlreadyExists,
            sys::ROSTER_ELIMIT => ErrorKind::Limit,
            sys::ROSTER_ENOMEM => ErrorKind::OutOfMemory,
            sys::ROSTER_EBUSY => ErrorKind::Busy,
            sys::ROSTER_ECORRUPT => ErrorKind::Corrupt,
            sys::ROSTER_EVERSION => ErrorKind::Version,
            sys::ROSTER_EINTERNAL => ErrorKind::Internal,
            sys::ROSTER_EFLUSH => ErrorKind::Flush,
            sys::ROSTER_EIO => ErrorKind::Io,
            other => ErrorKind::Unknown(other),
        }
    }

    /// The name of the status's C constant, e.g. "ROSTER_ENOTFOUND"
    /// ("ROSTER_UNKNOWN" for a code this crate does not know).
    pub fn name(&self) -> &'static str {
        status_name(self.code)
    }

    /// The library's text for the code (`roster_status_str`), e.g. "not found".
    pub fn message(&self) -> &'static str {
        status_str(self.code)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "roster: {} ({}, status {})",
            self.message(),
            self.name(),
            self.code
        )
    }
}

impl std::error::Error for Error {}

/// The result of a roster call.
pub type Result<T> = std::result::Result<T, Error>;

/// Turns a C status into a `Result`: `Ok(())` for `ROSTER_OK` (0), else the
/// error. Useful for the per-event statuses of
/// [`Guild::apply_events_with_statuses`](crate::Guild::apply_events_with_statuses).
#[inline]
pub fn check(status: i32) -> Result<()> {
    if status == sys::ROSTER_OK {
        Ok(())
    } else {
        Err(Error::from_code(status))
    }
}

/// The library's name of a status code ("ok", "invalid argument", ...;
/// "unknown status" for a code it does not know): `roster_status_str`.
/// Pure; may be called from any thread.
pub fn status_str(code: i32) -> &'static str {
    // SAFETY: roster_status_str never returns NULL and its strings are static.
    let text = unsafe { CStr::from_ptr(sys::roster_status_str(code)) };
    text.to_str().unwrap_or("unknown status")
}

/// The name of a status code's C constant ("ROSTER_OK", "ROSTER_EINVAL",
/// ...; "ROSTER_UNKNOWN" for a code this crate does not know).
pub fn status_name(code: i32) -> &'static str {
    match code {
        sys::ROSTER_OK => "ROSTER_OK",
        sys::ROSTER_EINVAL => "ROSTER_EINVAL",
        sys::ROSTER_ENOTFOUND => "ROSTER_ENOTFOUND",
        sys::ROSTER_EEXIST => "ROSTER_EEXIST",
        sys::ROSTER_ELIMIT => "ROSTER_ELIMIT",
        sys::ROSTER_ENOMEM => "ROSTER_ENOMEM",
        sys::ROSTER_EBUSY => "ROSTER_EBUSY",
        sys::ROSTER_ECORRUPT => "ROSTER_ECORRUPT",
        sys::ROSTER_EVERSION => "ROSTER_EVERSION",
        sys::ROSTER_EINTERNAL => "ROSTER_EINTERNAL",
        sys::ROSTER_EFLUSH => "ROSTER_EFLUSH",
        sys::ROSTER_EIO => "ROSTER_EIO",
        _ => "ROSTER_UNKNOWN",
    }
}

/// The error of [`Guild::add_members_at`](crate::Guild::add_members_at):
/// the error, and the index of the first failing entry when the error is
/// about one entry (`None` when it is not: the guild would exceed
/// `max_members`, out of memory, ...). Converts into [`Error`] for `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddMembersError {
    /// The status of the first failing entry, or of the call.
    pub error: Error,
    /// The index of the first failing entry in the array given.
    pub index: Option<usize>,
}

impl fmt::Display for AddMembersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(f, "{} (member at index {})", self.error, index),
            None => self.error.fmt(f),
        }
    }
}

impl std::error::Error for AddMembersError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<AddMembersError> for Error {
    fn from(err: AddMembersError) -> Error {
        err.error
    }
}
