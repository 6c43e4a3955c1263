//! The plain values of the API: configuration, statistics, roles, list
//! rules, groups and rows.

use std::fmt;
use std::os::raw::c_int;
use std::time::Duration;

use crate::sys;

// ---- Configuration ---------------------------------------------------------------

/// Guild configuration (`roster_config`); `Config::default()` is the
/// header's `ROSTER_CONFIG_INIT`. Each field is the C field of the same
/// name; the bounds are the header's `ROSTER_MAX_*` (the guild refuses a
/// config past one with [`ErrorKind::InvalidArgument`](crate::ErrorKind)).
///
/// The allocator hooks of `roster_config` (`allocator`, since 0.2) are not
/// exposed by this safe API: a guild made here always uses the C and C++
/// runtimes' allocator (`allocator` unset, `reserved` 0). A host that needs
/// the hooks fills a [`sys::roster_config`] itself, creates the guild with
/// [`sys::roster_guild_create`] and hands it over with
/// [`Guild::from_raw`](crate::Guild::from_raw).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Offline members are shown while the guild has fewer members than
    /// this (1000).
    pub offline_threshold: u32,
    /// Whether @everyone may VIEW the guild (true).
    pub everyone_view: bool,
    /// Members in the guild (67,108,864).
    pub max_members: u32,
    /// Roles in the guild (1000).
    pub max_roles: u32,
    /// Roles of one member (256).
    pub max_roles_per_member: u32,
    /// Lists besides list 0 (256; may be 0).
    pub max_lists: u32,
    /// Role and member overwrites per list (1000; may be 0).
    pub max_overwrites: u32,
    /// Bytes of a host sort key (256).
    pub max_sort_key_bytes: u32,
    /// Rows per chunk that subscribed ranges are widened to (100).
    pub chunk_size: u32,
    /// Ranges per subscription (3).
    pub max_ranges: u32,
    /// Rows one range may span before widening (300).
    pub max_range_span: u32,
    /// Lists one session may subscribe to (5).
    pub max_session_lists: u32,
    /// Sessions in the guild (1,048,576).
    pub max_sessions: u32,
    /// A DELETE for every row that leaves the end of the list inside a
    /// held chunk, for clients that never resize their rows (false).
    pub tail_deletes: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config::from_raw(&sys::roster_config::INIT)
    }
}

impl Config {
    /// The C struct: `size` set, `reserved` 0, no allocator hooks.
    pub fn to_raw(&self) -> sys::roster_config {
        sys::roster_config {
            size: sys::roster_config::INIT.size,
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
            allocator: sys::roster_allocator::NONE,
            tail_deletes: u32::from(self.tail_deletes),
        }
    }

    /// The fields of a C struct (its `size`, `reserved` and allocator are
    /// not kept; `everyone_view` and `tail_deletes` are true unless 0).
    pub fn from_raw(c: &sys::roster_config) -> Config {
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
            tail_deletes: c.tail_deletes != 0,
        }
    }
}

// ---- Statistics ----------------------------------------------------------------------

/// A guild's counters and sizes, for monitoring (`roster_stats`). The
/// counters count from the guild's creation; a loaded guild's start at 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Members in the guild.
    pub members: u32,
    /// Lists, list 0 included.
    pub lists: u32,
    /// As [`Guild::session_count`](crate::Guild::session_count).
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
    /// The fields of a C struct.
    pub fn from_raw(s: &sys::roster_stats) -> Stats {
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

/// A flag of [`Guild::save`](crate::Guild::save): also write the sessions
/// and what their clients hold, so that they go on receiving incremental
/// ops from the loaded guild. Without it the loaded guild has no sessions
/// (clients subscribe again).
pub const SAVE_SESSIONS: u32 = sys::ROSTER_SAVE_SESSIONS;

// ---- Members and roles ----------------------------------------------------------------

/// A member's presence (`roster_presence`). Send `Offline` for "invisible".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Presence {
    /// `ROSTER_OFFLINE` (0).
    Offline,
    /// `ROSTER_ONLINE` (1).
    Online,
    /// `ROSTER_IDLE` (2).
    Idle,
    /// `ROSTER_DND` (3).
    Dnd,
}

