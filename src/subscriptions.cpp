#include "subscriptions.hpp"

#include "grow.hpp"
#include "subscriptions_state.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <new>

namespace roster {

Subscriptions::Subscriptions(Engine& engine, const SessionConfig& config)
    : engine_(engine), cfg_(config), pool_(config.chunk) {}

Subscriptions::~Subscriptions() {
    for (auto& ls : lists_) engine_.guild_.attach_log(ls->id, nullptr);
}

// ------------------------------------------------------------ bookkeeping --

// The list's subscription state, made if missing (a made one that nobody
// ends up holding is dropped at the next flush).
Subscriptions::ListSubs& Subscriptions::list_subs(std::uint64_t list_id) {
    auto it = std::lower_bound(lists_.begin(), lists_.end(), list_id,
                               [](const auto& l, std::uint64_t id) { return l->id < id; });
    if (it != lists_.end() && (*it)->id == list_id) return **it;
    auto ls = make_box<ListSubs>();
    ls->id = list_id;
    engine_.guild_.counts(list_id, &ls->member_count, &ls->online_count);
    engine_.guild_.groups(list_id, &ls->groups);
    ListSubs& ref = **lists_.insert(it, std::move(ls));
    engine_.guild_.attach_log(list_id, &ref.log);
    return ref;
}

Subscriptions::ListSubs* Subscriptions::find_list_subs(std::uint64_t list_id) const {
    auto it = std::lower_bound(lists_.begin(), lists_.end(), list_id,
                               [](const auto& l, std::uint64_t id) { return l->id < id; });
    return it != lists_.end() && (*it)->id == list_id ? it->get() : nullptr;
}

// What restart() needs, allocated beforehand.
struct Subscriptions::Restart {
    bool needed = false;
    Vec<std::pair<Session*, SessionList*>> moved;  // audience members, in order
    Vec<GroupCount> groups;
};

// The list was removed and created again inside the batch, and someone
// subscribes to the new one: prepares restart().
void Subscriptions::prepare_restart(ListSubs& ls, Restart& r) {
    r.needed = engine_.guild_.attached_log(ls.id) != &ls.log;
    if (!r.needed) return;
    ls.each_audience([&](const Audience& a) { r.moved.insert(r.moved.end(), a.members.begin(), a.members.end()); });
    engine_.guild_.groups(ls.id, &r.groups);
    reserve_more(ls.pending, r.moved.size() + 1);
}

// Subscriptions to the old list end (their holders get INVALIDATE of
// everything at the commit); the caches and the log start over on the new
// list.
void Subscriptions::restart(ListSubs& ls, Restart& r) noexcept {
    for (auto [s, sl] : r.moved) {
        leave_audience(ls, *sl);
        sl->pending = true;
        ls.pending.emplace_back(s, sl);  // reserved
    }
    for (auto [s, sl] : ls.pending) {
        sl->wanted.clear();
        sl->stale = true;
    }
    ls.drop_chunks();
    ls.log.clear();
    ls.lost = false;
    engine_.guild_.counts(ls.id, &ls.member_count, &ls.online_count);
    ls.groups.swap(r.groups);
    engine_.guild_.attach_log(ls.id, &ls.log);
}

// Joins the audience of sl.wanted, made if missing. Strong guarantee: on
// an exception nothing changed but chunk entries made (listed as unheld).
void Subscriptions::join_audience(ListSubs& ls, Session& s, SessionList& sl) {
    Audience* a = nullptr;
    if (auto found = ls.audiences.find(sl.wanted); found != ls.audiences.end()) {
        a = found->second.get();
        reserve_more(a->members, 1);
        reserve_more(a->ids, 1);
    } else {
        auto made = make_box<Audience>();
        made->chunks = sl.wanted;
        made->cached.reserve(sl.wanted.size());
        made->members.reserve(1);
        made->ids.reserve(1);
        for (std::uint32_t k : sl.wanted) made->cached.push_back(ls.entry(k, pool_).first);
        reserve_more(ls.order, 1);
        reserve_more(ls.held, sl.wanted.size());
        a = made.get();
        ls.audiences.emplace(sl.wanted, std::move(made));  // the last step that may throw
        a->at = ls.order.size();
        ls.order.push_back(a);
        for (Chunk* c : a->cached) {
            ls.hold(c);
            if (c != a->cached.back()) ++c->mid_refs;
        }
        ListSubs::link_last(a);
    }
    sl.audience = a;
    sl.slot = a->members.size();
    a->members.emplace_back(&s, &sl);
    a->ids.push_back(s.id);
}

void Subscriptions::leave_audience(ListSubs& ls, SessionList& sl) noexcept {
    Audience* a = sl.audience;
    if (!a) return;
    sl.audience = nullptr;
    a->members[sl.slot] = a->members.back();
    a->members[sl.slot].second->slot = sl.slot;
    a->members.pop_back();
    a->ids[sl.slot] = a->ids.back();
    a->ids.pop_back();
    if (!a->members.empty()) return;
    // Chunks whose refs drop to 0 stay cached until the flush ends: a
    // pending session may still keep them.
    ListSubs::unlink_last(a);
    for (Chunk* c : a->cached) {
        if (c != a->cached.back()) --c->mid_refs;
        ls.release(c);
    }
    const std::size_t at = a->at;
    ls.audiences.erase(ls.audiences.find(a->chunks));  // a is gone
    ls.unlist(at);
}

// The session's subscription to the list becomes `chunks` (swapped in);
// false when it already was. Needs room for one more pending entry.
bool Subscriptions::replace_chunks(ListSubs& ls, Session& s, SessionList& sl,
                                   Vec<std::uint32_t>& chunks) noexcept {
    sl.closed = false;
    if (sl.served) {
        // Closed in the sink after its frame, which gave it what it wanted
        // then: it holds that now. Still pending (settle_pending kept it),
        // so the next round sends the difference.
        sl.held.swap(sl.wanted);
        sl.wanted.swap(chunks);
        sl.stale = false;
        sl.served = false;
        return sl.held != sl.wanted;
    }
    if (sl.wanted == chunks) return false;
    leave_audience(ls, sl);
    sl.wanted.swap(chunks);
    if (!sl.pending) {
        sl.pending = true;
        ls.pending.emplace_back(&s, &sl);  // reserved
    }
    return true;
}

// Reserve, then commit: everything that allocates happens before the first
// change, so a failure (ENOMEM) leaves sessions, subscriptions and lists as
// they were.
Error Subscriptions::subscribe(std::uint64_t session, std::uint64_t list_id,
                               std::span<const Range> ranges) {
    if (session == 0) return Error::invalid;
    if (engine_.delivering_ && !ranges.empty()) return Error::busy;
    if (!engine_.guild_.has_list(list_id)) return Error::not_found;
    if (ranges.size() > cfg_.max_ranges) return Error::limit;
    Vec<std::uint32_t> chunks;
    for (Range r : ranges) {
        if (r.start > r.end) std::swap(r.start, r.end);
        if (static_cast<std::uint64_t>(r.end) - r.start + 1 > cfg_.max_span) return Error::limit;
        for (std::uint64_t k = r.start / cfg_.chunk; k <= r.end / cfg_.chunk; ++k)
            chunks.push_back(static_cast<std::uint32_t>(k));
    }
    std::sort(chunks.begin(), chunks.end());
    chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());

