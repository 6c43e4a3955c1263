//! The frame queue (docs/frames.md §12): a flush's frames taken as one
//! block of records ([`Guild::take_frames`](crate::Guild::take_frames))
//! instead of one callback per frame.
//!
//! A [`FrameBatch`] is the block the library handed out, read in place: its
//! [`FrameRecord`]s have the accessors of a callback's
//! [`FrameView`](crate::FrameView) (sessions, groups and each op's rows as
//! slices over the block, no copy, no allocation). The batch borrows the
//! guild, so the borrow checker keeps it from outliving the next take or
//! the guild. The records' sizes are checked when the block is taken: a
//! malformed block is an error, never a read out of its bounds.

use std::fmt;
use std::iter::FusedIterator;
use std::mem::{align_of, size_of};

use crate::error::{Error, Result};
use crate::frame::{Frame, Op, OpKind};
use crate::sys;
use crate::types::{Group, Row};

/// The fixed part of a record: 40 bytes.
#[repr(C)]
struct RecordHeader {
    size: u64,
    list_id: u64,
    member_count: u32,
    online_count: u32,
    session_count: u32,
    group_count: u32,
    op_count: u32,
    row_count: u32,
}

/// One op of a record: 16 bytes (its rows follow the ops).
#[repr(C)]
struct RecordOp {
    kind: u32,
    index: u32,
    end: u32,
    item_count: u32,
}

/// 8-byte words of a record's parts (a group is u64 id, u32 count, u32 zero).
const HEADER_WORDS: usize = 5;
const SESSION_WORDS: usize = 1;
const GROUP_WORDS: usize = 2;
const OP_WORDS: usize = 2;
const ROW_WORDS: usize = 3;

/// Whether the block's parts can be read in place as these types: sizes
/// those of the record's parts, alignment at most the block's 8 bytes. True
/// wherever `roster_group` is 16 bytes, that is wherever a `u64` is 8-byte
/// aligned in a struct (every 64-bit target); see [`Guild::take_frames`](crate::Guild::take_frames).
const IN_PLACE: bool = size_of::<Group>() == 8 * GROUP_WORDS
    && align_of::<Group>() <= 8
    && size_of::<Row>() == 8 * ROW_WORDS
    && align_of::<Row>() <= 8;

// Always true: the private record types are the documented sizes.
const _: () = {
    assert!(size_of::<RecordHeader>() == 8 * HEADER_WORDS && align_of::<RecordHeader>() <= 8);
    assert!(size_of::<RecordOp>() == 8 * OP_WORDS && align_of::<RecordOp>() <= 8);
};
#[cfg(target_pointer_width = "64")]
const _: () = assert!(IN_PLACE);

/// Reads 8-byte words as `T`s.
///
/// # Safety
/// `T` must hold only integers (with padding at most: any bytes are a
/// valid `T`), have an alignment of at most 8, and `words` must be a whole
/// number of `T`s.
#[inline]
unsafe fn cast<T>(words: &[u64]) -> &[T] {
    debug_assert!(align_of::<T>() <= 8 && (words.len() * 8) % size_of::<T>() == 0);
    std::slice::from_raw_parts(words.as_ptr() as *const T, words.len() * 8 / size_of::<T>())
}

