//! Tests of the frame queue (`Guild::set_frame_queue`, `Guild::take_frames`):
//! the records equal the frames a callback gets for the same calls, field
//! by field and row by row; empty takes; switching between the callback and
//! the queue.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use roster::{
    Config, Frame, FrameBatch, FrameRecord, FrameView, Group, Guild, ListRule, MemberSpec, OpKind,
    Overwrite, Presence, Role, Row,
};

/// An op as read: kind, C kind, index, end, items and `row()`.
type SeenOp = (OpKind, u32, u32, u32, Vec<Row>, Option<Row>);

/// Everything a frame carries, read through the accessors (of a callback's
/// view or a queued record): list, sessions, counts, groups, and every op
/// with its kinds, range and rows.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    list_id: u64,
    sessions: Vec<u64>,
    member_count: u32,
    online_count: u32,
    groups: Vec<Group>,
    ops: Vec<SeenOp>,
}

fn seen_view(view: &FrameView<'_>) -> Seen {
    Seen {
        list_id: view.list_id(),
        sessions: view.sessions().to_vec(),
        member_count: view.member_count(),
        online_count: view.online_count(),
        groups: view.groups().to_vec(),
        ops: view
            .ops()
            .iter()
            .map(|op| {
                let items = op.items().to_vec();
                (
                    op.kind(),
                    op.raw_kind(),
                    op.index(),
                    op.end(),
                    items,
                    op.row(),
                )
            })
            .collect(),
    }
}

fn seen_record(record: &FrameRecord<'_>) -> Seen {
    Seen {
        list_id: record.list_id(),
        sessions: record.sessions().to_vec(),
        member_count: record.member_count(),
        online_count: record.online_count(),
        groups: record.groups().to_vec(),
        ops: record
            .ops()
            .map(|op| {
                let items = op.items().to_vec();
                (
                    op.kind(),
                    op.raw_kind(),
                    op.index(),
                    op.end(),
                    items,
                    op.row(),
                )
            })
            .collect(),
    }
}

/// Checks a batch's own consistency and returns what its records carry,
/// with their owned copies.
fn read_batch(batch: &FrameBatch<'_>) -> Vec<(Seen, Frame)> {
    let mut out = Vec::new();
    let mut bytes = 0;
    assert_eq!(batch.iter().len(), batch.len());
    assert_eq!(batch.is_empty(), batch.iter().next().is_none());
    for record in batch {
        // The record's bytes: its size first, then 40 + 8S + 16G + 16O + 24R.
        let raw = record.as_bytes();
        let mut size = [0u8; 8];
        size.copy_from_slice(&raw[..8]);
        assert_eq!(u64::from_ne_bytes(size), raw.len() as u64);
        let ops = record.ops();
        assert_eq!(ops.len(), record.ops().count());
        assert_eq!(
            raw.len(),
            40 + 8 * record.sessions().len()
                + 16 * record.groups().len()
                + 16 * ops.len()
                + 24 * record.rows().len()
        );
        // The rows of op i follow those of the ops before it.
        let joined: Vec<Row> = record.ops().flat_map(|op| op.items().to_vec()).collect();
        assert_eq!(joined, record.rows());
        for op in record.ops() {
            assert_eq!(format!("{:?}", op), format!("{:?}", op.to_op()));
        }
        let owned = Frame::from(&record);
        assert_eq!(owned, record.to_frame());
        assert_eq!(format!("{:?}", record), format!("{:?}", owned));
        bytes += raw.len();
        out.push((seen_record(&record), owned));
    }
    assert_eq!(bytes, batch.as_bytes().len());
    assert_eq!(batch.as_bytes().len() % 8, 0);
    assert_eq!(batch.as_bytes().as_ptr() as usize % 8, 0);
    assert_eq!(
        batch.to_frames(),
        out.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>()
    );
    out
}

/// The guild of the script (as tests/capi/test_capi.c's queue_guild): 60
/// members in four presences, three roles (two hoisted), list 9 hidden
/// from holders of role 101.
fn script_guild() -> Guild {
    let mut guild = Guild::new(&Config {
        chunk_size: 10,
        ..Config::default()
    })
    .unwrap();
    for role in 100..103u64 {
        let flags = if role == 102 { 0 } else { Role::HOIST };
        guild
            .upsert_role(&Role::new(role, (role - 99) as i32, flags))
            .unwrap();
    }
    let presences = [
        Presence::Offline,
        Presence::Online,
        Presence::Idle,
        Presence::Dnd,
    ];
    for id in 1..=60u64 {
        let name = format!("m{:02}", id);
        guild
            .add_member(id, &name, &[], presences[id as usize % 4])
            .unwrap();
    }
    guild
        .set_list(
            9,
            &ListRule {
                roles: vec![Overwrite::deny(101)],
                ..ListRule::default()
            },
        )
        .unwrap();
    guild
}