    auto it = sessions_.find(session);
    Session* s = it == sessions_.end() || it->second->removed ? nullptr : it->second.get();
    SessionList* sl = s ? s->find(list_id) : nullptr;
    if (engine_.delivering_) {  // only unsubscribing gets here: applied after delivery
        // Already unsubscribed (its INVALIDATE is on its way): nothing to do.
        // Deferring it again would make another round, and a sink that
        // unsubscribes on every frame would never let the flush end.
        if (!sl || sl->wanted.empty()) return Error::ok;
        ListSubs& ls = *find_list_subs(list_id);  // sl is pending or in an audience of it
        reserve_more(ls.pending, deferred_unsubs_.size() + 1);
        deferred_unsubs_.emplace_back(session, list_id);
        sl->closed = true;
        return Error::ok;
    }
    if (!sl && chunks.empty()) return Error::ok;
    if (it != sessions_.end() && !s) return Error::internal;  // removed ones go at delivery's end
    Box<Session> new_session;
    if (!s) {
        if (sessions_.size() >= cfg_.max_sessions) return Error::limit;
        new_session = make_box<Session>();
        new_session->id = session;
        s = new_session.get();
    }
    Box<SessionList> new_list;
    if (!sl) {
        if (s->lists.size() >= cfg_.max_lists) return Error::limit;
        new_list = make_box<SessionList>();
        new_list->list_id = list_id;
        reserve_more(s->lists, 1);
    }
    ListSubs& ls = list_subs(list_id);
    Restart restart_with;
    prepare_restart(ls, restart_with);
    reserve_more(ls.pending, 1);
    if (new_session) sessions_.emplace(session, std::move(new_session));  // last that may throw

    if (restart_with.needed) restart(ls, restart_with);
    if (new_list) {
        sl = new_list.get();
        s->lists.push_back(std::move(new_list));  // reserved
    }
    replace_chunks(ls, *s, *sl, chunks);
    return Error::ok;
}

void Subscriptions::drop_session(Session& s) noexcept {
    for (auto& slp : s.lists) {
        SessionList& sl = *slp;
        ListSubs* ls = find_list_subs(sl.list_id);
        if (!ls) continue;
        leave_audience(*ls, sl);
        if (sl.pending) std::erase_if(ls->pending, [&](const auto& p) { return p.second == &sl; });
    }
    sessions_.erase(s.id);
}