impl Presence {
    /// The C value.
    #[inline]
    pub fn to_raw(self) -> c_int {
        match self {
            Presence::Offline => sys::ROSTER_OFFLINE,
            Presence::Online => sys::ROSTER_ONLINE,
            Presence::Idle => sys::ROSTER_IDLE,
            Presence::Dnd => sys::ROSTER_DND,
        }
    }

    /// The presence of a C value, `None` for a value that is not one.
    #[inline]
    pub fn from_raw(value: c_int) -> Option<Presence> {
        match value {
            sys::ROSTER_OFFLINE => Some(Presence::Offline),
            sys::ROSTER_ONLINE => Some(Presence::Online),
            sys::ROSTER_IDLE => Some(Presence::Idle),
            sys::ROSTER_DND => Some(Presence::Dnd),
            _ => None,
        }
    }
}

/// A role's settings (`roster_role`); `flags` is a combination of
/// `Role::HOIST`, `Role::VIEW` and `Role::ADMIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Role {
    /// Not 0, not a reserved group id.
    pub id: u64,
    /// Higher is shown first.
    pub position: i32,
    /// `Role::*` flags.
    pub flags: u32,
}

impl Role {
    /// Members are shown in the role's own section.
    pub const HOIST: u32 = sys::ROSTER_ROLE_HOIST;
    /// The role grants VIEW at guild level.
    pub const VIEW: u32 = sys::ROSTER_ROLE_VIEW;
    /// Holders see everything.
    pub const ADMIN: u32 = sys::ROSTER_ROLE_ADMIN;

    /// A role with these settings.
    #[inline]
    pub fn new(id: u64, position: i32, flags: u32) -> Role {
        Role {
            id,
            position,
            flags,
        }
    }

    #[inline]
    pub(crate) fn to_raw(self) -> sys::roster_role {
        sys::roster_role {
            id: self.id,
            position: self.position,
            flags: self.flags,
        }
    }
}

/// A member's data ([`Guild::member`](crate::Guild::member)), copied out of
/// the guild.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    /// The user id.
    pub id: u64,
    /// The display name.
    pub name: String,
    /// Its presence.
    pub presence: Presence,
    /// The group it is shown in (in list 0's sectioning).
    pub group: GroupId,
    /// Its roles, in ascending id order.
    pub roles: Vec<u64>,
}

// ---- Lists -------------------------------------------------------------------------------

/// A VIEW overwrite of a list for one role or one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Overwrite {
    /// A role id (role overwrites) or a user id (member overwrites).
    pub id: u64,
    /// Allow VIEW (true) or deny it.
    pub allow: bool,
}

impl Overwrite {
    /// Allows VIEW.
    pub fn allow(id: u64) -> Overwrite {
        Overwrite { id, allow: true }
    }

    /// Denies VIEW.
    pub fn deny(id: u64) -> Overwrite {
        Overwrite { id, allow: false }
    }
}

/// Who may see a list (`roster_list_rule`): @everyone's overwrite, then
/// role overwrites, then member overwrites. The default is an empty rule:
/// everyone who may view the guild.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ListRule {
    /// The @everyone overwrite: `None` (no overwrite), allow or deny.
    pub everyone: Option<bool>,
    /// Role overwrites.
    pub roles: Vec<Overwrite>,
    /// Member overwrites.
    pub members: Vec<Overwrite>,
}

/// A list's member counts ([`Guild::list_counts`](crate::Guild::list_counts)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ListCounts {
    /// Members visible in the list (shown or not).
    pub members: u32,
    /// Those of them not offline.
    pub online: u32,
}

// ---- Groups and rows (layout-compatible with the C structs) ----------------------------

/// A group: a hoisted role's section, or one of the two reserved groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupId {
    /// A hoisted role's section.
    Role(u64),
    /// `ROSTER_GROUP_ONLINE`: online members not in a hoisted role.
    Online,
    /// `ROSTER_GROUP_OFFLINE`: offline members.
    Offline,
}

