//! Frames: what the frame callback receives (docs/frames.md).
//!
//! The callback is handed a [`FrameView`]: borrowed views over the
//! library's own arrays, valid only during the callback, read without any
//! copy or allocation. [`FrameView::to_frame`] makes an owned [`Frame`] (plain
//! `Vec`s) to keep. The frame queue's records (`crate::queue`) are read the
//! same way.

use std::fmt;

use crate::sys;
use crate::types::{Group, Row};

/// A borrowed C array as a slice (empty when the pointer is NULL).
///
/// # Safety
/// Unless NULL or `len` is 0, `ptr` must point to `len` valid `T`s that
/// stay valid and unchanged for the lifetime `'a`.
#[inline]
pub(crate) unsafe fn c_slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

/// The kind of an op (`ROSTER_OP_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Rows `index..=end` are the items (fewer at the list's end); no shifting.
    Sync,
    /// Insert the item at `index`; later rows shift down by one.
    Insert,
    /// Replace the row at `index` with the item.
    Update,
    /// Remove the row at `index`; later rows shift up by one.
    Delete,
    /// The sessions no longer hold rows `index..=end`.
    Invalidate,
    /// A kind this crate does not know (a newer library), as received.
    Unknown(u32),
}

impl OpKind {
    /// The kind of a C op kind.
    #[inline]
    pub fn from_raw(kind: u32) -> OpKind {
        match kind {
            sys::ROSTER_OP_SYNC => OpKind::Sync,
            sys::ROSTER_OP_INSERT => OpKind::Insert,
            sys::ROSTER_OP_UPDATE => OpKind::Update,
            sys::ROSTER_OP_DELETE => OpKind::Delete,
            sys::ROSTER_OP_INVALIDATE => OpKind::Invalidate,
            other => OpKind::Unknown(other),
        }
    }
}

/// One op of a frame, borrowed from the library during the frame callback
/// (the same memory layout as `roster_op`: a frame's ops are read in
/// place). It cannot be copied or kept; [`OpView::to_op`] makes an owned
/// [`Op`].
#[repr(transparent)]
pub struct OpView(sys::roster_op);

impl OpView {
    /// The op's kind.
    #[inline]
    pub fn kind(&self) -> OpKind {
        OpKind::from_raw(self.0.kind)
    }

    /// The C op kind (`ROSTER_OP_*`).
    #[inline]
    pub fn raw_kind(&self) -> u32 {
        self.0.kind
    }

    /// The row, or the first row of a SYNC or INVALIDATE range.
    #[inline]
    pub fn index(&self) -> u32 {
        self.0.index
    }

    /// The last row of a SYNC or INVALIDATE range; for the others, `index`.
    #[inline]
    pub fn end(&self) -> u32 {
        self.0.end
    }

    /// The rows the op carries, in place: a SYNC's rows (fewer than the range
    /// at the list's end), the one row of an INSERT or UPDATE, none for a
    /// DELETE or INVALIDATE.
    #[inline]
    pub fn items(&self) -> &[Row] {
        // SAFETY: the library's op, valid while this borrow of it lives (the
        // callback's duration); Row is repr(transparent) over roster_row.
        unsafe { c_slice(self.0.items as *const Row, self.0.item_count as usize) }
    }

    /// The row of an INSERT or UPDATE (the first item of any op).
    #[inline]
    pub fn row(&self) -> Option<Row> {
        self.items().first().copied()
    }

    /// An owned copy.
    pub fn to_op(&self) -> Op {
        Op::from_parts(self.raw_kind(), self.index(), self.end(), self.items())
    }
}

impl fmt::Debug for OpView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_op().fmt(f)
    }
}

/// One frame, for one list and one or more sessions with identical
/// subscriptions, borrowed from the library during the frame callback:
/// every accessor reads the C data in place (no copy, no allocation). It is
/// valid only during the callback; [`FrameView::to_frame`] makes an owned
/// [`Frame`] to keep.
pub struct FrameView<'a> {
    raw: &'a sys::roster_frame,
    sessions: &'a [u64],
}