Error Subscriptions::remove_session(std::uint64_t session) {
    if (session == 0) return Error::invalid;
    auto it = sessions_.find(session);
    if (it == sessions_.end() || it->second->removed) return Error::not_found;
    if (engine_.delivering_) {
        deferred_removals_.push_back(session);  // may throw: nothing changed yet
        it->second->removed = true;
        return Error::ok;
    }
    drop_session(*it->second);
    return Error::ok;
}

Error Subscriptions::session_ranges(std::uint64_t session, std::uint64_t list_id,
                                    Vec<Range>* out) const {
    if (!out || session == 0) return Error::invalid;
    out->clear();
    auto it = sessions_.find(session);
    if (it == sessions_.end() || it->second->removed) return Error::not_found;
    const SessionList* sl = it->second->find(list_id);
    if (!sl) return Error::ok;
    const std::uint64_t c = cfg_.chunk;
    for (std::size_t i = 0; i < sl->wanted.size();) {
        std::size_t j = i;
        while (j + 1 < sl->wanted.size() && sl->wanted[j + 1] == sl->wanted[j] + 1) ++j;
        const std::uint64_t end = sl->wanted[j] * c + c - 1;
        out->push_back(Range{static_cast<std::uint32_t>(sl->wanted[i] * c),
                             static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                 end, std::numeric_limits<std::uint32_t>::max()))});
        i = j + 1;
    }
    return Error::ok;
}

// Requests made from inside the sink. Returns true when unsubscribes left
// sessions pending, so the flush needs another round for their frames.
// Cannot fail: a deferred unsubscribe reserved its pending entry when it
// was made, and removals and unsubscribes otherwise only release.
bool Subscriptions::apply_deferred() {
    bool again = false;
    for (std::uint64_t id : deferred_removals_) {
        auto it = sessions_.find(id);
        if (it != sessions_.end()) drop_session(*it->second);
    }
    deferred_removals_.clear();
    for (auto [sid, lid] : deferred_unsubs_) {
        auto it = sessions_.find(sid);
        SessionList* sl = it == sessions_.end() ? nullptr : it->second->find(lid);
        ListSubs* ls = sl ? find_list_subs(lid) : nullptr;
        if (!ls) continue;
        Vec<std::uint32_t> none;
        again |= replace_chunks(*ls, *it->second, *sl, none);
    }
    deferred_unsubs_.clear();
    return again;
}

// ------------------------------------------------------------------ flush --

Error Subscriptions::flush() {
    try {
        do {
            ++flush_no_;
            for (std::size_t i = 0; i < lists_.size(); ++i) {
                ListSubs& ls = *lists_[i];
                flushing_ = &ls;
                // A list removed and created again inside a batch is a new
                // list under the same id: its subscriptions ended with the
                // old one (its log, too, went with it).
                if (engine_.guild_.attached_log(ls.id) == &ls.log)
                    flush_list(ls);
                else
                    flush_removed_list(ls);
            }
            flushing_ = nullptr;
            std::erase_if(lists_, [&](const Box<ListSubs>& ls) {
                if (!ls->audiences.empty() || !ls->pending.empty()) return false;
                if (engine_.guild_.attached_log(ls->id) == &ls->log)
                    engine_.guild_.attach_log(ls->id, nullptr);
                return true;
            });
        } while (apply_deferred());
        return Error::ok;
    } catch (...) {
        // The guild has changed and stays changed. The list being flushed
        // lost track of what its clients hold (some frames went out, some
        // caches were rebuilt): its next flush re-sends every held chunk.
        // Lists not reached keep their logs and flush as usual next time.
        engine_.delivering_ = false;
        if (ListSubs* ls = flushing_) {
            // A pending session that got its frame but was not settled
            // holds the chunks it wanted then, their rows maybe out of
            // date: `held` becomes those chunks (room reserved before the
            // frame went out), and the next frame drops and re-sends them
            // all (stale). A subscription changed before that frame (an
            // unsubscribe, new ranges, its list removed) then drops the
            // rows the client has, not the ones it had before. One closed
            // in the sink is settled by its unsubscribe below
            // (replace_chunks).
            for (auto [s, sl] : ls->pending)
                if (sl->served && !sl->closed) {
                    sl->held.assign(sl->wanted.begin(), sl->wanted.end());  // within capacity
                    sl->served = false;
                    sl->stale = true;
                }
            ls->lost = true;
            ls->log.clear();
            engine_.guild_.clear_touched(ls->id);
            ls->sweep_unheld();
        }
        flushing_ = nullptr;
        apply_deferred();
        try {
            throw;
        } catch (const std::bad_alloc&) {
            return Error::flush_failed;
        }
    }
}

