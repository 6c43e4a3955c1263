//! The inputs of the bulk calls: member events
//! ([`Guild::apply_events`](crate::Guild::apply_events)) and new members
//! ([`Guild::add_members`](crate::Guild::add_members)). Both have the memory
//! layout of their C struct, so that a slice of them crosses the FFI as it
//! is: one call, no conversion and no allocation.

use std::fmt;
use std::marker::PhantomData;
use std::os::raw::c_char;
use std::ptr;

use crate::sys;
use crate::types::Presence;

/// A slice's pointer for C: NULL when empty (the header allows NULL with a
/// zero count, and no dangling pointer crosses the boundary).
#[inline]
pub(crate) fn ptr_or_null<T>(slice: &[T]) -> *const T {
    if slice.is_empty() {
        ptr::null()
    } else {
        slice.as_ptr()
    }
}

/// The kind of an [`Event`] (`ROSTER_EVENT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Sets the presence.
    Status,
    /// Renames.
    Name,
    /// Replaces the roles.
    Roles,
    /// Gives one role.
    AddRole,
    /// Takes one role.
    RemoveRole,
    /// The member changed without moving.
    Touch,
    /// Adds a member.
    Add,
    /// Adds a member or replaces an existing one's data.
    Upsert,
    /// Removes a member.
    Remove,
}

/// One member event of [`Guild::apply_events`](crate::Guild::apply_events)
/// (`roster_event`): each does exactly what the single call of the same
/// name does. It borrows its name and roles (`'a`); the library copies what
/// it keeps, so the borrowed data need only outlive the call.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct Event<'a> {
    raw: sys::roster_event,
    _borrows: PhantomData<(&'a str, &'a [u64])>,
}

// SAFETY: an Event is a roster_event plus shared borrows of a str and a
// [u64] (both Send and Sync); its pointers are only read, by the library,
// during a call that borrows the event.
unsafe impl Send for Event<'_> {}
unsafe impl Sync for Event<'_> {}