/// Splits the record at the start of `words` from the rest, or `None` when
/// it is malformed: a size that is not the one its counts give, that runs
/// past the block, or ops whose items are not the record's rows. Every
/// access is bounds-checked: a malformed record is never read past.
fn parse(words: &[u64]) -> Option<(FrameRecord<'_>, &[u64])> {
    let header = words.get(..HEADER_WORDS)?;
    // SAFETY: 5 words; RecordHeader is 40 bytes of integers, align <= 8.
    let header: &RecordHeader = unsafe { &cast::<RecordHeader>(header)[0] };
    let counts = [
        header.session_count,
        header.group_count,
        header.op_count,
        header.row_count,
    ];
    let per = [SESSION_WORDS, GROUP_WORDS, OP_WORDS, ROW_WORDS];
    // The size its counts give (under 2^39: no overflow), in words.
    let mut want = HEADER_WORDS as u64;
    for (count, words) in counts.iter().zip(per) {
        want += u64::from(*count) * words as u64;
    }
    if header.size != want * 8 || want > words.len() as u64 {
        return None;
    }
    // Every part fits: the sum of their sizes is the record's, in the block.
    let (record, rest) = words.split_at(want as usize);
    let mut parts = [&record[..0]; 4];
    let mut body = &record[HEADER_WORDS..];
    for (i, (count, words)) in counts.iter().zip(per).enumerate() {
        let (part, after) = body.split_at(*count as usize * words);
        parts[i] = part;
        body = after;
    }
    // SAFETY: whole numbers of each type's words; integers only; the
    // alignment and size of Group and Row are checked (IN_PLACE) before
    // any record is parsed.
    let record = unsafe {
        FrameRecord {
            header,
            words: record,
            sessions: parts[0],
            groups: cast::<Group>(parts[1]),
            ops: cast::<RecordOp>(parts[2]),
            rows: cast::<Row>(parts[3]),
        }
    };
    let items: u64 = record.ops.iter().map(|op| u64::from(op.item_count)).sum();
    if items != record.rows.len() as u64 {
        return None;
    }
    Some((record, rest))
}

// ---- The batch -------------------------------------------------------------------------

/// The frames queued since the previous take, as the library handed them
/// out ([`Guild::take_frames`](crate::Guild::take_frames)): records in
/// delivery order, read in place. It borrows the guild, so it cannot be
/// kept past the next take or the guild's drop (the block is valid until
/// then); [`FrameBatch::to_frames`] makes owned copies.
///
/// Iterate it (`for record in &batch`, or `batch.iter()`) for its
/// [`FrameRecord`]s.
#[derive(Clone, Copy)]
pub struct FrameBatch<'a> {
    words: &'a [u64],
    records: usize,
}

impl<'a> FrameBatch<'a> {
    /// The batch of a block the library handed out: `Internal` when a
    /// record is malformed (or the target cannot read the block in place).
    ///
    /// # Safety
    /// Unless `len` is 0, `data` must point to `len` bytes valid and
    /// unchanged for `'a`.
    pub(crate) unsafe fn new(data: *const u8, len: usize) -> Result<FrameBatch<'a>> {
        let broken = Err(Error::from_code(sys::ROSTER_EINTERNAL));
        if len == 0 {
            return Ok(FrameBatch {
                words: &[],
                records: 0,
            });
        }
        if !IN_PLACE || data.is_null() || data as usize % 8 != 0 || len % 8 != 0 {
            return broken;
        }
        // SAFETY: the caller's bytes, 8-byte aligned, whole words.
        let words = std::slice::from_raw_parts(data as *const u64, len / 8);
        let mut records = 0;
        let mut rest = words;
        while !rest.is_empty() {
            match parse(rest) {
                Some((_, after)) => rest = after,
                None => return broken,
            }
            records += 1;
        }
        Ok(FrameBatch { words, records })
    }

    /// The number of records (frames).
    #[inline]
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether nothing was queued.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The records, in the order the frames were delivered.
    #[inline]
    pub fn iter(&self) -> FrameRecords<'a> {
        FrameRecords {
            words: self.words,
            left: self.records,
        }
    }

    /// The block as it is (docs/frames.md §12: native byte order), e.g. to
    /// hand on to another process of the same machine.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        // SAFETY: the block's words as bytes.
        unsafe { cast::<u8>(self.words) }
    }

    /// Owned copies of all the frames.
    pub fn to_frames(&self) -> Vec<Frame> {
        self.iter().map(|record| record.to_frame()).collect()
    }
}