// The audience's sessions still to be served: all of them, unless the sink
// removed or unsubscribed some during this flush.
std::span<const std::uint64_t> Subscriptions::audience_ids(const Audience& a) {
    if (deferred_removals_.empty() && deferred_unsubs_.empty()) return a.ids;
    ids_.clear();
    for (auto [s, sl] : a.members)
        if (!s->removed && !sl->closed) ids_.push_back(s->id);
    return ids_;
}

void Subscriptions::flush_removed_list(ListSubs& ls) {
    groups_.clear();
    member_count_ = online_count_ = 0;
    list_id_ = ls.id;
    for (Audience* a : ls.live_order()) {
        items_.clear();
        ops_.clear();
        run_items_.clear();
        emit_runs(ROSTER_OP_INVALIDATE, a->chunks, ls);
        send(ls, true, audience_ids(*a));
    }
    // By index: the sink may unsubscribe, which reserves room in ls.pending.
    for (std::size_t p = 0; p < ls.pending.size(); ++p) {
        auto [s, sl] = ls.pending[p];
        if (s->removed || sl->closed || sl->held.empty()) continue;
        items_.clear();
        ops_.clear();
        run_items_.clear();
        emit_runs(ROSTER_OP_INVALIDATE, sl->held, ls);
        const std::uint64_t id = s->id;
        send(ls, true, std::span<const std::uint64_t>(&id, 1));
    }
    // Drop every subscription to the list.
    for (auto& [id, s] : sessions_)
        std::erase_if(s->lists, [&](const auto& sl) { return sl->list_id == ls.id; });
    ls.audiences.clear();
    ls.order.clear();
    ls.pending.clear();
    ls.drop_chunks();
}

void Subscriptions::flush_list(ListSubs& ls) {
    // Cached rows are written past the cache (row_window.hpp): ordered
    // before anything after the flush, however it ends.
    struct Fence {
        ~Fence() { detail::stream_fence(); }
    } fence;
    Guild& g = engine_.guild_;
    list_id_ = ls.id;
    g.counts(ls.id, &member_count_, &online_count_);
    Vec<GroupCount> now;
    g.groups(ls.id, &now);
    bool counts_changed = member_count_ != ls.member_count || online_count_ != ls.online_count ||
                          now.size() != ls.groups.size();
    std::uint32_t old_length = 0;
    for (const GroupCount& gc : ls.groups) old_length += gc.count + 1;
    ls.changed_headers.clear();
    ls.length = 0;
    for (std::size_t i = 0; i < now.size(); ++i) {
        if (i < ls.groups.size() &&
            (ls.groups[i].id != now[i].id || ls.groups[i].count != now[i].count))
            counts_changed = true;
        const GroupCount* old = nullptr;
        for (const GroupCount& o : ls.groups)
            if (o.id == now[i].id) old = &o;
        if (!old || old->count != now[i].count) ls.changed_headers.push_back(ls.length);
        ls.length += now[i].count + 1;
    }
    // Rows changed in place, as the list stands now: updates after every edit.
    g.take_touched(ls.id, &touched_);
    ls.affected_from = touched_.empty() ? std::numeric_limits<std::uint32_t>::max() : touched_[0];
    for (const RowEdit& e : ls.log)
        ls.affected_from =
            std::min(ls.affected_from, e.kind == RowEdit::Kind::reset ? 0u : e.index);
    if (ls.lost) ls.affected_from = 0;
    const bool edited = !ls.log.empty() || !touched_.empty();
    ls.mapped = !ls.lost && edited && map_.build(ls.log, old_length, touched_) &&
                map_.length() == ls.length;
    if (!edited && !counts_changed && ls.pending.empty() && !ls.lost) return;

    groups_.clear();
    for (const GroupCount& gc : now) groups_.push_back(roster_group{gc.id, gc.count});

    // Ops of every chunk someone keeps, once per flush. When the list did
    // not change (only subscriptions did), steady audiences get nothing.
    // (Chunks are heap objects, thousands of them: the pass over them
    // requests a few ahead.)
    const bool list_changed = edited || counts_changed || ls.lost;
    work_.clear();
    ops_arena_.clear();
    items_arena_.clear();
    arena_chunks_.clear();
    if (list_changed)
        for (std::size_t i = 0; i < ls.held.size(); ++i) {
            if (i + 4 < ls.held.size()) __builtin_prefetch(ls.held[i + 4].second);
            take_kept(ls, *ls.held[i].second);
        }
    for (auto [s, sl] : ls.pending)
        if (!sl->stale)
            for (std::uint32_t k : sl->held)
                if (sorted_contains(sl->wanted, k)) {
                    Chunk* c = ls.entry(k, pool_).first;
                    c->kept_pending = flush_no_;
                    take_kept(ls, *c);
                }
    // The kept chunks' ops and the audiences' frames (the sink may
    // unsubscribe or remove sessions: that waits until delivery ends, so
    // the audiences stay as they are).
    Delivery d;
    d.on = list_changed;
    d.counts_changed = counts_changed;
    refresh_kept(ls, d);
    // Current rows of chunks someone gets anew (after the kept ones: a chunk
    // both kept and new must be diffed against its old rows first).
    for (auto [s, sl] : ls.pending)
        for (std::uint32_t k : sl->wanted)
            if (sl->stale || !sorted_contains(sl->held, k)) refresh_chunk(ls, k);

    Vec<std::uint32_t> dropped, kept, fresh;
    Vec<const Chunk*> kept_chunks;
    // By index: the sink may unsubscribe, which reserves room in ls.pending.
    for (std::size_t p = 0; p < ls.pending.size(); ++p) {
        auto [s, sl] = ls.pending[p];
        if (s->removed || sl->closed) continue;
        // Room for `held` to become what this frame gives it, without
        // allocating: when it settles, and when the flush fails once the
        // frame is out (see flush()).
        reserve_total(sl->held, sl->wanted.size());
        dropped.clear();
        kept.clear();
        fresh.clear();
        if (sl->stale) {  // nothing held is valid: drop it all, send all
            dropped = sl->held;
            fresh = sl->wanted;
        } else {
            std::set_difference(sl->held.begin(), sl->held.end(), sl->wanted.begin(),
                                sl->wanted.end(), std::back_inserter(dropped));
            std::set_intersection(sl->held.begin(), sl->held.end(), sl->wanted.begin(),
                                  sl->wanted.end(), std::back_inserter(kept));
            std::set_difference(sl->wanted.begin(), sl->wanted.end(), sl->held.begin(),
                                sl->held.end(), std::back_inserter(fresh));
        }
        items_.clear();
        ops_.clear();
        run_items_.clear();
        emit_runs(ROSTER_OP_INVALIDATE, dropped, ls);
        if (cfg_.tail_deletes) {
            kept_chunks.clear();
            for (std::uint32_t k : kept) kept_chunks.push_back(&ls.chunks.find(k)->second);
            emit_held_ops(kept_chunks);
        } else {
            for (std::uint32_t k : kept) emit_chunk_ops(ls.chunks.find(k)->second);
        }
        emit_runs(ROSTER_OP_SYNC, fresh, ls);
        const std::uint64_t id = s->id;
        send(ls, counts_changed, std::span<const std::uint64_t>(&id, 1));
        sl->served = true;  // settled below, or, if the sink closes it, by replace_chunks
    }

    settle_pending(ls);
    ls.sweep_unheld();
    ls.member_count = member_count_;
    ls.online_count = online_count_;
    ls.groups = std::move(now);
    ls.log.clear();
    ls.lost = false;
}