impl<'a> Event<'a> {
    #[inline]
    fn with(kind: u32, user_id: u64) -> Event<'a> {
        let mut raw = sys::roster_event::ZERO;
        raw.kind = kind;
        raw.user_id = user_id;
        Event {
            raw,
            _borrows: PhantomData,
        }
    }

    #[inline]
    fn name_set(mut self, name: &'a str) -> Event<'a> {
        self.raw.name = name.as_ptr() as *const c_char;
        self.raw.name_len = name.len();
        self
    }

    #[inline]
    fn roles_set(mut self, roles: &'a [u64]) -> Event<'a> {
        self.raw.roles = ptr_or_null(roles);
        self.raw.role_count = roles.len();
        self
    }

    /// Sets the member's presence ([`Guild::set_member_presence`](crate::Guild::set_member_presence)).
    #[inline]
    pub fn status(user_id: u64, presence: Presence) -> Event<'a> {
        let mut event = Event::with(sys::ROSTER_EVENT_STATUS, user_id);
        event.raw.status = presence.to_raw();
        event
    }

    /// Renames the member ([`Guild::set_member_name`](crate::Guild::set_member_name)).
    #[inline]
    pub fn name(user_id: u64, name: &'a str) -> Event<'a> {
        Event::with(sys::ROSTER_EVENT_NAME, user_id).name_set(name)
    }

    /// Replaces the member's roles ([`Guild::set_member_roles`](crate::Guild::set_member_roles)).
    #[inline]
    pub fn roles(user_id: u64, roles: &'a [u64]) -> Event<'a> {
        Event::with(sys::ROSTER_EVENT_ROLES, user_id).roles_set(roles)
    }

    /// Gives the member one role ([`Guild::add_member_role`](crate::Guild::add_member_role)).
    #[inline]
    pub fn add_role(user_id: u64, role_id: u64) -> Event<'a> {
        let mut event = Event::with(sys::ROSTER_EVENT_ADD_ROLE, user_id);
        event.raw.role_id = role_id;
        event
    }

    /// Takes one role from the member ([`Guild::remove_member_role`](crate::Guild::remove_member_role)).
    #[inline]
    pub fn remove_role(user_id: u64, role_id: u64) -> Event<'a> {
        let mut event = Event::with(sys::ROSTER_EVENT_REMOVE_ROLE, user_id);
        event.raw.role_id = role_id;
        event
    }

    /// The member changed without moving ([`Guild::touch_member`](crate::Guild::touch_member)).
    #[inline]
    pub fn touch(user_id: u64) -> Event<'a> {
        Event::with(sys::ROSTER_EVENT_TOUCH, user_id)
    }

    /// Adds a member ([`Guild::add_member`](crate::Guild::add_member)).
    #[inline]
    pub fn add(user_id: u64, name: &'a str, roles: &'a [u64], presence: Presence) -> Event<'a> {
        let mut event = Event::with(sys::ROSTER_EVENT_ADD, user_id)
            .name_set(name)
            .roles_set(roles);
        event.raw.status = presence.to_raw();
        event
    }

    /// Adds a member or replaces an existing one's data
    /// ([`Guild::upsert_member`](crate::Guild::upsert_member)).
    #[inline]
    pub fn upsert(user_id: u64, name: &'a str, roles: &'a [u64], presence: Presence) -> Event<'a> {
        let mut event = Event::add(user_id, name, roles, presence);
        event.raw.kind = sys::ROSTER_EVENT_UPSERT;
        event
    }

    /// Removes the member ([`Guild::remove_member`](crate::Guild::remove_member)).
    #[inline]
    pub fn remove(user_id: u64) -> Event<'a> {
        Event::with(sys::ROSTER_EVENT_REMOVE, user_id)
    }

    /// The event's kind.
    #[inline]
    pub fn kind(&self) -> EventKind {
        match self.raw.kind {
            sys::ROSTER_EVENT_STATUS => EventKind::Status,
            sys::ROSTER_EVENT_NAME => EventKind::Name,
            sys::ROSTER_EVENT_ROLES => EventKind::Roles,
            sys::ROSTER_EVENT_ADD_ROLE => EventKind::AddRole,
            sys::ROSTER_EVENT_REMOVE_ROLE => EventKind::RemoveRole,
            sys::ROSTER_EVENT_TOUCH => EventKind::Touch,
            sys::ROSTER_EVENT_ADD => EventKind::Add,
            sys::ROSTER_EVENT_UPSERT => EventKind::Upsert,
            // Only the constructors above make events.
            _ => EventKind::Remove,
        }
    }

    /// The member the event is about.
    #[inline]
    pub fn user_id(&self) -> u64 {
        self.raw.user_id
    }

    /// The C struct (its pointers borrow this event's name and roles).
    #[inline]
    pub fn as_raw(&self) -> &sys::roster_event {
        &self.raw
    }
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("kind", &self.kind())
            .field("user_id", &self.raw.user_id)
            .finish()
    }
}

/// One new member of [`Guild::add_members`](crate::Guild::add_members)
/// (`roster_member_spec`), borrowing its name and roles (`'a`).
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct MemberSpec<'a> {
    raw: sys::roster_member_spec,
    _borrows: PhantomData<(&'a str, &'a [u64])>,
}

// SAFETY: as for Event: a C struct plus shared borrows of Send + Sync data.
unsafe impl Send for MemberSpec<'_> {}
unsafe impl Sync for MemberSpec<'_> {}

impl<'a> MemberSpec<'a> {
    /// A new member: user id (not 0), display name (1..128 bytes), roles
    /// (duplicates ignored) and presence.
    #[inline]
    pub fn new(id: u64, name: &'a str, roles: &'a [u64], presence: Presence) -> MemberSpec<'a> {
        MemberSpec {
            raw: sys::roster_member_spec {
                id,
                name: name.as_ptr() as *const c_char,
                name_len: name.len(),
                roles: ptr_or_null(roles),
                role_count: roles.len(),
                status: presence.to_raw(),
            },
            _borrows: PhantomData,
        }
    }

    /// The user id.
    #[inline]
    pub fn id(&self) -> u64 {
        self.raw.id
    }

    /// The C struct (its pointers borrow this spec's name and roles).
    #[inline]
    pub fn as_raw(&self) -> &sys::roster_member_spec {
        &self.raw
    }
}

impl fmt::Debug for MemberSpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemberSpec")
            .field("id", &self.raw.id)
            .finish()
    }
}