impl<'a> FrameView<'a> {
    /// A view of a callback's arguments.
    ///
    /// # Safety
    /// The arguments must be those of a running `roster_frame_fn` call (or
    /// data as valid for `'a`).
    #[inline]
    pub(crate) unsafe fn new(
        raw: &'a sys::roster_frame,
        sessions: *const u64,
        session_count: usize,
    ) -> FrameView<'a> {
        FrameView {
            raw,
            sessions: c_slice(sessions, session_count),
        }
    }

    /// The list the frame is about.
    #[inline]
    pub fn list_id(&self) -> u64 {
        self.raw.list_id
    }

    /// The sessions the frame is for, in the order the library gave them.
    #[inline]
    pub fn sessions(&self) -> &'a [u64] {
        self.sessions
    }

    /// Members visible in the list (as [`Guild::list_counts`](crate::Guild::list_counts)).
    #[inline]
    pub fn member_count(&self) -> u32 {
        self.raw.member_count
    }

    /// Those of them not offline.
    #[inline]
    pub fn online_count(&self) -> u32 {
        self.raw.online_count
    }

    /// Every group that appears in the list, in order.
    #[inline]
    pub fn groups(&self) -> &'a [Group] {
        // SAFETY: the library's array, valid for 'a; Group is
        // repr(transparent) over roster_group.
        unsafe { c_slice(self.raw.groups as *const Group, self.raw.group_count) }
    }

    /// The ops that bring the sessions' rows up to date, in the order to
    /// apply them (docs/frames.md §5).
    #[inline]
    pub fn ops(&self) -> &'a [OpView] {
        // SAFETY: the library's array, valid for 'a; OpView is
        // repr(transparent) over roster_op.
        unsafe { c_slice(self.raw.ops as *const OpView, self.raw.op_count) }
    }

    /// The C struct.
    #[inline]
    pub fn as_raw(&self) -> &'a sys::roster_frame {
        self.raw
    }

    /// An owned copy of the whole frame.
    pub fn to_frame(&self) -> Frame {
        Frame {
            list_id: self.list_id(),
            sessions: self.sessions.to_vec(),
            member_count: self.member_count(),
            online_count: self.online_count(),
            groups: self.groups().to_vec(),
            ops: self.ops().iter().map(OpView::to_op).collect(),
        }
    }
}

impl fmt::Debug for FrameView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_frame().fmt(f)
    }
}

impl From<&FrameView<'_>> for Frame {
    fn from(view: &FrameView<'_>) -> Frame {
        view.to_frame()
    }
}

/// One op of a frame, owned (docs/frames.md §4). Indices are rows over the
/// whole list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Rows `start..=end` are `rows` (fewer at the list's end); no shifting.
    Sync {
        /// The first row of the range.
        start: u32,
        /// The last row of the range.
        end: u32,
        /// The rows that exist in the range.
        rows: Vec<Row>,
    },
    /// Insert `row` at `index`; later rows shift down by one.
    Insert {
        /// Where.
        index: u32,
        /// What.
        row: Row,
    },
    /// Replace the row at `index`.
    Update {
        /// Where.
        index: u32,
        /// The new row.
        row: Row,
    },
    /// Remove the row at `index`; later rows shift up by one.
    Delete {
        /// Where.
        index: u32,
    },
    /// The session no longer holds rows `start..=end`.
    Invalidate {
        /// The first row of the range.
        start: u32,
        /// The last row of the range.
        end: u32,
    },
    /// An op this crate does not know (a newer library), as received.
    Unknown {
        /// The C op kind.
        kind: u32,
        /// Its index field.
        index: u32,
        /// Its end field.
        end: u32,
    },
}

impl Op {
    /// The owned op of an op's fields and items (from a callback's op or a
    /// queued record's).
    pub(crate) fn from_parts(kind: u32, index: u32, end: u32, items: &[Row]) -> Op {
        match (OpKind::from_raw(kind), items.first().copied()) {
            (OpKind::Sync, _) => Op::Sync {
                start: index,
                end,
                rows: items.to_vec(),
            },
            (OpKind::Insert, Some(row)) => Op::Insert { index, row },
            (OpKind::Update, Some(row)) => Op::Update { index, row },
            (OpKind::Delete, _) => Op::Delete { index },
            (OpKind::Invalidate, _) => Op::Invalidate { start: index, end },
            // Unknown kinds, and an INSERT or UPDATE without its row.
            _ => Op::Unknown { kind, index, end },
        }
    }
}

/// One frame, owned: keep it as long as you like ([`FrameView::to_frame`],
/// [`FrameRecord::to_frame`](crate::FrameRecord::to_frame)).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The list the frame is about.
    pub list_id: u64,
    /// The sessions the frame is for, in the order the library gave them.
    pub sessions: Vec<u64>,
    /// Members visible in the list.
    pub member_count: u32,
    /// Those of them not offline.
    pub online_count: u32,
    /// Every group that appears in the list, in order.
    pub groups: Vec<Group>,
    /// The ops that bring the sessions' rows up to date, in order.
    pub ops: Vec<Op>,
}