// Pending sessions now hold what they want. Each is settled on its own
// (strong guarantee), so when memory runs out the rest simply stay pending.
void Subscriptions::settle_pending(ListSubs& ls) {
    std::size_t keep = 0, i = 0;
    try {
        for (; i < ls.pending.size(); ++i) {
            auto [s, sl] = ls.pending[i];
            // Unsubscribed inside the sink: the unsubscribe's round
            // invalidates what it holds (its old chunks if it was closed
            // before its frame, the frame's if after: `served`).
            if (sl->closed && !s->removed)
                ls.pending[keep++] = ls.pending[i];
            else
                settle(ls, *s, *sl);
        }
    } catch (...) {
        ls.pending.erase(ls.pending.begin() + static_cast<std::ptrdiff_t>(keep),
                         ls.pending.begin() + static_cast<std::ptrdiff_t>(i));
        throw;
    }
    ls.pending.resize(keep);
}

// Strong guarantee: a session it fails to settle is left as it was, still
// `served` when its frame went out (flush() relies on that).
void Subscriptions::settle(ListSubs& ls, Session& s, SessionList& sl) {
    if (s.removed) {  // dropped when delivery ends
        sl.served = false;
        sl.pending = false;
        return;
    }
    if (sl.wanted.empty()) {
        sl.served = false;
        sl.pending = false;
        std::erase_if(s.lists, [gone = &sl](const auto& p) { return p.get() == gone; });
        return;
    }
    reserve_total(sl.held, sl.wanted.size());  // done before its frame, as a rule
    join_audience(ls, s, sl);
    sl.held.assign(sl.wanted.begin(), sl.wanted.end());  // within capacity
    sl.served = false;
    sl.stale = false;
    sl.pending = false;
}

namespace {

// An audience's two lines (it may straddle them).
void prefetch_audience(const Subscriptions::Audience& a) {
    const char* p = reinterpret_cast<const char*>(&a);
    __builtin_prefetch(p);
    __builtin_prefetch(p + sizeof(Subscriptions::Audience) - 1);
}

// What sending an audience's frame reads next: its chunks' op counts and
// its ids (once the audience itself has arrived).
void prefetch_audience_refs(const Subscriptions::Audience& a) {
    for (const Subscriptions::Chunk* c : a.cached) __builtin_prefetch(&c->nops);
    __builtin_prefetch(a.ids.data());
}

}  // namespace

