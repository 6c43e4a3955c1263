//! Tests of the safe API: every public function and method is called at
//! least once, on its success path and its error paths.

use std::ffi::c_void;
use std::io::{self, Cursor, Read, Write};
use std::ops::RangeInclusive;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use roster::sys;
use roster::{
    check, status_name, status_str, Config, Error, ErrorKind, Event, EventKind, Frame, Group,
    GroupId, Guild, ListCounts, ListRule, MemberSpec, Op, OpKind, Overwrite, Presence, Role, Row,
    RowKind, Stats, SAVE_SESSIONS,
};

/// A guild whose frames (owned copies) are collected.
fn recording(config: &Config) -> (Guild, Arc<Mutex<Vec<Frame>>>) {
    let mut guild = Guild::new(config).unwrap();
    let frames = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&frames);
    guild
        .set_frame_callback(move |f| sink.lock().unwrap().push(f.to_frame()))
        .unwrap();
    (guild, frames)
}

fn take(frames: &Arc<Mutex<Vec<Frame>>>) -> Vec<Frame> {
    std::mem::take(&mut *frames.lock().unwrap())
}

fn kind<T>(result: roster::Result<T>) -> Option<ErrorKind> {
    result.err().map(|e| e.kind())
}

// ---- Version, statuses, errors ------------------------------------------------------

#[test]
fn versions_and_status_texts() {
    assert_eq!(roster::version_number(), sys::ROSTER_VERSION_NUMBER);
    assert_eq!(roster::version(), sys::ROSTER_VERSION_STRING);
    assert_eq!(status_str(0), "ok");
    assert_eq!(status_str(12345), "unknown status");
    assert_eq!(status_name(0), "ROSTER_OK");
    assert_eq!(status_name(12345), "ROSTER_UNKNOWN");
    assert_eq!(check(0), Ok(()));
    assert_eq!(check(-2), Err(Error::from_code(-2)));
}

#[test]
fn every_status_code_has_its_kind_and_name() {
    let all = [
        (-1, ErrorKind::InvalidArgument, "ROSTER_EINVAL"),
        (-2, ErrorKind::NotFound, "ROSTER_ENOTFOUND"),
        (-3, ErrorKind::AlreadyExists, "ROSTER_EEXIST"),
        (-4, ErrorKind::Limit, "ROSTER_ELIMIT"),
        (-5, ErrorKind::OutOfMemory, "ROSTER_ENOMEM"),
        (-6, ErrorKind::Busy, "ROSTER_EBUSY"),
        (-7, ErrorKind::Corrupt, "ROSTER_ECORRUPT"),
        (-8, ErrorKind::Version, "ROSTER_EVERSION"),
        (-9, ErrorKind::Internal, "ROSTER_EINTERNAL"),
        (-10, ErrorKind::Flush, "ROSTER_EFLUSH"),
        (-11, ErrorKind::Io, "ROSTER_EIO"),
        (-99, ErrorKind::Unknown(-99), "ROSTER_UNKNOWN"),
    ];
    for (code, kind, name) in all {
        let err = Error::from_code(code);
        assert_eq!(err.code(), code);
        assert_eq!(err.kind(), kind);
        assert_eq!(err.name(), name);
        assert_eq!(err.message(), status_str(code));
        let text = err.to_string();
        assert!(
            text.contains(name) && text.contains(err.message()),
            "{}",
            text
        );
    }
    assert_ne!(status_str(-1), status_str(-2));
}

// ---- Guild creation, settings, counts -----------------------------------------------------

/// The DELETE indices sent when the last of seven members leaves a list
/// one session holds in chunks of 5.
fn deletes_when_last_leaves(tail_deletes: bool) -> Vec<u32> {
    let (mut guild, frames) = recording(&Config {
        chunk_size: 5,
        tail_deletes,
        ..Config::default()
    });
    for i in 1..=7u64 {
        guild
            .add_member(i, &format!("n{i}"), &[], Presence::Online)
            .unwrap();
    }
    guild.subscribe(1, 0, &[0..=9]).unwrap();
    take(&frames);
    guild.remove_member(7).unwrap();
    take(&frames)
        .iter()
        .flat_map(|f| f.ops.iter())
        .filter_map(|op| match op {
            Op::Delete { index } => Some(*index),
            _ => None,
        })
        .collect()
}

#[test]
fn tail_deletes_delete_the_rows_leaving_the_end() {
    assert!(!Config::default().tail_deletes);
    assert_eq!(deletes_when_last_leaves(true), vec![7]);
    assert!(deletes_when_last_leaves(false).is_empty());
}

#[test]
fn config_round_trips_and_bad_configs_are_refused() {
    let config = Config::default();
    assert_eq!(config.chunk_size, 100);
    assert!(config.everyone_view);
    let raw = config.to_raw();
    assert_eq!(raw.size as usize, std::mem::size_of::<sys::roster_config>());
    assert!(raw.allocator.allocate.is_none());
    assert_eq!(Config::from_raw(&raw), config);

    for bad in [
        Config {
            chunk_size: 0,
            ..config
        },
        Config {
            max_members: sys::ROSTER_MAX_MEMBERS + 1,
            ..config
        },
    ] {
        assert_eq!(kind(Guild::new(&bad)), Some(ErrorKind::InvalidArgument));
    }
}