impl<'a> IntoIterator for FrameBatch<'a> {
    type Item = FrameRecord<'a>;
    type IntoIter = FrameRecords<'a>;

    fn into_iter(self) -> FrameRecords<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &FrameBatch<'a> {
    type Item = FrameRecord<'a>;
    type IntoIter = FrameRecords<'a>;

    fn into_iter(self) -> FrameRecords<'a> {
        self.iter()
    }
}

impl fmt::Debug for FrameBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The records of a [`FrameBatch`], in order.
#[derive(Clone)]
pub struct FrameRecords<'a> {
    words: &'a [u64],
    left: usize,
}

impl<'a> Iterator for FrameRecords<'a> {
    type Item = FrameRecord<'a>;

    fn next(&mut self) -> Option<FrameRecord<'a>> {
        // Checked when the block was taken: a malformed record (never)
        // ends the iteration.
        match if self.left > 0 {
            parse(self.words)
        } else {
            None
        } {
            Some((record, rest)) => {
                self.words = rest;
                self.left -= 1;
                Some(record)
            }
            _ => {
                self.words = &[];
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for FrameRecords<'_> {}
impl FusedIterator for FrameRecords<'_> {}

// ---- A record ----------------------------------------------------------------------------

/// One frame of a [`FrameBatch`], for one list and one or more sessions with
/// identical subscriptions: the accessors of a callback's
/// [`FrameView`](crate::FrameView), reading the block in place (no copy, no
/// allocation). [`FrameRecord::to_frame`] makes an owned [`Frame`].
#[derive(Clone, Copy)]
pub struct FrameRecord<'a> {
    header: &'a RecordHeader,
    words: &'a [u64],
    sessions: &'a [u64],
    groups: &'a [Group],
    ops: &'a [RecordOp],
    rows: &'a [Row],
}

impl<'a> FrameRecord<'a> {
    /// The list the frame is about.
    #[inline]
    pub fn list_id(&self) -> u64 {
        self.header.list_id
    }

    /// The sessions the frame is for, in the order the library gave them.
    #[inline]
    pub fn sessions(&self) -> &'a [u64] {
        self.sessions
    }

    /// Members visible in the list (as [`Guild::list_counts`](crate::Guild::list_counts)).
    #[inline]
    pub fn member_count(&self) -> u32 {
        self.header.member_count
    }

    /// Those of them not offline.
    #[inline]
    pub fn online_count(&self) -> u32 {
        self.header.online_count
    }

    /// Every group that appears in the list, in order.
    #[inline]
    pub fn groups(&self) -> &'a [Group] {
        self.groups
    }

    /// The ops that bring the sessions' rows up to date, in the order to
    /// apply them (docs/frames.md §5); `ops().len()` is their number.
    #[inline]
    pub fn ops(&self) -> OpRecords<'a> {
        OpRecords {
            ops: self.ops.iter(),
            rows: self.rows,
        }
    }

    /// The rows of all the ops together, op after op.
    #[inline]
    pub fn rows(&self) -> &'a [Row] {
        self.rows
    }

    /// The record as it is in the block, its size first (docs/frames.md §12).
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        // SAFETY: the record's words as bytes.
        unsafe { cast::<u8>(self.words) }
    }

    /// An owned copy of the whole frame (equal to the [`Frame`] a callback
    /// would have copied with [`FrameView::to_frame`](crate::FrameView::to_frame)).
    pub fn to_frame(&self) -> Frame {
        Frame {
            list_id: self.list_id(),
            sessions: self.sessions.to_vec(),
            member_count: self.member_count(),
            online_count: self.online_count(),
            groups: self.groups.to_vec(),
            ops: self.ops().map(|op| op.to_op()).collect(),
        }
    }
}

impl fmt::Debug for FrameRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_frame().fmt(f)
    }
}

impl From<&FrameRecord<'_>> for Frame {
    fn from(record: &FrameRecord<'_>) -> Frame {
        record.to_frame()
    }
}