// Every audience's frame, in the order the audiences were made. (They are
// heap objects, thousands of them, cold by now at 100k sessions: each is
// requested 4 ahead (both its lines), and once it has arrived, 2 ahead,
// what it points to.)
void Subscriptions::deliver_in_order(ListSubs& ls, const Delivery& d) {
    const Vec<Audience*> order = ls.live_order();  // the sink may unsubscribe
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i + 4 < order.size()) prefetch_audience(*order[i + 4]);
        if (i + 2 < order.size()) prefetch_audience_refs(*order[i + 2]);
        send_audience(ls, d.counts_changed, *order[i]);
    }
}

// The frames of the audiences whose last chunk is k or before, chunk by
// chunk. (Chunks and audiences are requested ahead, as above: each chunk
// 16 ahead, its first audience 8 ahead, what that audience points to 4
// ahead.)
void Subscriptions::deliver_through(ListSubs& ls, Delivery& d, std::uint32_t k) {
    const auto& held = ls.held;
    for (; d.next < held.size() && held[d.next].first <= k; ++d.next) {
        const std::size_t i = d.next;
        if (i + 16 < held.size()) __builtin_prefetch(&held[i + 16].second->last_head);
        if (i + 8 < held.size())
            if (const Audience* a = held[i + 8].second->last_head) prefetch_audience(*a);
        if (i + 4 < held.size())
            if (const Audience* a = held[i + 4].second->last_head) prefetch_audience_refs(*a);
        for (const Audience* a = held[i].second->last_head; a; a = a->last_next)
            send_audience(ls, d.counts_changed, *a);
    }
}

// Audience a's frame: the ops of the chunks it holds.
void Subscriptions::send_audience(ListSubs& ls, bool counts_changed, const Audience& a) {
    // One chunk with news (the usual case): its ops are the frame's.
    const Chunk* only = nullptr;
    std::size_t with_ops = 0;
    for (Chunk* c : a.cached) {
        --c->unsent;
        if (c->nops) {
            only = c;
            ++with_ops;
        }
    }
    if (with_ops == 1) {
        send(ls, counts_changed, audience_ids(a),
             std::span<const roster_op>(ops_arena_.data() + only->ops0, only->nops));
        return;
    }
    items_.clear();
    ops_.clear();
    run_items_.clear();
    emit_held_ops(a.cached);
    send(ls, counts_changed, audience_ids(a));
}

void Subscriptions::emit_chunk_ops(const Chunk& c) {
    const roster_op* from = ops_arena_.data() + c.ops0;
    ops_.insert(ops_.end(), from, from + c.nops);
}

// The ops of the chunks a session keeps (ascending), in frame order: each
// chunk's in turn. With tail deletes, the DELETEs of chunks now past the
// end of the list come first, from the last chunk up: they lie below
// every chunk whose ops change its length (the one the list now ends in),
// so each is at its old place when deleted, whichever chunks the session
// holds; the other chunks' ops follow in ascending order.
template <class Chunks>
void Subscriptions::emit_held_ops(const Chunks& chunks) {
    if (cfg_.tail_deletes) {
        for (std::size_t i = chunks.size(); i-- > 0;)
            if (chunks[i]->tail) emit_chunk_ops(*chunks[i]);
        for (const Chunk* c : chunks)
            if (!c->tail) emit_chunk_ops(*c);
        return;
    }
    for (const Chunk* c : chunks) emit_chunk_ops(*c);
}

// One op per maximal run of consecutive chunks; SYNC carries the rows of
// the run that exist.
void Subscriptions::emit_runs(std::uint32_t kind, std::span<const std::uint32_t> chunks,
                              ListSubs& ls) {
    const std::uint64_t c = cfg_.chunk;
    for (std::size_t i = 0; i < chunks.size();) {
        std::size_t j = i;
        while (j + 1 < chunks.size() && chunks[j + 1] == chunks[j] + 1) ++j;
        const std::uint32_t start = static_cast<std::uint32_t>(chunks[i] * c);
        const std::uint32_t end = static_cast<std::uint32_t>(std::min<std::uint64_t>(
            chunks[j] * c + c - 1, std::numeric_limits<std::uint32_t>::max()));
        const std::size_t first = items_.size();
        if (kind == ROSTER_OP_SYNC)
            for (std::size_t q = i; q <= j; ++q)
                for (const Row& r : ls.chunks.find(chunks[q])->second.rows.rows())
                    items_.push_back(to_c(r));
        run_items_.emplace_back(ops_.size(), first);
        ops_.push_back(roster_op{kind, start, end,
                                 static_cast<std::uint32_t>(items_.size() - first), nullptr});
        i = j + 1;
    }
}

void Subscriptions::send(ListSubs& ls, bool counts_changed, std::span<const std::uint64_t> ids) {
    for (auto [op, first] : run_items_)
        ops_[op].items = ops_[op].item_count ? items_.data() + first : nullptr;
    send(ls, counts_changed, ids, ops_);
}