#[test]
fn guild_settings_counts_and_stats() {
    let mut guild = Guild::new(&Config::default()).unwrap();
    assert_eq!(guild.member_count(), Ok(0));
    assert_eq!(guild.session_count(), Ok(0));
    assert!(format!("{:?}", guild).contains("Guild"));

    guild.add_member(1, "ann", &[], Presence::Online).unwrap();
    guild.add_member(2, "bob", &[], Presence::Offline).unwrap();
    assert_eq!(guild.member_count(), Ok(2));

    // Everyone's VIEW decides who is in a list with an empty rule.
    guild.set_list(7, &ListRule::default()).unwrap();
    assert_eq!(guild.list_counts(7).unwrap().members, 2);
    guild.set_everyone_view(false).unwrap();
    assert_eq!(
        guild.list_counts(7),
        Ok(ListCounts {
            members: 0,
            online: 0
        })
    );
    guild.set_everyone_view(true).unwrap();
    assert_eq!(guild.list_counts(7).unwrap().members, 2);

    // The offline threshold hides offline members once reached.
    assert_eq!(guild.list_index_of(0, 2), Ok(3)); // ONLINE, ann, OFFLINE, bob
    guild.set_offline_threshold(2).unwrap();
    assert_eq!(kind(guild.list_index_of(0, 2)), Some(ErrorKind::NotFound));
    assert_eq!(guild.list_length(0), Ok(2));

    let stats: Stats = guild.stats().unwrap();
    assert_eq!((stats.members, stats.lists, stats.sessions), (2, 2, 0));
    assert!(stats.memory_bytes > 0);
    assert_eq!(Stats::from_raw(&sys::roster_stats::INIT), Stats::default());
}

#[test]
fn batches_and_flush() {
    let (mut guild, frames) = recording(&Config::default());
    guild.add_member(1, "ann", &[], Presence::Online).unwrap();
    guild.subscribe(1, 0, &[0..=99]).unwrap();
    assert_eq!(take(&frames).len(), 1);

    assert_eq!(kind(guild.batch_commit()), Some(ErrorKind::InvalidArgument));
    guild.batch_begin().unwrap();
    guild.batch_begin().unwrap(); // nested
    guild.add_member(2, "bob", &[], Presence::Online).unwrap();
    guild.touch_member(1).unwrap();
    assert_eq!(kind(guild.flush()), Some(ErrorKind::InvalidArgument));
    guild.batch_commit().unwrap();
    assert!(take(&frames).is_empty()); // held until the outermost commit
    guild.batch_commit().unwrap();
    assert_eq!(take(&frames).len(), 1);

    guild.flush().unwrap(); // nothing owed: no frame
    assert!(take(&frames).is_empty());
}

// ---- Roles and members ---------------------------------------------------------------------

#[test]
fn roles_upsert_remove_reorder() {
    let mut guild = Guild::new(&Config {
        max_roles: 2,
        ..Config::default()
    })
    .unwrap();
    guild.upsert_role(&Role::new(10, 1, Role::HOIST)).unwrap();
    guild
        .upsert_role(&Role::new(20, 2, Role::HOIST | Role::VIEW))
        .unwrap();
    assert_eq!(
        kind(guild.upsert_role(&Role::new(30, 3, 0))),
        Some(ErrorKind::Limit)
    );
    assert_eq!(
        kind(guild.upsert_role(&Role::new(0, 3, 0))),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.upsert_role(&Role::new(10, 3, 1 << 7))),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.upsert_role(&Role::new(sys::ROSTER_GROUP_ONLINE, 3, Role::ADMIN))),
        Some(ErrorKind::InvalidArgument)
    );

    guild.add_member(1, "ann", &[10], Presence::Online).unwrap();
    guild.add_member(2, "bob", &[20], Presence::Online).unwrap();
    let order =
        |g: &Guild| -> Vec<GroupId> { g.list_groups(0).unwrap().iter().map(|x| x.id()).collect() };
    assert_eq!(order(&guild), [GroupId::Role(20), GroupId::Role(10)]);
    guild.reorder_roles(&[(10, 5), (20, 4)]).unwrap();
    assert_eq!(order(&guild), [GroupId::Role(10), GroupId::Role(20)]);
    guild.reorder_roles(&[]).unwrap();
    assert_eq!(
        kind(guild.reorder_roles(&[(10, 1), (10, 2)])),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.reorder_roles(&[(99, 1)])),
        Some(ErrorKind::NotFound)
    );

    guild.remove_role(10).unwrap();
    assert_eq!(guild.member(1).unwrap().roles, Vec::<u64>::new());
    assert_eq!(kind(guild.remove_role(10)), Some(ErrorKind::NotFound));
}

