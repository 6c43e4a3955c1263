// The cached rows of one chunk: what every client holding it has.
//
// At a million members nearly every held chunk shifts at every flush: a
// few rows leave at one edge, as many come in at the other, the rest stay.
// Copying the whole chunk each time was most of the memory traffic of a
// flush, so the rows sit in a buffer three chunks wide with slack on both
// sides, and a rebuild moves only what changes: the longest run of rows
// that stay is left where it is in memory, the window's start moves over
// it, and only the rows around it are written. When the window drifts into
// an edge of the buffer it is copied back to the middle (amortised: at most
// once per chunk-width of drift).
//
// In a large pool the rows a flush writes go past the caches
// (copy_past_cache below). At 100k sessions a flush writes the edges of
// ~16k windows, a few rows each, scattered over a pool of ~120 MB: ordinary
// stores first read each line from memory, then leave it dirty in L2 and
// L3, where it pushes out what the next events read, and nothing reads
// those rows again before the next flush. In a pool that fits in the cache
// (13 MB at 10k sessions) the lines are mostly there already, and ordinary
// stores are the cheaper.
//
// The buffers of all chunks are blocks of one RowPool, a slab (slab.hpp):
// a flush touches thousands of them, and as separate heap blocks each was
// its own 4 KiB page, so most touches were TLB misses; in one mapping they
// share a few huge pages.
//
// Thread-safety: none.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "guild.hpp"
#include "ids.hpp"
#include "slab.hpp"

namespace roster {

namespace detail {

// Copies n rows (dst and src must not overlap) with non-temporal stores,
// which neither read the destination's lines from memory first nor keep
// them in the caches. Where SSE2 is missing, a plain copy. The stores are
// weakly ordered: the writing thread sees them at once, other threads after
// stream_fence() (or any lock, which a host hands the guild over with).
inline void copy_past_cache(Row* dst, const Row* src, std::size_t n) {
#if defined(__x86_64__) && defined(__SSE2__)
    static_assert(sizeof(Row) % 8 == 0 && alignof(Row) >= 8);
    auto* d = reinterpret_cast<long long*>(dst);
    for (std::size_t i = 0; i < n * (sizeof(Row) / 8); ++i) {
        long long v;
        std::memcpy(&v, reinterpret_cast<const char*>(src) + 8 * i, 8);
        _mm_stream_si64(d + i, v);
    }
    // The stores above are through long long, the rows' later reads
    // through Row: the compiler must not move those reads before them.
    std::atomic_signal_fence(std::memory_order_seq_cst);
#else
    std::memcpy(dst, src, n * sizeof(Row));
#endif
}

// Orders the non-temporal stores made so far before any later store.
inline void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

}  // namespace detail

// Rows [at, at + len) of the new window are old rows [old, old + len).
struct KeptRun {
    std::uint32_t at;
    std::uint32_t old;
    std::uint32_t len;
};

// Blocks of 3 * chunk rows. Freed blocks are reused first; the free list is
// threaded through them, so free() never allocates. allocate() throws
// std::bad_alloc with nothing changed. Blocks move when the pool grows:
// hold ids, not pointers.
class RowPool {
public:
    // A pool of at least this many bytes is written past the cache (see
    // above; the last-level cache of the machine measured is 32 MiB). A
    // test build may set it (0: every pool).
#ifdef ROSTER_ROWS_PAST_CACHE_FROM
    static constexpr std::size_t stream_from_default = ROSTER_ROWS_PAST_CACHE_FROM;
#else
    static constexpr std::size_t stream_from_default = std::size_t{32} << 20;
#endif

    explicit RowPool(std::uint32_t chunk, std::size_t stream_from = stream_from_default)
        : block_(3 * std::size_t{std::max<std::uint32_t>(chunk, 1)}), stream_from_(stream_from) {}
    RowPool(const RowPool&) = delete;
    RowPool& operator=(const RowPool&) = delete;

    std::size_t block_rows() const { return block_; }
    Row* block(std::uint32_t id) { return static_cast<Row*>(mem_.data()) + id * block_; }
    const Row* block(std::uint32_t id) const {
        return static_cast<const Row*>(mem_.data()) + id * block_;
    }