void Subscriptions::send(ListSubs& ls, bool counts_changed, std::span<const std::uint64_t> ids,
                         std::span<const roster_op> ops) {
    (void)ls;
    if (ids.empty() || (ops.empty() && !counts_changed)) return;
    if (!sink_) return;
    roster_frame f{};
    f.list_id = list_id_;
    f.member_count = member_count_;
    f.online_count = online_count_;
    f.groups = groups_.empty() ? nullptr : groups_.data();
    f.group_count = groups_.size();
    f.ops = ops.empty() ? nullptr : ops.data();
    f.op_count = ops.size();
    deliver(f, ids);
}

std::uint64_t Subscriptions::audience_count() const {
    std::uint64_t n = 0;
    for (const auto& ls : lists_) n += ls->audiences.size();
    return n;
}

std::uint64_t Subscriptions::held_chunk_count() const {
    std::uint64_t n = 0;
    for (const auto& ls : lists_) n += ls->held.size();
    return n;
}

std::size_t Subscriptions::memory_bytes() const {
    constexpr std::size_t node = 2 * sizeof(void*);  // a hash node's link and cached hash
    std::size_t b = pool_.memory_bytes();
    b += sessions_.bucket_count() * sizeof(void*);
    for (const auto& [id, s] : sessions_) {
        b += node + sizeof(std::pair<const std::uint64_t, Box<Session>>) + sizeof(Session);
        b += s->lists.capacity() * sizeof(void*);
        for (const auto& sl : s->lists)
            b += sizeof(SessionList) + (sl->held.capacity() + sl->wanted.capacity()) * sizeof(std::uint32_t);
    }
    for (const auto& ls : lists_) {
        b += sizeof(ListSubs) + ls->log.capacity() * sizeof(RowEdit) +
             ls->groups.capacity() * sizeof(GroupCount) +
             ls->held.capacity() * sizeof(std::pair<std::uint32_t, Chunk*>) +
             ls->order.capacity() * sizeof(Audience*) +
             ls->pending.capacity() * sizeof(std::pair<Session*, SessionList*>) +
             ls->changed_headers.capacity() * sizeof(std::uint32_t);
        b += ls->chunks.bucket_count() * sizeof(void*) +
             ls->chunks.size() * (node + sizeof(std::pair<const std::uint32_t, Chunk>));
        b += ls->audiences.bucket_count() * sizeof(void*);
        ls->each_audience([&](const Audience& a) {
            b += node + sizeof(Vec<std::uint32_t>) + sizeof(void*) + sizeof(Audience) +
                 a.chunks.capacity() * sizeof(std::uint32_t) * 2 +
                 a.members.capacity() * sizeof(std::pair<Session*, SessionList*>) +
                 a.ids.capacity() * sizeof(std::uint64_t);
        });
    }
    return b;
}

void Subscriptions::deliver(const roster_frame& frame, std::span<const std::uint64_t> ids) {
    ++counters_.frames;
    counters_.deliveries += ids.size();
    counters_.ops += frame.op_count;
    for (std::size_t i = 0; i < frame.op_count; ++i) counters_.rows += frame.ops[i].item_count;
    engine_.delivering_ = true;
    try {
        sink_(frame, ids);
    } catch (...) {
        engine_.delivering_ = false;
        throw;
    }
    engine_.delivering_ = false;
}

// ------------------------------------------------------------- invariants --