#[test]
fn members_one_by_one() {
    let mut guild = Guild::new(&Config {
        max_sort_key_bytes: 4,
        ..Config::default()
    })
    .unwrap();
    let roles: Vec<u64> = (1..=12).collect();
    for &id in &roles {
        guild
            .upsert_role(&Role::new(id, id as i32, Role::HOIST))
            .unwrap();
    }

    // Add: its errors.
    guild.add_member(1, "ann", &[3], Presence::Idle).unwrap();
    assert_eq!(
        kind(guild.add_member(1, "ann", &[], Presence::Online)),
        Some(ErrorKind::AlreadyExists)
    );
    assert_eq!(
        kind(guild.add_member(0, "zero", &[], Presence::Online)),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.add_member(2, "", &[], Presence::Online)),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.add_member(2, "bob", &[99], Presence::Online)),
        Some(ErrorKind::NotFound)
    );

    // Get: more roles than the first guess of the wrapper (8).
    guild.set_member_roles(1, &roles).unwrap();
    let ann = guild.member(1).unwrap();
    assert_eq!(ann.id, 1);
    assert_eq!(ann.name, "ann");
    assert_eq!(ann.presence, Presence::Idle);
    assert_eq!(ann.group, GroupId::Role(12));
    assert_eq!(ann.roles, roles);
    assert_eq!(kind(guild.member(2)), Some(ErrorKind::NotFound));

    // Upsert: adds, then replaces.
    guild
        .upsert_member(2, "bob", &[], Presence::Online)
        .unwrap();
    guild.upsert_member(2, "rob", &[5], Presence::Dnd).unwrap();
    let rob = guild.member(2).unwrap();
    assert_eq!(
        (rob.name.as_str(), rob.presence, rob.roles),
        ("rob", Presence::Dnd, vec![5])
    );

    // The single changes and their errors.
    guild.set_member_presence(2, Presence::Offline).unwrap();
    assert_eq!(guild.member(2).unwrap().group, GroupId::Offline);
    assert_eq!(
        kind(guild.set_member_presence(9, Presence::Online)),
        Some(ErrorKind::NotFound)
    );
    guild.set_member_name(2, "bo").unwrap();
    assert_eq!(
        kind(guild.set_member_name(2, "")),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.set_member_name(2, &"x".repeat(129))),
        Some(ErrorKind::InvalidArgument)
    );
    guild.set_member_roles(2, &[]).unwrap();
    assert_eq!(
        kind(guild.set_member_roles(2, &[404])),
        Some(ErrorKind::NotFound)
    );
    guild.add_member_role(2, 4).unwrap();
    guild.add_member_role(2, 4).unwrap(); // already held: nothing
    assert_eq!(
        kind(guild.add_member_role(2, 404)),
        Some(ErrorKind::NotFound)
    );
    guild.remove_member_role(2, 4).unwrap();
    guild.remove_member_role(2, 4).unwrap(); // not held: nothing
    assert_eq!(
        kind(guild.remove_member_role(9, 4)),
        Some(ErrorKind::NotFound)
    );
    assert_eq!(guild.member(2).unwrap().roles, Vec::<u64>::new());
    guild.touch_member(2).unwrap();
    assert_eq!(kind(guild.touch_member(9)), Some(ErrorKind::NotFound));

    // Sort keys: a key puts "zed" first; None restores the name's order.
    guild.set_member_roles(1, &[]).unwrap();
    guild.set_member_presence(2, Presence::Online).unwrap();
    guild.set_member_presence(1, Presence::Online).unwrap();
    guild.add_member(3, "zed", &[], Presence::Online).unwrap();
    let users = |g: &Guild| -> Vec<u64> {
        g.list_rows(0, 0..=99)
            .unwrap()
            .iter()
            .filter(|r| !r.is_header())
            .map(|r| r.user())
            .collect()
    };
    assert_eq!(users(&guild), [1, 2, 3]);
    guild.set_member_sort_key(3, Some(b"a")).unwrap();
    assert_eq!(users(&guild), [3, 1, 2]);
    assert_eq!(
        kind(guild.set_member_sort_key(3, Some(b""))),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.set_member_sort_key(3, Some(b"abcde"))),
        Some(ErrorKind::Limit)
    );
    guild.set_member_sort_key(3, None).unwrap();
    assert_eq!(users(&guild), [1, 2, 3]);

    // Remove.
    guild.remove_member(3).unwrap();
    assert_eq!(kind(guild.remove_member(3)), Some(ErrorKind::NotFound));
    assert_eq!(guild.member_count(), Ok(2));
}

#[test]
fn members_in_bulk() {
    let mut guild = Guild::new(&Config {
        max_members: 5,
        ..Config::default()
    })
    .unwrap();
    guild.upsert_role(&Role::new(7, 1, Role::HOIST)).unwrap();
    let names = ["a", "b", "c"];
    let specs: Vec<MemberSpec<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| MemberSpec::new(i as u64 + 1, name, &[7], Presence::Online))
        .collect();
    assert_eq!(specs[1].id(), 2);
    assert_eq!(specs[1].as_raw().role_count, 1);
    assert!(format!("{:?}", specs[0]).contains("MemberSpec"));
    guild.add_members(&specs).unwrap();
    assert_eq!(guild.member_count(), Ok(3));
    guild.add_members(&[]).unwrap();

    // All or nothing; the index of the first failing entry.
    let bad = [
        MemberSpec::new(10, "x", &[], Presence::Online),
        MemberSpec::new(2, "dup", &[], Presence::Online),
    ];
    assert_eq!(
        kind(guild.add_members(&bad)),
        Some(ErrorKind::AlreadyExists)
    );
    let err = guild.add_members_at(&bad).unwrap_err();
    assert_eq!(err.error.kind(), ErrorKind::AlreadyExists);
    assert_eq!(err.index, Some(1));
    assert!(err.to_string().contains("index 1"));
    let as_error: Error = err.into();
    assert_eq!(as_error.kind(), ErrorKind::AlreadyExists);
    assert_eq!(guild.member_count(), Ok(3));

    // An error that is not about one entry: max_members.
    let many = [
        MemberSpec::new(20, "p", &[], Presence::Online),
        MemberSpec::new(21, "q", &[], Presence::Online),
        MemberSpec::new(22, "r", &[], Presence::Online),
    ];
    let err = guild.add_members_at(&many).unwrap_err();
    assert_eq!((err.error.kind(), err.index), (ErrorKind::Limit, None));
    guild.add_members_at(&many[..2]).unwrap();
    assert_eq!(guild.member_count(), Ok(5));
}