/// One step of the script: presence, roles, names, subscriptions, touches,
/// members coming and going, batches, and at the end the list's removal.
fn script_step(guild: &mut Guild, step: u32) {
    let id = 1 + u64::from(step * 7919 % 60);
    let role = 100 + u64::from(step % 3);
    match step % 8 {
        0 => {
            let presence = Presence::from_raw((step % 4) as i32).unwrap();
            guild.set_member_presence(id, presence).unwrap();
        }
        1 => guild.add_member_role(id, role).unwrap(),
        2 => guild.remove_member_role(id, role).unwrap(),
        3 => {
            let name = format!("n{}", step * 31 % 97);
            guild.set_member_name(id, &name).unwrap();
        }
        4 => guild.touch_member(id).unwrap(),
        5 => {
            // A member comes (its row is inserted), in a batch with a touch.
            let new_id = 1000 + u64::from(step);
            guild.batch_begin().unwrap();
            let name = format!("a{}", step);
            let roles = [role];
            guild
                .add_members(&[MemberSpec::new(new_id, &name, &roles, Presence::Online)])
                .unwrap();
            guild.touch_member(id).unwrap();
            guild.batch_commit().unwrap();
        }
        6 => {
            // The member of the previous step goes (its row is deleted).
            guild.remove_member(1000 + u64::from(step - 1)).unwrap();
        }
        _ => {
            // Sessions 1 to 4 move over lists 0 and 9.
            let round = step / 8;
            let start = round % 3 * 10;
            let list = if round % 2 == 1 { 0 } else { 9 };
            guild
                .subscribe(1 + u64::from(round % 4), list, &[0..=9, start..=start + 19])
                .unwrap();
        }
    }
}

fn run_script(guild: &mut Guild, step: u32) {
    if step == 0 {
        // Two sessions with the same subscription: shared frames.
        guild.subscribe(5, 0, &[0..=29]).unwrap();
        guild.subscribe(6, 0, &[0..=29]).unwrap();
    }
    if step < 200 {
        script_step(guild, step);
    } else if step == 200 {
        guild.remove_list(9).unwrap(); // the last frames: INVALIDATE
    } else {
        guild.remove_session(1 + u64::from(step % 4)).unwrap();
    }
}

const STEPS: u32 = 204;

#[test]
fn queued_records_equal_the_callbacks_frames() {
    // The same calls on two identical guilds: one with a callback, one with
    // the queue.
    let mut by_callback = script_guild();
    let mut by_queue = script_guild();
    let want: Arc<Mutex<Vec<(Seen, Frame)>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&want);
    by_callback
        .set_frame_callback(move |view| {
            let seen = seen_view(view);
            sink.lock().unwrap().push((seen, view.to_frame()));
        })
        .unwrap();
    by_queue.set_frame_queue(true).unwrap();
    assert!(by_queue.take_frames().unwrap().is_empty());

    let mut got = Vec::new();
    let mut takes = 0;
    let mut largest = 0;
    for step in 0..STEPS {
        run_script(&mut by_callback, step);
        run_script(&mut by_queue, step);
        if step % 17 == 16 || step % 23 == 0 {
            // Take now and then: the records of several calls concatenate.
            let batch = by_queue.take_frames().unwrap();
            largest = largest.max(batch.len());
            got.extend(read_batch(&batch));
            takes += 1;
        }
    }
    got.extend(read_batch(&by_queue.take_frames().unwrap()));
    assert!(by_queue.take_frames().unwrap().is_empty()); // emptied by the take

    let want = std::mem::take(&mut *want.lock().unwrap());
    assert!(want.len() > 100 && takes > 10 && largest > 1);
    assert_eq!(got.len(), want.len());
    for (i, (got, want)) in got.iter().zip(&want).enumerate() {
        assert_eq!(got, want, "frame {}", i);
    }
    // Every op kind, shared frames and last frames were among them.
    let kinds: BTreeSet<u32> = got
        .iter()
        .flat_map(|(seen, _)| seen.ops.iter().map(|op| op.1))
        .collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert!(got.iter().any(|(seen, _)| seen.sessions.len() > 1));
    assert!(got
        .iter()
        .any(|(seen, _)| seen.list_id == 9 && seen.groups.is_empty() && seen.member_count == 0));
    assert!(got.iter().any(|(seen, _)| seen.ops.is_empty())); // counts or groups only
}