    std::uint32_t allocate() {
        if (free_ != nil_id) {
            const std::uint32_t id = free_;
            std::memcpy(&free_, block(id), sizeof free_);
            return id;
        }
        if (high_ == capacity()) {
            if (high_ >= max_blocks()) throw std::bad_alloc();
            const std::size_t next = std::max<std::size_t>(16, high_ + high_ / 2);
            mem_.grow(std::min<std::size_t>(next, max_blocks()) * block_ * sizeof(Row));
        }
        return high_++;
    }
    void free(std::uint32_t id) noexcept {
        std::memcpy(block(id), &free_, sizeof free_);
        free_ = id;
    }
    std::size_t memory_bytes() const { return mem_.bytes(); }
    // Whether windows write their rows into this pool past the cache.
    bool past_cache() const { return mem_.bytes() >= stream_from_; }

private:
    std::size_t capacity() const { return mem_.bytes() / (block_ * sizeof(Row)); }
    std::size_t max_blocks() const { return std::min<std::size_t>(nil_id - 1, SIZE_MAX / (block_ * sizeof(Row))); }

    std::size_t block_;
    std::size_t stream_from_;
    detail::SlabMemory mem_;
    std::uint32_t high_ = 0;
    std::uint32_t free_ = nil_id;
};

class RowWindow {
public:
    explicit RowWindow(RowPool& pool) : pool_(&pool) {}
    ~RowWindow() {
        if (block_ != nil_id) pool_->free(block_);
    }
    RowWindow(const RowWindow&) = delete;
    RowWindow& operator=(const RowWindow&) = delete;

    std::span<const Row> rows() const {
        return {block_ == nil_id ? nullptr : base() + off_, len_};
    }
    std::size_t size() const { return len_; }
    bool empty() const { return len_ == 0; }

    void clear() { len_ = 0; }

    // Requests the lines at both edges of the window, where a flush that
    // shifts it reads the rows leaving and writes the rows coming in.
    void prefetch() const {
        if (len_ == 0) return;
        const Row* b = base();
        __builtin_prefetch(b + off_);
        __builtin_prefetch(b + off_ + len_ - 1);
    }

    // Requests the lines rebuild(kept, new_len) will write (the rows around
    // the anchor; not in a pool written past the cache) and the old rows no
    // kept run covers (a caller may read them first): a flush issues this a
    // few chunks ahead, so that each chunk's misses overlap with the work on
    // the ones before it.
    void prefetch_rebuild(std::span<const KeptRun> kept, std::uint32_t new_len) const {
        if (block_ == nil_id || kept.empty()) return;
        std::size_t a = 0;
        for (std::size_t i = 1; i < kept.size(); ++i)
            if (kept[i].len > kept[a].len) a = i;
        const std::int64_t new_off = static_cast<std::int64_t>(off_) + kept[a].old - kept[a].at;
        if (new_off < 0 || new_off + new_len > static_cast<std::int64_t>(cap())) return;
        const char* b = reinterpret_cast<const char*>(base());
        auto lines = [&](std::int64_t from, std::int64_t to, int rw) {  // rows [from, to)
            for (std::int64_t x = from * sizeof(Row); x < to * std::int64_t{sizeof(Row)}; x += 64)
                rw ? __builtin_prefetch(b + x, 1) : __builtin_prefetch(b + x, 0);
            if (from < to) rw ? __builtin_prefetch(b + to * sizeof(Row) - 1, 1)
                              : __builtin_prefetch(b + to * sizeof(Row) - 1, 0);
        };
        if (!pool_->past_cache()) {
            lines(new_off, new_off + kept[a].at, 1);
            lines(new_off + kept[a].at + kept[a].len, new_off + new_len, 1);
        }
        std::uint32_t o = 0;
        for (const KeptRun& k : kept) {
            lines(off_ + o, off_ + k.old, 0);
            o = k.old + k.len;
        }
        lines(off_ + o, off_ + len_, 0);
    }

    // Replaces the rows (at most a chunk of them; not rows of this pool).
    // May throw std::bad_alloc (rows unchanged).
    void assign(std::span<const Row> rows) {
        if (block_ == nil_id) block_ = pool_->allocate();
        off_ = static_cast<std::uint32_t>((cap() - rows.size()) / 2);
        copy_rows(base() + off_, rows.data(), rows.size(), pool_->past_cache());
        len_ = static_cast<std::uint32_t>(rows.size());
    }