#[test]
fn events_in_bulk() {
    let (mut guild, frames) = recording(&Config::default());
    guild.upsert_role(&Role::new(7, 1, Role::HOIST)).unwrap();
    guild.upsert_role(&Role::new(8, 2, Role::HOIST)).unwrap();
    guild.subscribe(1, 0, &[0..=99]).unwrap();
    take(&frames);

    let roles = [7u64, 8];
    let events = [
        Event::add(1, "ann", &roles[..1], Presence::Online),
        Event::add(2, "bob", &[], Presence::Idle),
        Event::upsert(3, "cy", &[], Presence::Online),
        Event::upsert(3, "cyd", &roles, Presence::Dnd),
        Event::status(2, Presence::Offline),
        Event::name(1, "anne"),
        Event::roles(2, &roles[1..]),
        Event::add_role(1, 8),
        Event::remove_role(1, 7),
        Event::touch(2),
        Event::remove(3),
    ];
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Add,
            EventKind::Add,
            EventKind::Upsert,
            EventKind::Upsert,
            EventKind::Status,
            EventKind::Name,
            EventKind::Roles,
            EventKind::AddRole,
            EventKind::RemoveRole,
            EventKind::Touch,
            EventKind::Remove,
        ]
    );
    assert_eq!(events[4].user_id(), 2);
    assert_eq!(events[0].as_raw().name_len, 3);
    assert!(format!("{:?}", events[0]).contains("Add"));

    guild.apply_events(&events).unwrap();
    // One call, one flush, one frame for the session.
    assert_eq!(take(&frames).len(), 1);
    let ann = guild.member(1).unwrap();
    assert_eq!((ann.name.as_str(), ann.roles), ("anne", vec![8]));
    assert_eq!(guild.member(2).unwrap().roles, vec![8]);
    assert_eq!(guild.member(2).unwrap().presence, Presence::Offline);
    assert_eq!(kind(guild.member(3)), Some(ErrorKind::NotFound));
    guild.apply_events(&[]).unwrap();

    // Per-event statuses; the call's result is the first failure's.
    let mixed = [
        Event::status(1, Presence::Idle),
        Event::status(404, Presence::Idle),
        Event::add(1, "again", &[], Presence::Online),
        Event::name(2, ""),
    ];
    let mut statuses = [1; 4];
    let err = guild
        .apply_events_with_statuses(&mixed, &mut statuses)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        statuses,
        [
            sys::ROSTER_OK,
            sys::ROSTER_ENOTFOUND,
            sys::ROSTER_EEXIST,
            sys::ROSTER_EINVAL
        ]
    );
    assert_eq!(
        check(statuses[2]).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(guild.member(1).unwrap().presence, Presence::Idle);
    guild.apply_events_with_statuses(&[], &mut []).unwrap();

    // Nothing succeeded: nothing changed, no frame.
    take(&frames);
    assert_eq!(
        kind(guild.apply_events(&[Event::remove(404)])),
        Some(ErrorKind::NotFound)
    );
    assert!(take(&frames).is_empty());
}

#[test]
#[should_panic(expected = "one status per event")]
fn statuses_must_match_the_events() {
    let mut guild = Guild::new(&Config::default()).unwrap();
    let _ = guild.apply_events_with_statuses(&[Event::touch(1)], &mut []);
}

// ---- Lists ---------------------------------------------------------------------------------

