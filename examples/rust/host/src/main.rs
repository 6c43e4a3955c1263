//! The Rust host: runs the scenario of examples/README.md through the safe
//! `roster` crate and prints every frame in the canonical line format,
//! formatted here from the frame data received (read in place through the
//! callback's `FrameView`). Its output must equal the C host's
//! (examples/c/host.c) byte for byte.

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::ops::RangeInclusive;
use std::process;
use std::sync::{Arc, Mutex};

use roster::{
    Config, FrameView, GroupId, Guild, ListRule, OpKind, Overwrite, Presence, Role, Row, RowKind,
    Stats,
};

/// Writes a group id: the role id, or online/offline.
fn put_group(out: &mut String, id: GroupId) {
    // (Writing to a String cannot fail: the unwraps never fire.)
    write!(out, "{}", id).unwrap();
}

fn put_row(out: &mut String, row: &Row) {
    match row.kind() {
        RowKind::Header => {
            out.push_str("H:");
            put_group(out, row.group());
            write!(out, ":{}", row.count()).unwrap();
        }
        RowKind::Member => {
            write!(out, "M:{}:", row.user()).unwrap();
            put_group(out, row.group());
        }
    }
}

/// One frame as a canonical line (without the newline).
fn frame_line(frame: &FrameView<'_>) -> String {
    let mut out = String::new();
    let mut sessions = frame.sessions().to_vec();
    sessions.sort_unstable();
    write!(out, "frame list={} sessions=", frame.list_id()).unwrap();
    for (i, session) in sessions.iter().enumerate() {
        write!(out, "{}{}", if i > 0 { "," } else { "" }, session).unwrap();
    }
    write!(
        out,
        " members={} online={} groups=",
        frame.member_count(),
        frame.online_count()
    )
    .unwrap();
    if frame.groups().is_empty() {
        out.push('-');
    }
    for (i, group) in frame.groups().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        put_group(&mut out, group.id());
        write!(out, ":{}", group.count()).unwrap();
    }
    out.push_str(" ops=");
    if frame.ops().is_empty() {
        out.push('-');
    }
    for (i, op) in frame.ops().iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        match op.kind() {
            OpKind::Sync => {
                write!(out, "SYNC:{}-{}:[", op.index(), op.end()).unwrap();
                for (j, row) in op.items().iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    put_row(&mut out, row);
                }
                out.push(']');
            }
            OpKind::Insert | OpKind::Update => {
                let name = if op.kind() == OpKind::Insert {
                    "INSERT"
                } else {
                    "UPDATE"
                };
                write!(out, "{}:{}:", name, op.index()).unwrap();
                if let Some(row) = op.row() {
                    put_row(&mut out, &row);
                }
            }
            OpKind::Delete => write!(out, "DELETE:{}", op.index()).unwrap(),
            OpKind::Invalidate => write!(out, "INVALIDATE:{}-{}", op.index(), op.end()).unwrap(),
            OpKind::Unknown(kind) => write!(out, "UNKNOWN{}", kind).unwrap(),
        }
    }
    out
}

/// The stats line: only the deterministic fields (not the memory figure, nor
/// the flush times).
fn stats_line(s: &Stats) -> String {
    format!(
        "stats members={} lists={} sessions={} subscriptions={} chunks_held={} flushes={} \
         frames={} deliveries={} ops={} rows={}",
        s.members,
        s.lists,
        s.sessions,
        s.subscriptions,
        s.chunks_held,
        s.flushes,
        s.frames,
        s.deliveries,
        s.ops,
        s.rows
    )
}

/// The status a scenario call printed as `= s`: 0, or the error's code.
fn status(result: roster::Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(err) => err.code(),
    }
}

/// Setup steps must succeed; a failure there is a broken library.
fn must(what: &str, result: roster::Result<()>) -> Result<(), String> {
    result.map_err(|err| format!("{} failed: {}", what, err))
}

/// One scenario event (steps 5 and 8), by number.
fn event(guild: &mut Guild, n: u32) -> roster::Result<()> {
    use Presence::{Dnd, Idle, Offline, Online};
    match n {
        1 => guild.set_member_presence(1001, Offline),
        2 => guild.set_member_presence(1004, Online),
        3 => guild.set_member_name(1010, "aaa"),
        4 => guild.set_member_name(1020, "zzz"),
        5 => guild.set_member_roles(1003, &[101]),
        6 => guild.set_member_roles(1015, &[]),
        7 => guild.add_member(1051, "m51", &[102], Online),
        8 => guild.add_member(1052, "b52", &[], Idle),
        9 => guild.remove_member(1030),
        10 => guild.remove_member(1051),
        11 => guild.touch_member(1002),
        12 => guild.set_member_presence(1008, Idle),
        13 => guild.add_member_role(1012, 101),
        14 => guild.remove_member_role(1013, 103),
        15 => guild.batch_begin(),
        16 => guild.set_member_presence(1016, Offline),
        17 => guild.set_member_presence(1017, Online),
        18 => guild.set_member_name(1018, "c18"),
        19 => guild.add_member(1053, "m53", &[101], Dnd),
        20 => guild.batch_commit(),
        21 => guild.set_member_presence(1040, Offline),
        22 => guild.set_member_name(1005, "a05"),
        23 => guild.set_member_roles(1025, &[102, 103]),
        24 => guild.remove_member(1005),
        25 => guild.subscribe(2, 0, &[10..=19]),
        26 => guild.set_member_presence(1036, Online),
        27 => guild.touch_member(1040),
        28 => guild.unsubscribe(3, 7),
        29 => guild.set_member_presence(1024, Dnd),
        30 => guild.remove_session(1),
        // 8. On the loaded guild.
        31 => guild.set_member_presence(1011, Online),
        32 => guild.set_member_name(1012, "aab"),
        33 => guild.remove_member(1013),
        34 => guild.subscribe(4, 0, &[0..=9]),
        _ => unreachable!("the scenario has 34 events"),
    }
}