#[test]
fn empty_takes() {
    // Queue off (never set): nothing.
    let mut guild = Guild::new(&Config::default()).unwrap();
    guild.add_member(1, "ann", &[], Presence::Online).unwrap();
    guild.subscribe(1, 0, &[0..=9]).unwrap();
    let batch = guild.take_frames().unwrap();
    assert!(batch.is_empty());
    assert_eq!(batch.len(), 0);
    assert!(batch.as_bytes().is_empty());
    assert!(batch.iter().next().is_none());
    assert!(batch.to_frames().is_empty());
    assert_eq!(format!("{:?}", batch), "[]");

    // Queue on, nothing changed since: nothing; then one frame, taken once.
    guild.set_frame_queue(true).unwrap();
    assert!(guild.take_frames().unwrap().is_empty());
    guild.flush().unwrap(); // nothing owed
    assert!(guild.take_frames().unwrap().is_empty());
    guild.touch_member(1).unwrap();
    let frames = guild.take_frames().unwrap().to_frames();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].sessions, [1]);
    assert!(guild.take_frames().unwrap().is_empty());
}

/// Counts the drops of a closure's captured state.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn switching_between_the_callback_and_the_queue() {
    let drops = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let counting = || {
        let counter = DropCounter(Arc::clone(&drops));
        let calls = Arc::clone(&calls);
        move |_: &FrameView<'_>| {
            let _held = &counter;
            calls.fetch_add(1, Ordering::SeqCst);
        }
    };
    let mut guild = Guild::new(&Config::default()).unwrap();
    guild.add_member(1, "ann", &[], Presence::Online).unwrap();
    guild.set_frame_callback(counting()).unwrap();
    guild.subscribe(1, 0, &[0..=9]).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The queue replaces the callback, whose closure is dropped.
    guild.set_frame_queue(true).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    guild.touch_member(1).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(guild.take_frames().unwrap().len(), 1);

    // A callback replaces the queue; what was queued stays to be taken.
    guild.touch_member(1).unwrap();
    guild.set_frame_callback(counting()).unwrap();
    guild.touch_member(1).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(guild.take_frames().unwrap().len(), 1); // the one before
    assert!(guild.take_frames().unwrap().is_empty());

    // Enabling the queue twice is fine; the second drops nothing.
    guild.set_frame_queue(true).unwrap();
    guild.set_frame_queue(true).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);

    // Off: frames are dropped, records not taken stay.
    guild.touch_member(1).unwrap();
    guild.set_frame_queue(false).unwrap();
    guild.touch_member(1).unwrap();
    assert_eq!(guild.take_frames().unwrap().len(), 1);
    assert!(guild.take_frames().unwrap().is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Off with a callback set: the callback is removed too, its closure
    // dropped (once).
    guild.set_frame_callback(counting()).unwrap();
    guild.set_frame_queue(false).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    guild.touch_member(1).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(guild.take_frames().unwrap().is_empty());

    // The queue stays on across into_raw and from_raw.
    guild.set_frame_queue(true).unwrap();
    let raw = guild.into_raw();
    // SAFETY: the guild just given up, owned by nobody else, no callback.
    let mut guild = unsafe { Guild::from_raw(raw) };
    guild.touch_member(1).unwrap();
    assert_eq!(guild.take_frames().unwrap().len(), 1);

    // Dropping a guild with records not taken frees them.
    guild.touch_member(1).unwrap();
    guild.set_frame_callback(counting()).unwrap();
    drop(guild);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn records_are_read_in_place_and_outlive_nothing() {
    let mut guild = script_guild();
    guild.set_frame_queue(true).unwrap();
    guild.subscribe(1, 0, &[0..=19]).unwrap();
    guild.subscribe(2, 9, &[0..=9]).unwrap();
    let rows = guild.list_rows(0, 0..=19).unwrap();
    let groups = guild.list_groups(0).unwrap();
    let batch = guild.take_frames().unwrap();
    let records: Vec<FrameRecord<'_>> = batch.iter().collect();
    assert_eq!(records.len(), 2);
    let first = records[0];
    assert_eq!((first.list_id(), first.sessions()), (0, &[1u64][..]));
    assert_eq!(first.groups(), &groups[..]);
    let op = first.ops().next().unwrap();
    assert_eq!((op.kind(), op.index(), op.end()), (OpKind::Sync, 0, 19));
    assert_eq!(op.items(), &rows[..]);
    assert_eq!(first.rows(), &rows[..]);
    // The slices point into the block the batch reads.
    let block = batch.as_bytes().as_ptr_range();
    assert!(block.contains(&(op.items().as_ptr() as *const u8)));
    assert!(block.contains(&(first.groups().as_ptr() as *const u8)));
    assert!(block.contains(&(first.sessions().as_ptr() as *const u8)));
    assert_eq!(records[1].list_id(), 9);
    // By value, too.
    let lists: Vec<u64> = batch.into_iter().map(|r| r.list_id()).collect();
    assert_eq!(lists, [0, 9]);
}