#[test]
fn lists_and_their_queries() {
    let mut guild = Guild::new(&Config {
        max_lists: 1,
        ..Config::default()
    })
    .unwrap();
    // More groups than the wrapper's first guess (16).
    for id in 1..=20u64 {
        guild
            .upsert_role(&Role::new(id, id as i32, Role::HOIST))
            .unwrap();
        guild
            .add_member(100 + id, &format!("m{}", id), &[id], Presence::Online)
            .unwrap();
    }
    guild
        .add_member(200, "off", &[], Presence::Offline)
        .unwrap();
    let groups = guild.list_groups(0).unwrap();
    assert_eq!(groups.len(), 21);
    assert_eq!(groups[0], Group::new(GroupId::Role(20), 1));
    assert_eq!(groups[20].id(), GroupId::Offline);
    assert_eq!(groups[20].raw_id(), sys::ROSTER_GROUP_OFFLINE);
    assert_eq!(groups[20].count(), 1);
    assert_eq!(groups[20].as_raw().id, sys::ROSTER_GROUP_OFFLINE);
    assert!(format!("{:?}", groups[0]).contains("Role(20)"));

    assert_eq!(guild.list_length(0), Ok(42));
    assert_eq!(
        guild.list_counts(0),
        Ok(ListCounts {
            members: 21,
            online: 20
        })
    );
    let rows = guild.list_rows(0, 0..=3).unwrap();
    assert_eq!(
        rows,
        [
            Row::header(GroupId::Role(20), 1),
            Row::member(120, GroupId::Role(20)),
            Row::header(GroupId::Role(19), 1),
            Row::member(119, GroupId::Role(19)),
        ]
    );
    assert_eq!(rows[0].kind(), RowKind::Header);
    assert_eq!(rows[1].kind(), RowKind::Member);
    assert_eq!((rows[1].user(), rows[1].count()), (120, 0));
    assert_eq!((rows[0].raw_group(), rows[0].count()), (20, 1));
    assert_eq!(rows[1].as_raw().kind, sys::ROSTER_ROW_MEMBER);
    assert!(format!("{:?}", rows[0]).contains("Header"));
    assert!(format!("{:?}", rows[1]).contains("Member"));
    // Clipped at the end, empty past it, more than the first guess.
    assert_eq!(guild.list_rows(0, 40..=1000).unwrap().len(), 2);
    assert!(guild.list_rows(0, 500..=600).unwrap().is_empty());
    assert_eq!(guild.list_rows(0, 0..=u32::MAX).unwrap().len(), 42);
    let reversed = RangeInclusive::new(5, 2);
    assert_eq!(
        kind(guild.list_rows(0, reversed)),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(guild.list_index_of(0, 120), Ok(1));
    assert_eq!(kind(guild.list_index_of(0, 999)), Some(ErrorKind::NotFound));

    // A list with a rule: only role 3 (allowed) and member 105 (allowed).
    let rule = ListRule {
        everyone: Some(false),
        roles: vec![Overwrite::allow(3)],
        members: vec![Overwrite::allow(105), Overwrite::deny(103)],
    };
    guild.set_list(9, &rule).unwrap();
    assert_eq!(guild.list_counts(9).unwrap().members, 1);
    assert_eq!(guild.list_index_of(9, 105), Ok(1));
    assert_eq!(kind(guild.list_index_of(9, 103)), Some(ErrorKind::NotFound));
    let rule = ListRule {
        members: vec![Overwrite::allow(105)],
        ..rule
    };
    guild.set_list(9, &rule).unwrap();
    assert_eq!(guild.list_counts(9).unwrap().members, 2);

    // Errors: list 0, a second list past max_lists, duplicates, unknown lists.
    assert_eq!(
        kind(guild.set_list(0, &ListRule::default())),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.set_list(10, &ListRule::default())),
        Some(ErrorKind::Limit)
    );
    let twice = ListRule {
        roles: vec![Overwrite::allow(3), Overwrite::deny(3)],
        ..ListRule::default()
    };
    assert_eq!(
        kind(guild.set_list(9, &twice)),
        Some(ErrorKind::InvalidArgument)
    );
    guild.remove_list(9).unwrap();
    assert_eq!(kind(guild.remove_list(9)), Some(ErrorKind::NotFound));
    assert_eq!(kind(guild.remove_list(0)), Some(ErrorKind::InvalidArgument));
    assert_eq!(kind(guild.list_length(9)), Some(ErrorKind::NotFound));
    assert_eq!(kind(guild.list_counts(9)), Some(ErrorKind::NotFound));
    assert_eq!(kind(guild.list_groups(9)), Some(ErrorKind::NotFound));
    assert_eq!(kind(guild.list_rows(9, 0..=9)), Some(ErrorKind::NotFound));
}

// ---- Sessions and frames -----------------------------------------------------------------

#[test]
fn sessions_subscribe_ranges_remove() {
    let (mut guild, frames) = recording(&Config {
        chunk_size: 10,
        max_session_lists: 1,
        ..Config::default()
    });
    for i in 1..=30u64 {
        guild
            .add_member(i, &format!("m{:02}", i), &[], Presence::Online)
            .unwrap();
    }
    let reversed = RangeInclusive::new(29, 25);
    guild.subscribe(1, 0, &[3..=12, reversed]).unwrap();
    // Widened to whole chunks, the ends swapped, adjacent chunks merged.
    assert_eq!(guild.session_ranges(1, 0), Ok(vec![0..=29]));
    assert_eq!(guild.session_count(), Ok(1));
    assert_eq!(take(&frames).len(), 1);

    assert_eq!(
        kind(guild.subscribe(0, 0, &[0..=9])),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(guild.subscribe(1, 5, &[0..=9])),
        Some(ErrorKind::NotFound)
    );
    guild.set_list(5, &ListRule::default()).unwrap();
    assert_eq!(
        kind(guild.subscribe(1, 5, &[0..=9])),
        Some(ErrorKind::Limit) // max_session_lists
    );
    assert_eq!(
        kind(guild.subscribe(2, 0, &[0..=9, 20..=29, 40..=49, 60..=69])),
        Some(ErrorKind::Limit) // max_ranges
    );
    assert_eq!(kind(guild.session_ranges(9, 0)), Some(ErrorKind::NotFound));

    // Unsubscribing: the session stays, with no ranges, and gets INVALIDATE.
    guild.unsubscribe(1, 0).unwrap();
    assert_eq!(guild.session_ranges(1, 0), Ok(vec![]));
    let last = take(&frames);
    assert!(matches!(last[0].ops[0], Op::Invalidate { start: 0, .. }));
    assert_eq!(guild.session_count(), Ok(1));
    guild.remove_session(1).unwrap();
    assert_eq!(guild.session_count(), Ok(0));
    assert_eq!(kind(guild.remove_session(1)), Some(ErrorKind::NotFound));
    assert_eq!(
        kind(guild.remove_session(0)),
        Some(ErrorKind::InvalidArgument)
    );
}