/// The ops of a [`FrameRecord`], in order, each with its rows.
#[derive(Clone)]
pub struct OpRecords<'a> {
    ops: std::slice::Iter<'a, RecordOp>,
    /// The rows of the ops not yet yielded.
    rows: &'a [Row],
}

impl<'a> Iterator for OpRecords<'a> {
    type Item = OpRecord<'a>;

    #[inline]
    fn next(&mut self) -> Option<OpRecord<'a>> {
        let op = self.ops.next()?;
        // The item counts sum to the rows (checked at the take): never short.
        let n = (op.item_count as usize).min(self.rows.len());
        let (items, rest) = self.rows.split_at(n);
        self.rows = rest;
        Some(OpRecord { op, items })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ops.size_hint()
    }
}

impl ExactSizeIterator for OpRecords<'_> {}
impl FusedIterator for OpRecords<'_> {}

/// One op of a [`FrameRecord`], read in place: the accessors of a
/// callback's [`OpView`](crate::OpView).
#[derive(Clone, Copy)]
pub struct OpRecord<'a> {
    op: &'a RecordOp,
    items: &'a [Row],
}

impl<'a> OpRecord<'a> {
    /// The op's kind.
    #[inline]
    pub fn kind(&self) -> OpKind {
        OpKind::from_raw(self.op.kind)
    }

    /// The C op kind (`ROSTER_OP_*`).
    #[inline]
    pub fn raw_kind(&self) -> u32 {
        self.op.kind
    }

    /// The row, or the first row of a SYNC or INVALIDATE range.
    #[inline]
    pub fn index(&self) -> u32 {
        self.op.index
    }

    /// The last row of a SYNC or INVALIDATE range; for the others, `index`.
    #[inline]
    pub fn end(&self) -> u32 {
        self.op.end
    }

    /// The rows the op carries, in place: a SYNC's rows (fewer than the range
    /// at the list's end), the one row of an INSERT or UPDATE, none for a
    /// DELETE or INVALIDATE.
    #[inline]
    pub fn items(&self) -> &'a [Row] {
        self.items
    }

    /// The row of an INSERT or UPDATE (the first item of any op).
    #[inline]
    pub fn row(&self) -> Option<Row> {
        self.items.first().copied()
    }

    /// An owned copy.
    pub fn to_op(&self) -> Op {
        Op::from_parts(self.raw_kind(), self.index(), self.end(), self.items)
    }
}