bool Subscriptions::check_invariants(std::string* why) const {
    auto fail = [&](std::string m) {
        if (why) *why = std::move(m);
        return false;
    };
    for (const auto& [id, s] : sessions_) {
        if (s->id != id || s->removed) return fail("session record");
        if (s->lists.size() > cfg_.max_lists) return fail("session lists over the limit");
        for (const auto& sl : s->lists) {
            if (!std::is_sorted(sl->wanted.begin(), sl->wanted.end()))
                return fail("unsorted chunks");
            if (!sl->pending && (sl->audience == nullptr) != sl->wanted.empty())
                return fail("steady list without audience");
            if (sl->audience && (sl->audience->chunks != sl->wanted ||
                                 sl->audience->members[sl->slot].second != sl.get()))
                return fail("audience membership");
            if (!sl->pending && sl->held != sl->wanted) return fail("steady but held != wanted");
            // Both are settled before a flush ends (checked outside one).
            if (sl->closed || sl->served) return fail("closed or served after the flush");
        }
    }
    // Every subscription is pending (listed once in its list's pending
    // entries) or steady in an audience; every pending entry names one.
    std::size_t pending_flags = 0, pending_entries = 0;
    for (const auto& [id, s] : sessions_)
        for (const auto& sl : s->lists) {
            if (sl->pending && sl->audience) return fail("pending session in an audience");
            if (!sl->pending) continue;
            ++pending_flags;
            const ListSubs* ls = find_list_subs(sl->list_id);
            if (!ls) return fail("pending subscription to a list without state");
            if (std::count(ls->pending.begin(), ls->pending.end(),
                           std::pair<Session*, SessionList*>(s.get(), sl.get())) != 1)
                return fail("pending subscription not listed once");
        }
    for (const auto& ls : lists_) pending_entries += ls->pending.size();
    if (pending_entries != pending_flags) return fail("pending entries without a pending session");
    for (std::size_t i = 0; i < lists_.size(); ++i) {
        const ListSubs& ls = *lists_[i];
        if (i && lists_[i - 1]->id >= ls.id) return fail("lists out of order");
        for (const Chunk* c = ls.unheld; c; c = c->next_unheld)
            if (!c->listed_unheld || ls.chunks.find(c->k) == ls.chunks.end() ||
                &ls.chunks.find(c->k)->second != c)
                return fail("unheld chain names a chunk that is not cached");
        std::size_t holes = 0;
        for (std::size_t j = 0; j < ls.order.size(); ++j)
            if (!ls.order[j])
                ++holes;
            else if (ls.order[j]->at != j)
                return fail("audience order: an audience's index");
        if (ls.order.size() - holes != ls.audiences.size()) return fail("audience order");
        if (holes * 2 > ls.order.size()) return fail("audience order: holes not closed");
        Map<std::uint32_t, std::uint32_t> refs, mid;
        for (const Audience* a : ls.live_order()) {
            if (a->members.empty()) return fail("empty audience");
            if (a->cached.size() != a->chunks.size()) return fail("audience cache pointers");
            for (std::size_t j = 0; j < a->chunks.size(); ++j) {
                ++refs[a->chunks[j]];
                if (j + 1 < a->chunks.size()) ++mid[a->chunks[j]];
                auto it = ls.chunks.find(a->chunks[j]);
                if (it == ls.chunks.end() || &it->second != a->cached[j] ||
                    it->second.k != a->chunks[j])
                    return fail("audience points to another chunk");
            }
        }
        for (const auto& [k, c] : ls.chunks) {
            auto it = refs.find(k);
            if ((it == refs.end() ? 0u : it->second) != c.refs) return fail("chunk refs");
            auto m = mid.find(k);
            if ((m == mid.end() ? 0u : m->second) != c.mid_refs) return fail("chunk mid refs");
        }
        for (const auto& [k, n] : refs)
            if (!ls.chunks.count(k)) return fail("held chunk not cached");
        // Each audience is listed once, in creation order, under its last
        // chunk.
        std::size_t listed = 0;
        for (const auto& [k, c] : ls.chunks) {
            const Audience* prev = nullptr;
            for (const Audience* a = c.last_head; a; prev = a, a = a->last_next) {
                if (a->cached.empty() || a->cached.back() != &c || a->last_prev != prev ||
                    (prev && prev->at >= a->at) || ++listed > ls.audiences.size())
                    return fail("audiences by last chunk");
            }
            if (c.last_tail != prev) return fail("audiences by last chunk: tail");
        }
        if (listed != ls.audiences.size()) return fail("audiences by last chunk: count");
        if (ls.held.size() != refs.size()) return fail("held chunks: wrong count");
        for (std::size_t j = 0; j < ls.held.size(); ++j) {
            const auto [k, c] = ls.held[j];
            if ((j && ls.held[j - 1].first >= k) || c->k != k || !refs.count(k) ||
                &ls.chunks.find(k)->second != c)
                return fail("held chunks: out of order or stale");
        }
        // Between flushes, with nothing pending (no session, no edit, no
        // row changed in place: a list a failed flush did not reach keeps
        // those), each cache equals the rows.
        if (engine_.depth_ == 0 && ls.pending.empty() && ls.log.empty() && !ls.lost &&
            engine_.guild_.has_list(ls.id) && !engine_.guild_.has_touched(ls.id)) {
            Vec<Row> rows;
            for (const auto& [k, c] : ls.chunks) {
                if (c.refs == 0) continue;  // unheld: dropped at the next flush
                const std::uint64_t s = static_cast<std::uint64_t>(k) * cfg_.chunk;
                rows.clear();
                std::uint32_t len = 0;
                engine_.guild_.list_length(ls.id, &len);
                if (s < len)
                    engine_.guild_.rows(ls.id, static_cast<std::uint32_t>(s),
                                        static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                            s + cfg_.chunk - 1, 0xFFFFFFFFu)),
                                        &rows);
                const std::span<const Row> held = c.rows.rows();
                if (rows.size() != held.size()) return fail("chunk cache length");
                for (std::size_t r = 0; r < rows.size(); ++r)
                    if (!same_identity(rows[r], held[r]) || !same_content(rows[r], held[r]))
                        return fail("chunk cache differs from the list");
            }
        }
    }
    return true;
}

}  // namespace roster