#[test]
fn frame_views_read_the_library_data_in_place() {
    let mut guild = Guild::new(&Config {
        chunk_size: 10,
        ..Config::default()
    })
    .unwrap();
    guild.upsert_role(&Role::new(5, 1, Role::HOIST)).unwrap();
    for i in 1..=12u64 {
        let roles: &[u64] = if i % 2 == 0 { &[5] } else { &[] };
        guild
            .add_member(i, &format!("m{:02}", i), roles, Presence::Online)
            .unwrap();
    }
    // What the callback sees through the views, and its owned copies.
    type Seen = (
        Vec<u64>,
        u64,
        u32,
        u32,
        Vec<Group>,
        Vec<(OpKind, u32, u32, Vec<Row>)>,
    );
    let seen: Arc<Mutex<Vec<(Seen, Frame, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    guild
        .set_frame_callback(move |view| {
            let ops = view
                .ops()
                .iter()
                .map(|op| (op.kind(), op.index(), op.end(), op.items().to_vec()))
                .collect();
            let s: Seen = (
                view.sessions().to_vec(),
                view.list_id(),
                view.member_count(),
                view.online_count(),
                view.groups().to_vec(),
                ops,
            );
            assert_eq!(view.as_raw().op_count, view.ops().len());
            for op in view.ops() {
                assert_eq!(OpKind::from_raw(op.raw_kind()), op.kind());
                assert_eq!(op.row(), op.items().first().copied());
                assert_eq!(format!("{:?}", op), format!("{:?}", op.to_op()));
                for row in op.items() {
                    assert_eq!(row.group(), GroupId::from_raw(row.raw_group()));
                }
            }
            let owned = Frame::from(view);
            assert_eq!(owned, view.to_frame());
            sink.lock().unwrap().push((s, owned, format!("{:?}", view)));
        })
        .unwrap();
    guild.subscribe(1, 0, &[0..=19]).unwrap();
    guild.subscribe(2, 0, &[0..=19]).unwrap();

    // The SYNC rows are the list's rows.
    let rows = guild.list_rows(0, 0..=19).unwrap();
    {
        let seen = seen.lock().unwrap();
        let ((sessions, list, members, online, groups, ops), owned, debug) = &seen[0];
        assert_eq!(
            (sessions.as_slice(), *list, *members, *online),
            (&[1u64][..], 0, 12, 12)
        );
        assert_eq!(groups, &guild.list_groups(0).unwrap());
        assert_eq!(ops.len(), 1);
        assert_eq!((ops[0].0, ops[0].1, ops[0].2), (OpKind::Sync, 0, 19));
        assert_eq!(ops[0].3, rows);
        assert_eq!(
            owned.ops,
            [Op::Sync {
                start: 0,
                end: 19,
                rows: rows.clone()
            }]
        );
        assert!(debug.contains("Sync"));
    }
    seen.lock().unwrap().clear();

    // Shared frames, and an UPDATE, an INSERT and a DELETE.
    guild.touch_member(1).unwrap();
    guild.add_member(13, "m00", &[], Presence::Online).unwrap();
    guild.remove_member(13).unwrap();
    let seen = seen.lock().unwrap();
    let kinds: Vec<&Op> = seen.iter().flat_map(|(_, f, _)| &f.ops).collect();
    assert!(matches!(kinds[0], Op::Update { .. }));
    assert!(kinds.iter().any(|op| matches!(op, Op::Insert { .. })));
    assert!(kinds.iter().any(|op| matches!(op, Op::Delete { .. })));
    for ((sessions, ..), owned, _) in seen.iter() {
        let mut sessions = sessions.clone();
        sessions.sort_unstable();
        assert_eq!(sessions, [1, 2]);
        assert_eq!(owned.sessions.len(), 2);
    }
    assert_eq!(OpKind::from_raw(77), OpKind::Unknown(77));
    assert_eq!(GroupId::from_raw(sys::ROSTER_GROUP_ONLINE), GroupId::Online);
    assert_eq!(GroupId::Offline.to_raw(), sys::ROSTER_GROUP_OFFLINE);
    assert_eq!(GroupId::Role(5).to_string(), "5");
    assert_eq!(GroupId::Online.to_string(), "online");
    assert_eq!(GroupId::Offline.to_string(), "offline");
}

/// Counts the drops of the closure's captured state.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn callbacks_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let mut guild = Guild::new(&Config::default()).unwrap();
    let make = |drops: &Arc<AtomicUsize>| {
        let counter = DropCounter(Arc::clone(drops));
        let calls = Arc::clone(&calls);
        move |_: &roster::FrameView<'_>| {
            let _held = &counter;
            calls.fetch_add(1, Ordering::SeqCst);
        }
    };
    guild.set_frame_callback(make(&drops)).unwrap();
    guild.set_frame_callback(make(&drops)).unwrap(); // replaces: drops the first
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    guild.add_member(1, "ann", &[], Presence::Online).unwrap();
    guild.subscribe(1, 0, &[0..=9]).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    guild.clear_frame_callback().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    guild.touch_member(1).unwrap(); // computed and dropped
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    guild.clear_frame_callback().unwrap(); // nothing to drop
    guild.set_frame_callback(make(&drops)).unwrap();
    drop(guild);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
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

