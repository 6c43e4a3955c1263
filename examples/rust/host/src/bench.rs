//! The host benchmark, Rust version: exactly the workload of
//! examples/c/bench.c (the reference), through the safe `roster` crate.
//! 100,000 members added in one bulk call, 10 hoisted roles, 1,000 sessions
//! on list 0, then status changes from the same LCG applied with
//! `Guild::apply_events` in calls of 1,000 events (each call flushes), and a
//! frame callback that reads every op and every row of every frame in place
//! into the same checksum as the C version. Frames, ops, rows and checksum
//! must equal the C version's for the same event count.
//! Usage: `roster-host-bench-rust [EVENTS]` (default 200000).
//! Prints one line: `HOSTBENCH lang=rust events=... seconds=... events_per_s=...
//! frames=... ops=... rows=... checksum=...`.

use std::process;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use roster::{Config, Event, FrameView, Guild, MemberSpec, Presence, Role};

const MEMBERS: u32 = 100_000;
const SESSIONS: u32 = 1000;
const BATCH: u64 = 1000;

#[derive(Default)]
struct Tally {
    frames: u64,
    ops: u64,
    rows: u64,
    checksum: u64,
}

impl Tally {
    /// checksum: for every frame, list_id + member_count + online_count; for
    /// every op, kind * 31 + index * 7 + end; for every row, user ^ group +
    /// count; all summed modulo 2^64 (as bench.c's on_frame).
    fn add(&mut self, frame: &FrameView<'_>) {
        let mut sum = frame
            .list_id()
            .wrapping_add(u64::from(frame.member_count()))
            .wrapping_add(u64::from(frame.online_count()));
        let ops = frame.ops();
        for op in ops {
            sum = sum
                .wrapping_add(u64::from(op.raw_kind()).wrapping_mul(31))
                .wrapping_add(u64::from(op.index()).wrapping_mul(7))
                .wrapping_add(u64::from(op.end()));
            let items = op.items();
            for row in items {
                sum = sum
                    .wrapping_add(row.user() ^ row.raw_group())
                    .wrapping_add(u64::from(row.count()));
            }
            self.rows = self.rows.wrapping_add(items.len() as u64);
        }
        self.ops = self.ops.wrapping_add(ops.len() as u64);
        self.frames += 1;
        self.checksum = self.checksum.wrapping_add(sum);
    }
}

/// bench.c's LCG.
fn next(x: &mut u64) -> u64 {
    *x = x
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *x
}

/// A roster_presence value (0..=3) as a Presence.
fn presence(value: u64) -> Presence {
    match value {
        0 => Presence::Offline,
        1 => Presence::Online,
        2 => Presence::Idle,
        _ => Presence::Dnd,
    }
}

fn fail(what: &str, err: roster::Error) -> ! {
    eprintln!("{}: {}", what, err.message());
    process::exit(1);
}

fn main() {
    let events: u64 = match std::env::args().nth(1) {
        None => 200_000,
        Some(arg) => arg.parse().unwrap_or_else(|_| {
            eprintln!("usage: roster-host-bench-rust [EVENTS]");
            process::exit(2);
        }),
    };

    let mut guild = Guild::new(&Config::default()).unwrap_or_else(|e| fail("create", e));
    let role_ids: Vec<u64> = (1..=10).collect();
    for i in 0..10u32 {
        let role = Role::new(u64::from(i) + 1, i as i32 + 1, Role::HOIST);
        guild.upsert_role(&role).unwrap_or_else(|e| fail("role", e));
    }
    let names: Vec<String> = (0..MEMBERS).map(|i| format!("m{}", i + 1)).collect();
    let specs: Vec<MemberSpec<'_>> = (0..MEMBERS)
        .map(|i| {
            let roles = if i % 3 == 0 {
                let r = (i % 10) as usize;
                &role_ids[r..r + 1]
            } else {
                &[][..]
            };
            let status = match i % 4 {
                0 => Presence::Online,
                1 => Presence::Idle,
                _ => Presence::Offline,
            };
            MemberSpec::new(u64::from(i) + 1, &names[i as usize], roles, status)
        })
        .collect();
    guild
        .add_members(&specs)
        .unwrap_or_else(|e| fail("members", e));

    let tally = Arc::new(Mutex::new(Tally::default()));
    let sink = Arc::clone(&tally);
    guild
        .set_frame_callback(move |frame| {
            sink.lock().expect("the tally").add(frame);
        })
        .unwrap_or_else(|e| fail("callback", e));
    for i in 1..=SESSIONS {
        let c = 1 + ((u64::from(i) * 7919) % u64::from(MEMBERS / 100 - 1)) as u32;
        guild
            .subscribe(u64::from(i), 0, &[0..=99, c * 100..=c * 100 + 99])
            .unwrap_or_else(|e| fail("subscribe", e));
    }

    let mut x: u64 = 42;
    let mut done: u64 = 0;
    let mut batch: Vec<Event<'static>> = Vec::with_capacity(BATCH as usize);
    let start = Instant::now();
    while done < events {
        let n = (events - done).min(BATCH);
        batch.clear();
        for _ in 0..n {
            let v = next(&mut x);
            let user = 1 + (v >> 33) % u64::from(MEMBERS);
            batch.push(Event::status(user, presence((v >> 13) % 4)));
        }
        guild
            .apply_events(&batch)
            .unwrap_or_else(|e| fail("events", e));
        done += n;
    }
    let seconds = start.elapsed().as_secs_f64();

    let t = tally.lock().expect("the tally");
    println!(
        "HOSTBENCH lang=rust events={} seconds={:.3} events_per_s={:.0} frames={} ops={} rows={} checksum={}",
        events,
        seconds,
        events as f64 / seconds,
        t.frames,
        t.ops,
        t.rows,
        t.checksum
    );
    drop(t);
    drop(guild);
}
