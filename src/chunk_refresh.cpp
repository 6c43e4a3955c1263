// A held chunk's rows and ops at a flush (Subscriptions, continued): which
// chunks the flush must look at, their plans from the row map, the rows the
// plans need, the scripts written into the ops arena, and the cached rows
// rebuilt; or, without a row map, each chunk read whole and diffed.
#include <cstring>
#include <limits>

#include "subscriptions_state.hpp"

namespace roster {

// Brings chunk k's cached rows up to date for sessions that get it anew
// (no ops: they get a SYNC of the rows).
void Subscriptions::refresh_chunk(ListSubs& ls, std::uint32_t k) {
    auto [c, created] = ls.entry(k, pool_);
    if (c->stamp == flush_no_) return;
    c->start(flush_no_);
    if (created || affected(ls, *c)) refresh_full(ls, *c, false);
}

// Rows [s, e] of chunk c: the window it covers.
std::pair<std::uint32_t, std::uint32_t> Subscriptions::window(const Chunk& c) const {
    const std::uint64_t s = std::uint64_t{c.k} * cfg_.chunk;
    const std::uint64_t e = std::min<std::uint64_t>(s + cfg_.chunk - 1, UINT32_MAX);
    return {static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(e)};
}

// Whether this flush's edits may have changed chunk c's rows.
bool Subscriptions::affected(const ListSubs& ls, const Chunk& c) const {
    const auto [s, e] = window(c);
    if (ls.lost || e >= ls.affected_from) return true;
    for (std::uint32_t h : ls.changed_headers)
        if (h >= s && h <= e) return true;
    return false;
}

// A chunk whose holders keep it: its ops are computed once this flush, by
// refresh_kept, if the edits may have reached it.
void Subscriptions::take_kept(ListSubs& ls, Chunk& c) {
    if (c.stamp == flush_no_) return;
    c.start(flush_no_);
    if (c.rows.empty() || affected(ls, c)) work_.emplace_back(c.k, &c);
}

// The kept chunks' ops and new rows. With a row map, a block of chunks at
// a time, in three passes: plan each chunk of the block from the map (no
// rows read), read all the rows its plans need in one ascending pass over
// the list, then apply each plan. A block's rows are still in the cache
// when its plans are applied (read for every chunk of a flush at once, at
// 100k sessions they were megabytes, and the first chunks' had left the
// cache by their turn). Without a map (a reset or lost flush), each chunk
// is read whole and diffed. Then the audiences get their frames (when
// d.on); or, if the arenas fill up first, those whose last chunk a block
// reached get theirs after it, and the ops no one needs any more leave
// the arenas.
void Subscriptions::refresh_kept(ListSubs& ls, Delivery& d) {
    // Held chunks came in order; kept chunks of pending sessions that no
    // audience holds come after them.
    if (!std::is_sorted(work_.begin(), work_.end())) std::sort(work_.begin(), work_.end());
    if (slot_.size() < cfg_.chunk) slot_.resize(cfg_.chunk);
    arena_chunks_.reserve(work_.size());
    std::size_t pointed = 0;  // arena_chunks_ before it point at their items
    const roster_row* items_base = nullptr;  // items_arena_'s data() they point into
    // The arenas are full when they hold compact_at ops and items (at the
    // start, if they have no room at all): from then on, by last chunk.
    std::size_t compact_at = cfg_.ops_compact_from;
    auto full = [&] { return ops_arena_.size() + items_arena_.size() >= compact_at; };
    bool by_last = full();
    const std::size_t block = std::max<std::uint32_t>(cfg_.refresh_block, 1);
    for (std::size_t b = 0; b < work_.size(); b += block) {
        const std::size_t end = std::min(work_.size(), b + block);
        bool mapped = ls.mapped;
        if (mapped) {
            planner_.clear();
            for (std::size_t i = b; i < end; ++i) {
                if (i + 4 < work_.size()) __builtin_prefetch(work_[i + 4].second);  // cold by now
                Chunk* c = work_[i].second;
                c->plan = static_cast<std::uint32_t>(
                    planner_.plan(map_, window(*c).first, cfg_.chunk, ls.length,
                                  static_cast<std::uint32_t>(c->rows.size()), ls.changed_headers));
            }
            fetched_.resize(planner_.rows());
            mapped = engine_.guild_.rows_at(ls.id, planner_.runs(), fetched_.data()) == Error::ok;
        }
        for (std::size_t i = b; i < end; ++i) {
            // Request the next chunks' rows early: their misses overlap
            // with the work on this one.
            if (i + 2 < end) {
                const Chunk& next = *work_[i + 2].second;
                if (mapped)
                    next.rows.prefetch_rebuild(planner_.kept(planner_[next.plan]),
                                               planner_[next.plan].n_new);
                else
                    next.rows.prefetch();
            }
            Chunk* c = work_[i].second;
            c->ops0 = static_cast<std::uint32_t>(ops_arena_.size());
            c->items0 = static_cast<std::uint32_t>(items_arena_.size());
            if (mapped)
                apply_plan(*c, planner_[c->plan]);
            else
                refresh_full(ls, *c, true);
            c->nops = static_cast<std::uint32_t>(ops_arena_.size()) - c->ops0;
            c->nitems = static_cast<std::uint32_t>(items_arena_.size()) - c->items0;
            if (c->nops) arena_chunks_.push_back(c);  // reserved
#ifndef NDEBUG
            // The plan and the row map must agree with the list.
            const auto [s, e] = window(*c);
            rows_.clear();
            if (s < ls.length) engine_.guild_.rows(ls.id, s, e, &rows_);
            const std::span<const Row> got = c->rows.rows();
            bool same = got.size() == rows_.size();
            for (std::size_t r = 0; same && r < got.size(); ++r)
                same = same_identity(got[r], rows_[r]) && same_content(got[r], rows_[r]);
            if (!same) std::abort();
#endif
        }
        // Items were appended in op order: point each new op at its own
        // (every op, if the items arena moved).
        if (items_arena_.data() != items_base) {
            items_base = items_arena_.data();
            pointed = 0;
        }
        for (; pointed < arena_chunks_.size(); ++pointed) point_items(*arena_chunks_[pointed]);
        // Once the arenas are full, the audiences the chunks so far complete
        // get their frames (from now on by last chunk), and what they leave
        // is dropped.
        if (full()) {
            by_last = true;
            if (d.on) deliver_through(ls, d, work_[end - 1].first);
            // The next compaction when twice what stays is there (amortised
            // O(1) an op, however many chunks stay needed).
            compact_at = std::max<std::size_t>(cfg_.ops_compact_from, 2 * compact_arenas());
            pointed = arena_chunks_.size();
        }
    }
    if (!d.on) return;
    if (by_last)
        deliver_through(ls, d, std::numeric_limits<std::uint32_t>::max());
    else
        deliver_in_order(ls, d);
}

// Chunk c's ops point at their items.
void Subscriptions::point_items(const Chunk& c) {
    const roster_row* item = items_arena_.data() + c.items0;
    roster_op* op = ops_arena_.data() + c.ops0;
    for (std::uint32_t i = 0; i < c.nops; ++i, ++op) {
        op->items = op->item_count ? item : nullptr;
        item += op->item_count;
    }
}

// Drops the ops (and items) of chunks every holder has had its frame of,
// unless a pending session keeps the chunk; moves the rest to the front.
// Returns the ops and items left.
std::size_t Subscriptions::compact_arenas() {
    std::size_t n = 0, ops = 0, items = 0;
    for (Chunk* c : arena_chunks_) {
        if (c->unsent == 0 && c->kept_pending != flush_no_) {
            c->ops0 = c->nops = c->items0 = c->nitems = 0;
            continue;
        }
        if (c->ops0 != ops)
            std::memmove(ops_arena_.data() + ops, ops_arena_.data() + c->ops0,
                         std::size_t{c->nops} * sizeof(roster_op));
        if (c->items0 != items)
            std::memmove(items_arena_.data() + items, items_arena_.data() + c->items0,
                         std::size_t{c->nitems} * sizeof(roster_row));
        c->ops0 = static_cast<std::uint32_t>(ops);
        c->items0 = static_cast<std::uint32_t>(items);
        ops += c->nops;
        items += c->nitems;
        arena_chunks_[n++] = c;
        point_items(*c);
    }
    arena_chunks_.resize(n);  // shrinks: cannot throw
    ops_arena_.erase_from(ops_arena_.data() + ops);
    items_arena_.erase_from(items_arena_.data() + items);
    return ops + items;
}

void Subscriptions::add(std::uint32_t kind, std::uint32_t index, std::uint32_t end,
                        std::span<const Row> rows) {
    *ops_arena_.extend(1) =
        roster_op{kind, index, end, static_cast<std::uint32_t>(rows.size()), nullptr};
    roster_row* it = items_arena_.extend(rows.size());
    for (const Row& r : rows) *it++ = to_c(r);
}

void Subscriptions::add(std::uint32_t kind, std::uint32_t index, const Row& row) {
    *ops_arena_.extend(1) = roster_op{kind, index, index, 1, nullptr};
    *items_arena_.extend(1) = to_c(row);
}

// Chunk c's new rows read whole from the list; kept: its ops too, from a
// diff against what its holders have (or a re-send).
void Subscriptions::refresh_full(ListSubs& ls, Chunk& c, bool kept) {
    const auto [s, e] = window(c);
    rows_.clear();
    if (s < ls.length) engine_.guild_.rows(ls.id, s, e, &rows_);
    const std::span<const Row> O = c.rows.rows(), N(rows_);
    if (!kept) {
    } else if (N.empty()) {
        if (ls.lost)
            add(ROSTER_OP_INVALIDATE, s, e, {});
        else if (cfg_.tail_deletes)
            emit_tail_deletes(c, s, static_cast<std::uint32_t>(O.size()));
    } else if (O.empty()) {
        add(ROSTER_OP_SYNC, s, e, N);
    } else if (!ls.lost && differ_.diff(O, N)) {
        emit_script(s, differ_.ops(), N);
    } else {
        add(ROSTER_OP_INVALIDATE, s, e, {});
        add(ROSTER_OP_SYNC, s, e, N);
    }
    c.rows.assign(rows_);
}

// A chunk whose n_old rows are all past the end of the list now, with
// tail deletes: a DELETE of each, from the bottom up.
void Subscriptions::emit_tail_deletes(Chunk& c, std::uint32_t s, std::uint32_t n_old) {
    if (n_old == 0) return;
    roster_op* op = ops_arena_.extend(n_old);
    for (std::uint32_t i = n_old; i-- > 0;) *op++ = roster_op{ROSTER_OP_DELETE, s + i, s + i, 0, nullptr};
    c.tail = true;
}

void Subscriptions::emit_script(std::uint32_t s, std::span<const WindowOp> script,
                                std::span<const Row> N) {
    for (const WindowOp& op : script) {
        switch (op.kind) {
        case WindowOp::Kind::remove: add(ROSTER_OP_DELETE, s + op.pos, s + op.pos, {}); break;
        case WindowOp::Kind::insert: add(ROSTER_OP_INSERT, s + op.pos, N[op.pos]); break;
        case WindowOp::Kind::update: add(ROSTER_OP_UPDATE, s + op.pos, N[op.pos]); break;
        }
    }
}

// A plan applied (its rows read into fetched_): ops, then the new rows.
// Ops are the plan's script (deletes from the highest old position down,
// inserts in ascending new position, then updates; see window_diff.hpp),
// or a re-send when that is cheaper, or the diff's script when a row was
// re-filed in place.
void Subscriptions::apply_plan(Chunk& c, const WindowPlan& p) {
    const auto w = window(c);
    const std::uint32_t s = w.first, e = w.second;  // not a binding: lambdas capture s
    const Row* got = fetched_.data() + p.row0;
    std::uint32_t got_n = 0;
    for (const RowRun& r : planner_.need(p))
        for (std::uint32_t i = 0; i < r.count; ++i) slot_[r.start - s + i] = got_n++;
    auto row = [&](std::uint32_t j) -> const Row& { return got[slot_[j]]; };
    const auto kept = planner_.kept(p);
    if (p.n_new == 0) {  // past the end now: the clients' resize drops it
        if (cfg_.tail_deletes) emit_tail_deletes(c, s, p.n_old);
        c.rows.clear();
        return;
    }
    if (p.n_old == 0) {
        add(ROSTER_OP_SYNC, s, e, std::span<const Row>(got, p.n_new));
        c.rows.assign(std::span<const Row>(got, p.n_new));
        return;
    }
    const std::span<const Row> O = c.rows.rows();
    if (refiled(p, O, row)) {
        rows_.resize(p.n_new);
        RowWindow::compose(rows_.data(), kept, p.n_new, O.data(), row);
        for (std::uint32_t u : planner_.updates(p)) rows_[u] = row(u);
        if (differ_.diff(O, rows_)) {
            emit_script(s, differ_.ops(), rows_);
        } else {
            add(ROSTER_OP_INVALIDATE, s, e, {});
            add(ROSTER_OP_SYNC, s, e, rows_);
        }
        c.rows.assign(rows_);
        return;
    }
    const auto updates = planner_.updates(p);
    // Rows that leave only at the bottom (after the last kept run): not
    // deleted when every holder has this chunk last (see Chunk::mid_refs),
    // unless clients that do not resize are served (tail deletes).
    const std::uint32_t tail = kept.empty() ? p.n_old : kept.back().old + kept.back().len;
    const std::uint32_t skipped =
        !cfg_.tail_deletes && c.mid_refs == 0 && c.kept_pending != flush_no_ ? p.n_old - tail : 0;
    const std::uint32_t deletes = p.deletes - skipped;
    const std::uint64_t cost = std::uint64_t{deletes} * cost_delete +
                               (std::uint64_t{p.inserts} + updates.size()) * cost_item_op;
    const bool resend = cost > cost_resend(p.n_new);
    if (!resend) {
        roster_op* op = ops_arena_.extend(deletes + p.inserts + updates.size());
        roster_row* item = items_arena_.extend(p.inserts + updates.size());
        auto one = [&](std::uint32_t kind, std::uint32_t j) {
            *op++ = roster_op{kind, s + j, s + j, kind != ROSTER_OP_DELETE, nullptr};
        };
        std::uint32_t hi = p.n_old - skipped;  // deletes: the gaps between kept runs, top down
        for (std::size_t r = kept.size(); r-- > 0; hi = kept[r].old)
            for (std::uint32_t i = hi; i-- > kept[r].old + kept[r].len;) one(ROSTER_OP_DELETE, i);
        for (std::uint32_t i = hi; i-- > 0;) one(ROSTER_OP_DELETE, i);
        std::uint32_t j = 0;  // inserts: the gaps in the new window, ascending
        auto inserts = [&](std::uint32_t to) {
            for (; j < to; ++j) {
                one(ROSTER_OP_INSERT, j);
                *item++ = to_c(row(j));
            }
        };
        for (const KeptRun& k : kept) {
            inserts(k.at);
            j = k.at + k.len;
        }
        inserts(p.n_new);
        for (std::uint32_t u : updates) {
            one(ROSTER_OP_UPDATE, u);
            *item++ = to_c(row(u));
        }
    }
    c.rows.rebuild(kept, p.n_new, row, window_scratch_);
    for (std::uint32_t u : updates) c.rows.at(u) = row(u);
    if (resend) {
        add(ROSTER_OP_INVALIDATE, s, e, {});
        add(ROSTER_OP_SYNC, s, e, c.rows.rows());
    }
}

// A row deleted from the old window and inserted again as a fresh row
// (taken out and put back by the log): the plan's script would delete and
// insert it, where the diff can keep it.
template <class RowOf>
bool Subscriptions::refiled(const WindowPlan& p, std::span<const Row> O, RowOf&& row) const {
    const auto fresh = planner_.fresh(p);
    if (fresh.empty() || p.deletes == 0) return false;
    const auto kept = planner_.kept(p);
    for (std::uint32_t f : fresh) {
        const Row& r = row(f);
        std::uint32_t i = 0;
        for (std::size_t k = 0; k <= kept.size(); ++k) {
            const std::uint32_t gap_end = k < kept.size() ? kept[k].old : p.n_old;
            for (; i < gap_end; ++i)
                if (same_identity(O[i], r)) return true;
            if (k < kept.size()) i = kept[k].old + kept[k].len;
        }
    }
    return false;
}

}  // namespace roster