#[test]
fn a_guild_moves_to_another_thread() {
    fn is_send<T: Send>() {}
    is_send::<Guild>();
    is_send::<Event<'static>>();
    let (mut guild, frames) = recording(&Config::default());
    guild.add_member(1, "ann", &[], Presence::Online).unwrap();
    let guild = std::thread::spawn(move || {
        guild.subscribe(1, 0, &[0..=9]).unwrap();
        guild
    })
    .join()
    .unwrap();
    assert_eq!(guild.session_count(), Ok(1));
    assert_eq!(take(&frames).len(), 1);
}

// ---- Snapshots ---------------------------------------------------------------------------------

#[test]
fn a_loaded_guild_goes_on_like_the_saved_one() {
    let config = Config {
        chunk_size: 10,
        ..Config::default()
    };
    let (mut guild, frames) = recording(&config);
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
    assert_eq!((stats.chunks_held, stats.rows), (1, 4));
    assert!(stats.flushes >= 1 && stats.max_flush >= stats.last_flush);

    let bytes = guild.save(SAVE_SESSIONS).unwrap();
    let mut loaded = Guild::load(&bytes, Some(&config)).unwrap();
    let stats = loaded.stats().unwrap();
    assert_eq!((stats.members, stats.sessions), (3, 1));
    assert_eq!((stats.flushes, stats.frames), (0, 0));
    let loaded_frames = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&loaded_frames);
    loaded
        .set_frame_callback(move |f| sink.lock().unwrap().push(f.to_frame()))
        .unwrap();
    take(&frames);
    guild.set_member_presence(2, Presence::Offline).unwrap();
    loaded.set_member_presence(2, Presence::Offline).unwrap();
    let expected = take(&frames);
    assert_eq!(expected.len(), 1);
    assert_eq!(expected, take(&loaded_frames));

    // Through a reader, a few bytes at a time.
    struct Trickle(Cursor<Vec<u8>>);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(7);
            self.0.read(&mut buf[..n])
        }
    }
    let mut streamed = Guild::load_from(Trickle(Cursor::new(bytes.clone())), None).unwrap();
    assert_eq!(streamed.member_count(), Ok(3));
    assert_eq!(streamed.session_ranges(9, 0), Ok(vec![0..=9]));
    assert_eq!(streamed.save(SAVE_SESSIONS).unwrap(), bytes);

    // Without the sessions, and with the default config.
    let bare = Guild::load(&guild.save(0).unwrap(), None).unwrap();
    assert_eq!(bare.session_count(), Ok(0));
    assert_eq!(bare.member_count(), Ok(3));

    // To any writer.
    let mut file = Vec::new();
    guild.save_to(SAVE_SESSIONS, &mut file).unwrap();
    let writer: &mut dyn Write = &mut Vec::new();
    guild.save_to(0, writer).unwrap();
    assert_eq!(Guild::load(&file, None).unwrap().session_count(), Ok(1));
}

#[test]
fn snapshot_errors_keep_their_status() {
    let mut guild = Guild::new(&Config::default()).unwrap();
    guild.add_member(1, "ann", &[], Presence::Online).unwrap();
    guild.add_member(2, "bob", &[], Presence::Online).unwrap();
    let bytes = guild.save(SAVE_SESSIONS).unwrap();
    assert_eq!(kind(Guild::load(&[], None)), Some(ErrorKind::Corrupt));
    assert_eq!(
        kind(Guild::load(&bytes[..bytes.len() - 1], None)),
        Some(ErrorKind::Corrupt)
    );
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    assert_eq!(kind(Guild::load(&flipped, None)), Some(ErrorKind::Corrupt));
    let small = Config {
        max_members: 1,
        ..Config::default()
    };
    assert_eq!(
        kind(Guild::load(&bytes, Some(&small))),
        Some(ErrorKind::Limit)
    );
    let bad = Config {
        chunk_size: 0,
        ..Config::default()
    };
    assert_eq!(
        kind(Guild::load(&bytes, Some(&bad))),
        Some(ErrorKind::InvalidArgument)
    );
    assert_eq!(
        kind(Guild::load_from(Cursor::new(&bytes[..10]), None)),
        Some(ErrorKind::Corrupt)
    );
    assert_eq!(kind(guild.save(2)), Some(ErrorKind::InvalidArgument));
    guild.batch_begin().unwrap();
    assert_eq!(kind(guild.save(0)), Some(ErrorKind::InvalidArgument));
    guild.batch_commit().unwrap();

    struct Failing;
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::Other, "disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::Other, "disk gone"))
        }
    }
    let err = guild.save_to(0, &mut Failing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.message(), status_str(sys::ROSTER_EIO));
    assert_eq!(kind(Guild::load_from(Failing, None)), Some(ErrorKind::Io));

    struct Panicking;
    impl Write for Panicking {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            panic!("from the writer")
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Read for Panicking {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            panic!("from the reader")
        }
    }
    let result = panic::catch_unwind(AssertUnwindSafe(|| guild.save_to(0, &mut Panicking)));
    assert!(result.is_err());
    let result = panic::catch_unwind(|| Guild::load_from(Panicking, None));
    assert!(result.is_err());
    assert_eq!(guild.save(0).unwrap(), guild.save(0).unwrap());
}