impl GroupId {
    /// The group of a C group id.
    #[inline]
    pub fn from_raw(id: u64) -> GroupId {
        match id {
            sys::ROSTER_GROUP_ONLINE => GroupId::Online,
            sys::ROSTER_GROUP_OFFLINE => GroupId::Offline,
            role => GroupId::Role(role),
        }
    }

    /// The C group id.
    #[inline]
    pub fn to_raw(self) -> u64 {
        match self {
            GroupId::Role(role) => role,
            GroupId::Online => sys::ROSTER_GROUP_ONLINE,
            GroupId::Offline => sys::ROSTER_GROUP_OFFLINE,
        }
    }
}

impl fmt::Display for GroupId {
    /// The role id in decimal, or `online` / `offline`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupId::Role(role) => role.fmt(f),
            GroupId::Online => f.write_str("online"),
            GroupId::Offline => f.write_str("offline"),
        }
    }
}

/// One group of a list, with the number of its members. The same memory
/// layout as the C `roster_group`, so that a frame's groups are read in
/// place (`&[Group]` over the C array).
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Group(sys::roster_group);

impl Group {
    /// A group with `count` members.
    #[inline]
    pub fn new(id: GroupId, count: u32) -> Group {
        Group(sys::roster_group {
            id: id.to_raw(),
            count,
        })
    }

    /// The group.
    #[inline]
    pub fn id(&self) -> GroupId {
        GroupId::from_raw(self.0.id)
    }

    /// The C group id (a role id or a `ROSTER_GROUP_*` id).
    #[inline]
    pub fn raw_id(&self) -> u64 {
        self.0.id
    }

    /// Members in the group.
    #[inline]
    pub fn count(&self) -> u32 {
        self.0.count
    }

    /// The C struct.
    #[inline]
    pub fn as_raw(&self) -> &sys::roster_group {
        &self.0
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("id", &self.id())
            .field("count", &self.count())
            .finish()
    }
}

/// The kind of a [`Row`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A group's header.
    Header,
    /// A member.
    Member,
}

/// One row of a list: a group's header (with the group's member count) or
/// a member (with the group it is shown in). The same memory layout as the
/// C `roster_row`, so that a frame's rows are read in place (`&[Row]` over
/// the C array).
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Row(sys::roster_row);

impl Row {
    /// A header row of a group with `count` members.
    #[inline]
    pub fn header(group: GroupId, count: u32) -> Row {
        Row(sys::roster_row {
            kind: sys::ROSTER_ROW_HEADER,
            count,
            group: group.to_raw(),
            user: 0,
        })
    }

    /// A member's row, shown in `group`.
    #[inline]
    pub fn member(user: u64, group: GroupId) -> Row {
        Row(sys::roster_row {
            kind: sys::ROSTER_ROW_MEMBER,
            count: 0,
            group: group.to_raw(),
            user,
        })
    }

    /// Header or member (any kind but a header is read as a member).
    #[inline]
    pub fn kind(&self) -> RowKind {
        if self.0.kind == sys::ROSTER_ROW_HEADER {
            RowKind::Header
        } else {
            RowKind::Member
        }
    }

    /// Whether it is a group's header.
    #[inline]
    pub fn is_header(&self) -> bool {
        self.kind() == RowKind::Header
    }

    /// The group: the header's, or the one the member is shown in.
    #[inline]
    pub fn group(&self) -> GroupId {
        GroupId::from_raw(self.0.group)
    }

    /// The C group id.
    #[inline]
    pub fn raw_group(&self) -> u64 {
        self.0.group
    }

    /// A member's user id (0 for a header).
    #[inline]
    pub fn user(&self) -> u64 {
        self.0.user
    }

    /// A header's member count (0 for a member).
    #[inline]
    pub fn count(&self) -> u32 {
        self.0.count
    }

    /// The C struct.
    #[inline]
    pub fn as_raw(&self) -> &sys::roster_row {
        &self.0
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            RowKind::Header => f
                .debug_struct("Header")
                .field("group", &self.group())
                .field("count", &self.count())
                .finish(),
            RowKind::Member => f
                .debug_struct("Member")
                .field("user", &self.user())
                .field("group", &self.group())
                .finish(),
        }
    }
}