impl fmt::Debug for OpRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_op().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::GroupId;

    /// Two u32s in memory order, as one native word.
    fn pair(a: u32, b: u32) -> u64 {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&a.to_ne_bytes());
        bytes[4..].copy_from_slice(&b.to_ne_bytes());
        u64::from_ne_bytes(bytes)
    }

    /// A record's words from its parts (docs/frames.md §12).
    fn record(sessions: &[u64], groups: &[(u64, u32)], ops: &[[u32; 4]], rows: &[Row]) -> Vec<u64> {
        let size = 40 + 8 * sessions.len() + 16 * groups.len() + 16 * ops.len() + 24 * rows.len();
        let mut w = vec![size as u64, 7, pair(3, 2)];
        w.push(pair(sessions.len() as u32, groups.len() as u32));
        w.push(pair(ops.len() as u32, rows.len() as u32));
        w.extend_from_slice(sessions);
        for &(id, count) in groups {
            w.extend_from_slice(&[id, pair(count, 0)]);
        }
        for op in ops {
            w.extend_from_slice(&[pair(op[0], op[1]), pair(op[2], op[3])]);
        }
        for row in rows {
            let r = row.as_raw();
            w.extend_from_slice(&[pair(r.kind, r.count), r.group, r.user]);
        }
        w
    }

    fn batch(words: &[u64]) -> Result<FrameBatch<'_>> {
        // SAFETY: the words live as long as the batch.
        unsafe { FrameBatch::new(words.as_ptr() as *const u8, words.len() * 8) }
    }

    fn sample() -> Vec<u64> {
        let rows = [
            Row::header(GroupId::Online, 2),
            Row::member(11, GroupId::Online),
            Row::member(12, GroupId::Online),
        ];
        let mut words = record(
            &[5, 6],
            &[(sys::ROSTER_GROUP_ONLINE, 2)],
            &[
                [sys::ROSTER_OP_SYNC, 0, 9, 2],
                [sys::ROSTER_OP_INSERT, 2, 2, 1],
            ],
            &rows,
        );
        words.extend(record(
            &[5],
            &[],
            &[[sys::ROSTER_OP_INVALIDATE, 0, 9, 0]],
            &[],
        ));
        words
    }

    #[test]
    fn a_well_formed_block_is_read_in_place() {
        let words = sample();
        let batch = batch(&words).unwrap();
        assert_eq!(batch.len(), 2);
        let records: Vec<FrameRecord<'_>> = batch.iter().collect();
        let first = records[0];
        assert_eq!(
            (first.list_id(), first.member_count(), first.online_count()),
            (7, 3, 2)
        );
        assert_eq!(first.sessions(), [5, 6]);
        assert_eq!(first.groups(), [Group::new(GroupId::Online, 2)]);
        let ops: Vec<Op> = first.ops().map(|op| op.to_op()).collect();
        assert_eq!(
            ops,
            [
                Op::Sync {
                    start: 0,
                    end: 9,
                    rows: vec![
                        Row::header(GroupId::Online, 2),
                        Row::member(11, GroupId::Online)
                    ]
                },
                Op::Insert {
                    index: 2,
                    row: Row::member(12, GroupId::Online)
                }
            ]
        );
        assert_eq!(records[1].sessions(), [5]);
        assert_eq!(records[1].ops().next().unwrap().kind(), OpKind::Invalidate);
        assert!(records[1].rows().is_empty());
    }

    #[test]
    fn a_malformed_block_is_an_error_never_read_past() {
        let broken = |words: &[u64]| {
            assert_eq!(
                batch(words).err().map(|e| e.kind()),
                Some(crate::ErrorKind::Internal),
                "{:?}",
                words
            )
        };
        let good = sample();
        let first = (good[0] / 8) as usize;
        // Cut anywhere inside a record.
        for cut in 1..good.len() {
            if cut != first {
                broken(&good[..cut]);
            }
        }
        // A size that is not the counts' (0, smaller, larger, odd, huge).
        for size in [
            0,
            8,
            40,
            good[0] - 8,
            good[0] + 8,
            good[0] + 1,
            u64::MAX - 7,
        ] {
            let mut words = good.clone();
            words[0] = size;
            broken(&words);
        }
        // Counts that are not the size's (each count field, and huge ones).
        for (word, value) in [(3, 1u64), (3, u64::MAX), (4, 1 << 32), (4, u64::MAX)] {
            let mut words = good.clone();
            words[word] ^= value;
            broken(&words);
        }
        // Op items that are not the rows: more, and fewer.
        let mut words = good.clone();
        let op0 = 5 + 2 + 2; // header, sessions, group
        for items in [3, 1] {
            words[op0 + 1] = pair(9, items); // end 9, item_count 2
            broken(&words);
        }
        // A block that is not whole words, or not aligned.
        // SAFETY: within `good`'s bytes.
        unsafe {
            let p = good.as_ptr() as *const u8;
            assert!(FrameBatch::new(p, good.len() * 8 - 4).is_err());
            assert!(FrameBatch::new(p.add(4), 40).is_err());
            assert!(FrameBatch::new(std::ptr::null(), 8).is_err());
            assert!(FrameBatch::new(std::ptr::null(), 0).unwrap().is_empty());
        }
    }
}