// ---- Ownership through the raw API (allocator hooks) ----------------------------------------

/// A host allocator over Rust's, counting the live blocks; it can be told to
/// fail. Each block has a 16-byte header holding its size.
struct Hooks {
    live: AtomicUsize,
    fail: AtomicBool,
}

const HEADER: usize = 16;

unsafe extern "C" fn hook_allocate(size: usize, user: *mut c_void) -> *mut c_void {
    let hooks = &*(user as *const Hooks);
    if hooks.fail.load(Ordering::SeqCst) {
        return ptr::null_mut();
    }
    let layout = std::alloc::Layout::from_size_align(size + HEADER, 16).unwrap();
    let block = std::alloc::alloc(layout);
    if block.is_null() {
        return ptr::null_mut();
    }
    (block as *mut usize).write(size);
    hooks.live.fetch_add(1, Ordering::SeqCst);
    block.add(HEADER) as *mut c_void
}

unsafe extern "C" fn hook_deallocate(ptr: *mut c_void, user: *mut c_void) {
    let hooks = &*(user as *const Hooks);
    let block = (ptr as *mut u8).sub(HEADER);
    let size = (block as *const usize).read();
    let layout = std::alloc::Layout::from_size_align(size + HEADER, 16).unwrap();
    std::alloc::dealloc(block, layout);
    hooks.live.fetch_sub(1, Ordering::SeqCst);
}

fn hooked_guild(hooks: &Hooks) -> NonNull<sys::roster_guild> {
    let mut config = Config::default().to_raw();
    config.allocator = sys::roster_allocator {
        allocate: Some(hook_allocate),
        reallocate: None,
        deallocate: Some(hook_deallocate),
        user_data: hooks as *const Hooks as *mut c_void,
    };
    let mut out = ptr::null_mut();
    // SAFETY: valid out-pointer and config; hooks outlive the guild.
    assert_eq!(
        unsafe { sys::roster_guild_create(&mut out, &config) },
        sys::ROSTER_OK
    );
    NonNull::new(out).unwrap()
}

#[test]
fn a_guild_is_freed_exactly_once() {
    let hooks = Hooks {
        live: AtomicUsize::new(0),
        fail: AtomicBool::new(false),
    };
    // SAFETY: a fresh guild, owned by nobody else.
    let mut guild = unsafe { Guild::from_raw(hooked_guild(&hooks)) };
    guild.set_frame_callback(|_| {}).unwrap();
    for i in 1..=100u64 {
        guild
            .add_member(i, &format!("m{}", i), &[], Presence::Online)
            .unwrap();
    }
    guild.subscribe(1, 0, &[0..=99]).unwrap();
    assert!(hooks.live.load(Ordering::SeqCst) > 0);
    // The raw pointer is the guild's; calls through sys see the same guild.
    let mut n = 0;
    assert_eq!(
        unsafe { sys::roster_guild_member_count(&mut n, guild.as_ptr()) },
        sys::ROSTER_OK
    );
    assert_eq!(n, 100);

    // Out of memory: an error, the guild unchanged (or EFLUSH: changed, its
    // frames owed), then usable again.
    hooks.fail.store(true, Ordering::SeqCst);
    let mut failure = None;
    for i in 1000..1100u64 {
        if let Err(err) = guild.add_member(i, "late", &[], Presence::Online) {
            failure = Some(err.kind());
            break;
        }
    }
    hooks.fail.store(false, Ordering::SeqCst);
    assert!(matches!(
        failure,
        Some(ErrorKind::OutOfMemory) | Some(ErrorKind::Flush)
    ));
    guild.flush().unwrap();

    // Ownership handed out and back, then dropped: every block returned.
    let raw = guild.into_raw();
    // SAFETY: the pointer into_raw gave up.
    let guild = unsafe { Guild::from_raw(raw) };
    drop(guild);
    assert_eq!(hooks.live.load(Ordering::SeqCst), 0);

    // into_raw, then destroyed by hand.
    let guild = unsafe { Guild::from_raw(hooked_guild(&hooks)) };
    let raw = guild.into_raw();
    assert!(hooks.live.load(Ordering::SeqCst) > 0);
    unsafe { sys::roster_guild_destroy(raw.as_ptr()) };
    assert_eq!(hooks.live.load(Ordering::SeqCst), 0);
}

#[test]
fn presence_and_role_values() {
    for p in [
        Presence::Offline,
        Presence::Online,
        Presence::Idle,
        Presence::Dnd,
    ] {
        assert_eq!(Presence::from_raw(p.to_raw()), Some(p));
    }
    assert_eq!(Presence::from_raw(4), None);
    assert_eq!(Presence::Dnd.to_raw(), sys::ROSTER_DND);
    assert_eq!(
        Role::new(1, -2, Role::ADMIN),
        Role {
            id: 1,
            position: -2,
            flags: sys::ROSTER_ROLE_ADMIN
        }
    );
    assert_eq!(
        Overwrite::deny(4),
        Overwrite {
            id: 4,
            allow: false
        }
    );
}