    // The window becomes new_len rows: for every run k of `kept` (ascending
    // in both at and old, within the old and new windows), rows
    // [k.at, k.at + k.len) are the old rows [k.old, k.old + k.len); every
    // other row j is fill(j), called in ascending j. May throw
    // std::bad_alloc (then the rows are unchanged).
    struct Scratch {
        Vec<Row> rows;
        Vec<KeptRun> runs;
    };
    template <class Fill>
    void rebuild(std::span<const KeptRun> kept, std::uint32_t new_len, Fill&& fill,
                 Scratch& scratch) {
        std::size_t a = 0;  // the anchor: the longest kept run stays in place
        for (std::size_t i = 1; i < kept.size(); ++i)
            if (kept[i].len > kept[a].len) a = i;
        const std::int64_t new_off =
            kept.empty() ? -1 : static_cast<std::int64_t>(off_) + kept[a].old - kept[a].at;
        if (kept.empty() || new_off < 0 || new_off + new_len > static_cast<std::int64_t>(cap())) {
            // No anchor, or it drifted too far: rebuild in the middle.
            scratch.rows.resize(new_len);
            compose(scratch.rows.data(), kept, new_len, rows().data(), fill);
            assign(scratch.rows);
            return;
        }
        Row* b = base();
        Row* dst = b + new_off;
        const Row* old = b + off_;
        // Old rows of the runs around the anchor are saved first: writing the
        // new rows on either side may overwrite them.
        std::size_t saved = 0;
        for (std::size_t i = 0; i < kept.size(); ++i)
            if (i != a) saved += kept[i].len;
        scratch.rows.resize(saved);
        scratch.runs.clear();
        Row* s = scratch.rows.data();
        for (std::size_t i = 0; i < kept.size(); ++i) {
            if (i == a) continue;
            std::memcpy(s, old + kept[i].old, kept[i].len * sizeof(Row));
            scratch.runs.push_back(
                KeptRun{kept[i].at, static_cast<std::uint32_t>(s - scratch.rows.data()), kept[i].len});
            s += kept[i].len;
        }
        // scratch.runs[0, a) are left of the anchor, the rest right of it.
        const std::span<const KeptRun> others(scratch.runs);
        const bool past = pool_->past_cache();
        write(dst, others, 0, a, 0, kept[a].at, scratch.rows.data(), fill, past);
        write(dst, others, a, others.size(), kept[a].at + kept[a].len, new_len,
              scratch.rows.data(), fill, past);
        off_ = static_cast<std::uint32_t>(new_off);
        len_ = new_len;
    }

    // Row j of the window (j < size()).
    Row& at(std::uint32_t j) { return base()[off_ + j]; }

    // The new window's rows [0, new_len) into dst: kept runs from src (the
    // old rows), fill(j) elsewhere, in ascending j.
    template <class Fill>
    static void compose(Row* dst, std::span<const KeptRun> kept, std::uint32_t new_len,
                        const Row* src, Fill&& fill) {
        write(dst, kept, 0, kept.size(), 0, new_len, src, fill, false);
    }

private:
    Row* base() const { return pool_->block(block_); }
    std::size_t cap() const { return pool_->block_rows(); }

    // Writes rows [from, to) of the new window at dst[j]: kept runs
    // runs[r0..r1) (their `old` indexing src, not overlapping dst's rows
    // [from, to)), fill(j) elsewhere; past the cache or not (a large
    // pool's rows, not a scratch buffer about to be read).
    template <class Fill>
    static void write(Row* dst, std::span<const KeptRun> runs, std::size_t r0, std::size_t r1,
                      std::uint32_t from, std::uint32_t to, const Row* src, Fill& fill,
                      bool past_cache) {
        std::uint32_t j = from;
        for (std::size_t r = r0; r < r1; ++r) {
            fill_rows(dst, j, runs[r].at, fill, past_cache);
            j = runs[r].at;
            copy_rows(dst + j, src + runs[r].old, runs[r].len, past_cache);
            j += runs[r].len;
        }
        fill_rows(dst, j, to, fill, past_cache);
    }
    // n rows from src to dst (not overlapping), past the cache or not.
    static void copy_rows(Row* dst, const Row* src, std::size_t n, bool past_cache) {
        if (past_cache)
            detail::copy_past_cache(dst, src, n);
        else if (n)
            std::memcpy(dst, src, n * sizeof(Row));
    }
    // dst[j] = fill(j) for j in [from, to), ascending; past the cache a few
    // dozen rows at a time, through a buffer on the stack.
    template <class Fill>
    static void fill_rows(Row* dst, std::uint32_t from, std::uint32_t to, Fill& fill,
                          bool past_cache) {
        if (!past_cache) {
            for (; from < to; ++from) dst[from] = fill(from);
            return;
        }
        constexpr std::uint32_t batch = 64;
        Row buf[batch];
        while (from < to) {
            const std::uint32_t k = std::min(to - from, batch);
            for (std::uint32_t i = 0; i < k; ++i) buf[i] = fill(from + i);
            copy_rows(dst + from, buf, k, true);
            from += k;
        }
    }

    RowPool* pool_;
    std::uint32_t block_ = nil_id;
    std::uint32_t off_ = 0, len_ = 0;
};

}  // namespace roster