/// The output, shared by the program (the # and = lines) and the frame
/// callbacks (a guild's callback must be Send, hence the Mutex).
type Out = Arc<Mutex<BufWriter<io::Stdout>>>;

/// Locks the output (a poisoned lock means a write panicked: go on with it).
fn lock(out: &Out) -> std::sync::MutexGuard<'_, BufWriter<io::Stdout>> {
    out.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sets the frame callback that prints each frame's line to `out`.
fn print_frames(guild: &mut Guild, out: &Out) -> Result<(), String> {
    let sink = Arc::clone(out);
    must(
        "setting the frame callback",
        guild.set_frame_callback(move |frame| {
            // A write error panics here, and resumes in the guild call.
            writeln!(lock(&sink), "{}", frame_line(frame)).expect("writing to stdout");
        }),
    )
}

/// Runs the events numbered `events`, each between its `# n` and `= s`
/// lines. Each line's lock is released at the end of its statement, so the
/// call's frames (written by the callback) come between the two lines.
fn run_events(
    guild: &mut Guild,
    out: &Out,
    events: RangeInclusive<u32>,
) -> Result<(), Box<dyn std::error::Error>> {
    for n in events {
        writeln!(lock(out), "# {}", n)?;
        let s = status(event(guild, n));
        writeln!(lock(out), "= {}", s)?;
    }
    Ok(())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out: Out = Arc::new(Mutex::new(BufWriter::new(io::stdout())));
    let config = Config {
        chunk_size: 10,
        max_range_span: 30,
        ..Config::default()
    };
    let snapshot = first_guild(&config, &out)?;

    // 7. The hand-off: the original guild is gone; load its snapshot and set
    // the frame callback again (a snapshot does not hold it).
    let mut guild = Guild::load(&snapshot, Some(&config))
        .map_err(|err| format!("loading the guild: {}", err))?;
    print_frames(&mut guild, &out)?;
    writeln!(lock(&out), "# handoff")?;

    // 8. More events, on the loaded guild; 9. its stats (counted from the load).
    run_events(&mut guild, &out, 31..=34)?;
    let stats = guild.stats().map_err(|err| format!("stats: {}", err))?;
    writeln!(lock(&out), "{}", stats_line(&stats))?;

    drop(guild); // destroys the guild and frees the callback (and its `sink`)
    lock(&out).flush()?;
    Ok(())
}

/// Steps 1-6 of the scenario on a new guild; returns its snapshot (with the
/// sessions). The guild is destroyed when it returns.
fn first_guild(config: &Config, out: &Out) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut guild = Guild::new(config).map_err(|err| format!("creating the guild: {}", err))?;
    print_frames(&mut guild, out)?;

    writeln!(lock(out), "# setup")?;
    // 1. Roles.
    for (id, position) in [(101, 3), (102, 2), (103, 1)] {
        must(
            "upserting a role",
            guild.upsert_role(&Role::new(id, position, Role::HOIST)),
        )?;
    }
    // 2. Members.
    let presences = [
        Presence::Online,
        Presence::Idle,
        Presence::Dnd,
        Presence::Offline,
    ];
    for i in 1..=50u64 {
        let roles: &[u64] = match i % 5 {
            0 => &[101],
            1 => &[102],
            2 => &[103],
            3 => &[101, 103],
            _ => &[],
        };
        let name = format!("m{:02}", i);
        must(
            "adding a member",
            guild.add_member(1000 + i, &name, roles, presences[(i % 4) as usize]),
        )?;
    }
    // 3. List 7.
    let rule = ListRule {
        everyone: Some(false),
        roles: vec![Overwrite::allow(101)],
        members: vec![Overwrite::allow(1002), Overwrite::deny(1005)],
    };
    must("setting list 7", guild.set_list(7, &rule))?;
    // 4. Sessions.
    must("subscribing", guild.subscribe(1, 0, &[0..=9]))?;
    must("subscribing", guild.subscribe(2, 0, &[0..=9]))?;
    must("subscribing", guild.subscribe(3, 0, &[25..=34, 50..=59]))?;
    must("subscribing", guild.subscribe(3, 7, &[0..=19]))?;

    // 5. The 30 events.
    run_events(&mut guild, out, 1..=30)?;

    // 6. The stats line, then the snapshot.
    let stats = guild.stats().map_err(|err| format!("stats: {}", err))?;
    writeln!(lock(out), "{}", stats_line(&stats))?;
    let snapshot = guild
        .save(roster::SAVE_SESSIONS)
        .map_err(|err| format!("saving the guild: {}", err))?;
    Ok(snapshot)
}

fn main() {
    if let Err(err) = run() {
        eprintln!("host-rust: {}", err);
        process::exit(1);
    }
}
