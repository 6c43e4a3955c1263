#include "subscriptions.hpp"
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

Subscriptions::ListSubs& Subscriptions::list_subs(std::uint64_t list_id) {
    auto it = std::lower_bound(lists_.begin(), lists_.end(), list_id,
                               [](const auto& l, std::uint64_t id) { return l->id < id; });
    if (it != lists_.end() && (*it)->id == list_id) {
        ListSubs& ls = **it;
        if (engine_.guild_.attached_log(list_id) != &ls.log) restart(ls);
        return ls;
    }
    auto ls = std::make_unique<ListSubs>();
    ls->id = list_id;
    engine_.guild_.counts(list_id, &ls->member_count, &ls->online_count);
    engine_.guild_.groups(list_id, &ls->groups);
    ListSubs& ref = **lists_.insert(it, std::move(ls));
    engine_.guild_.attach_log(list_id, &ref.log);
    return ref;
}

// The list was removed and created again inside the batch, and someone
// subscribes to the new one. Subscriptions to the old list end (their
// holders get INVALIDATE of everything at the commit); the caches and the
// log start over on the new list.
void Subscriptions::restart(ListSubs& ls) {
    for (Audience* a : std::vector<Audience*>(ls.order))
        for (auto [s, sl] : std::vector<std::pair<Session*, SessionList*>>(a->members)) {
            leave_audience(ls, *sl);
            sl->pending = true;
            ls.pending.emplace_back(s, sl);
        }
    for (auto [s, sl] : ls.pending) {
        sl->wanted.clear();
        sl->stale = true;
    }
    ls.chunks.clear();
    ls.held.clear();
    ls.unheld.clear();
    ls.log.clear();
    ls.lost = false;
    engine_.guild_.counts(ls.id, &ls.member_count, &ls.online_count);
    engine_.guild_.groups(ls.id, &ls.groups);
    engine_.guild_.attach_log(ls.id, &ls.log);
}

void Subscriptions::join_audience(ListSubs& ls, Session& s, SessionList& sl) {
    auto& slot = ls.audiences[sl.wanted];
    if (!slot) {
        slot = std::make_unique<Audience>();
        slot->chunks = sl.wanted;
        ls.order.push_back(slot.get());
        for (std::uint32_t k : sl.wanted) {
            Chunk* c = ls.entry(k, pool_).first;
            slot->cached.reserve(slot->cached.size() + 1);
            ls.hold(c);
            slot->cached.push_back(c);
            if (k != sl.wanted.back()) ++c->mid_refs;
        }
    }
    sl.audience = slot.get();
    sl.slot = slot->members.size();
    slot->members.emplace_back(&s, &sl);
    slot->ids.push_back(s.id);
}

void Subscriptions::leave_audience(ListSubs& ls, SessionList& sl) {
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
    for (Chunk* c : a->cached) {
        if (c != a->cached.back()) --c->mid_refs;
        ls.release(c);
    }
    ls.order.erase(std::find(ls.order.begin(), ls.order.end(), a));
    ls.audiences.erase(a->chunks);
}

Error Subscriptions::resubscribe(Session& s, std::uint64_t list_id,
                                 std::vector<std::uint32_t> chunks) {
    SessionList* sl = s.find(list_id);
    if (!sl) {
        if (chunks.empty()) return Error::ok;
        if (s.lists.size() >= cfg_.max_lists) return Error::limit;
        s.lists.push_back(std::make_unique<SessionList>());
        sl = s.lists.back().get();
        sl->list_id = list_id;
    }
    ListSubs& ls = list_subs(list_id);  // first: it may restart a re-created list
    sl->closed = false;
    if (sl->wanted == chunks) return Error::ok;
    leave_audience(ls, *sl);
    sl->wanted = std::move(chunks);
    if (!sl->pending) {
        sl->pending = true;
        ls.pending.emplace_back(&s, sl);
    }
    return Error::ok;
}

Error Subscriptions::subscribe(std::uint64_t session, std::uint64_t list_id,
                               std::span<const Range> ranges) {
    if (session == 0) return Error::invalid;
    if (engine_.delivering_ && !ranges.empty()) return Error::busy;
    if (!engine_.guild_.has_list(list_id)) return Error::not_found;
    if (ranges.size() > cfg_.max_ranges) return Error::limit;
    std::vector<std::uint32_t> chunks;
    for (Range r : ranges) {
        if (r.start > r.end) std::swap(r.start, r.end);
        if (static_cast<std::uint64_t>(r.end) - r.start + 1 > cfg_.max_span) return Error::limit;
        for (std::uint64_t k = r.start / cfg_.chunk; k <= r.end / cfg_.chunk; ++k)
            chunks.push_back(static_cast<std::uint32_t>(k));
    }
    std::sort(chunks.begin(), chunks.end());
    chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());

    auto it = sessions_.find(session);
    if (engine_.delivering_) {  // only unsubscribing gets here
        if (it == sessions_.end() || it->second->removed) return Error::ok;
        if (SessionList* sl = it->second->find(list_id)) {
            sl->closed = true;
            deferred_unsubs_.emplace_back(session, list_id);
        }
        return Error::ok;
    }
    if (it == sessions_.end()) {
        if (chunks.empty()) return Error::ok;
        if (sessions_.size() >= cfg_.max_sessions) return Error::limit;
        if (cfg_.max_lists == 0) return Error::limit;
        auto s = std::make_unique<Session>();
        s->id = session;
        it = sessions_.emplace(session, std::move(s)).first;
    }
    return resubscribe(*it->second, list_id, std::move(chunks));
}

void Subscriptions::drop_session(Session& s) {
    for (auto& slp : s.lists) {
        SessionList& sl = *slp;
        auto lit = std::find_if(lists_.begin(), lists_.end(),
                                [&](const auto& l) { return l->id == sl.list_id; });
        if (lit == lists_.end()) continue;
        ListSubs& ls = **lit;
        leave_audience(ls, sl);
        if (sl.pending) std::erase_if(ls.pending, [&](const auto& p) { return p.second == &sl; });
    }
    sessions_.erase(s.id);
}

Error Subscriptions::remove_session(std::uint64_t session) {
    if (session == 0) return Error::invalid;
    auto it = sessions_.find(session);
    if (it == sessions_.end() || it->second->removed) return Error::not_found;
    if (engine_.delivering_) {
        it->second->removed = true;
        deferred_removals_.push_back(session);
        return Error::ok;
    }
    drop_session(*it->second);
    return Error::ok;
}

Error Subscriptions::session_ranges(std::uint64_t session, std::uint64_t list_id,
                                    std::vector<Range>* out) const {
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
bool Subscriptions::apply_deferred() {
    bool again = false;
    for (std::uint64_t id : deferred_removals_) {
        auto it = sessions_.find(id);
        if (it != sessions_.end()) drop_session(*it->second);
    }
    deferred_removals_.clear();
    auto unsubs = std::move(deferred_unsubs_);
    deferred_unsubs_.clear();
    for (auto [sid, lid] : unsubs) {
        auto it = sessions_.find(sid);
        if (it == sessions_.end() || !it->second->find(lid)) continue;
        resubscribe(*it->second, lid, {});
        again = true;
    }
    return again;
}

// ------------------------------------------------------------------ flush --

void Subscriptions::flush() {
    try {
        do {
            ++flush_no_;
            for (std::size_t i = 0; i < lists_.size(); ++i) {
                ListSubs& ls = *lists_[i];
                // A list removed and created again inside a batch is a new
                // list under the same id: its subscriptions ended with the
                // old one (its log, too, went with it).
                if (engine_.guild_.attached_log(ls.id) == &ls.log)
                    flush_list(ls);
                else
                    flush_removed_list(ls);
            }
            std::erase_if(lists_, [&](const std::unique_ptr<ListSubs>& ls) {
                if (!ls->audiences.empty() || !ls->pending.empty()) return false;
                if (engine_.guild_.attached_log(ls->id) == &ls->log)
                    engine_.guild_.attach_log(ls->id, nullptr);
                return true;
            });
        } while (apply_deferred());
    } catch (...) {
        // The guild has already changed and cannot be rolled back, so the
        // event stands; what the clients hold is now unknown to us. The next
        // flush re-sends every held chunk. Out of memory is absorbed here;
        // anything else (a throwing C++ sink) goes back to the caller.
        engine_.delivering_ = false;
        for (auto& ls : lists_) {
            ls->lost = true;
            ls->log.clear();
            engine_.guild_.clear_touched(ls->id);
        }
        try {
            apply_deferred();
        } catch (...) {
            deferred_unsubs_.clear();
        }
        try {
            throw;
        } catch (const std::bad_alloc&) {
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
    for (Audience* a : std::vector<Audience*>(ls.order)) {
        items_.clear();
        ops_.clear();
        run_items_.clear();
        emit_runs(ROSTER_OP_INVALIDATE, a->chunks, ls);
        send(ls, true, audience_ids(*a));
    }
    for (auto [s, sl] : ls.pending) {
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
    ls.chunks.clear();
    ls.held.clear();
    ls.unheld.clear();
}

void Subscriptions::flush_list(ListSubs& ls) {
    Guild& g = engine_.guild_;
    list_id_ = ls.id;
    g.counts(ls.id, &member_count_, &online_count_);
    std::vector<GroupCount> now;
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
    // (Chunks and audiences are heap objects, thousands of them: the passes
    // over them request a few ahead.)
    const bool list_changed = edited || counts_changed || ls.lost;
    work_.clear();
    ops_arena_.clear();
    items_arena_.clear();
    if (list_changed)
        for (std::size_t i = 0; i < ls.held.size(); ++i) {
            if (i + 4 < ls.held.size()) __builtin_prefetch(ls.held[i + 4].second);
            take_kept(ls, *ls.held[i].second);
        }
    for (auto [s, sl] : ls.pending)
        if (!sl->stale)
            for (std::uint32_t k : sl->held)
                if (sorted_contains(sl->wanted, k)) {
                    Chunk* c = entry(ls, k).first;
                    c->kept_pending = flush_no_;
                    take_kept(ls, *c);
                }
    refresh_kept(ls);
    // Current rows of chunks someone gets anew (after the kept ones: a chunk
    // both kept and new must be diffed against its old rows first).
    for (auto [s, sl] : ls.pending)
        for (std::uint32_t k : sl->wanted)
            if (sl->stale || !sorted_contains(sl->held, k)) refresh_chunk(ls, k);

    if (list_changed) {
        const std::vector<Audience*> order(ls.order);  // the sink may unsubscribe
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (i + 2 < order.size()) __builtin_prefetch(order[i + 2]);
            const Audience* a = order[i];
            items_.clear();
            ops_.clear();
            run_items_.clear();
            // One chunk with news (the usual case): its ops are the frame's.
            const Chunk* only = nullptr;
            std::size_t with_ops = 0;
            for (const Chunk* c : a->cached)
                if (c->nops) {
                    only = c;
                    ++with_ops;
                }
            if (with_ops == 1) {
                send(ls, counts_changed, audience_ids(*a),
                     std::span<const roster_op>(ops_arena_.data() + only->ops0, only->nops));
                continue;
            }
            for (const Chunk* c : a->cached) emit_chunk_ops(*c);
            send(ls, counts_changed, audience_ids(*a));
        }
    }
    std::vector<std::uint32_t> dropped, kept, fresh;
    for (auto [s, sl] : ls.pending) {
        if (s->removed || sl->closed) continue;
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
        for (std::uint32_t k : kept) emit_chunk_ops(ls.chunks.find(k)->second);
        emit_runs(ROSTER_OP_SYNC, fresh, ls);
        const std::uint64_t id = s->id;
        send(ls, counts_changed, std::span<const std::uint64_t>(&id, 1));
    }

    // Pending sessions now hold what they want.
    auto pending = std::move(ls.pending);
    ls.pending.clear();
    for (auto [s, sl] : pending) {
        if (sl->closed && !s->removed) {
            // Unsubscribed inside the sink before its frame: it still holds
            // its old chunks; the unsubscribe's round invalidates them.
            ls.pending.emplace_back(s, sl);
            continue;
        }
        sl->pending = false;
        if (s->removed) continue;
        sl->held = sl->wanted;
        sl->stale = false;
        if (!sl->wanted.empty())
            join_audience(ls, *s, *sl);
        else
            std::erase_if(s->lists, [gone = sl](const auto& p) { return p.get() == gone; });
    }
    for (std::uint32_t k : ls.unheld) {
        auto it = ls.chunks.find(k);
        if (it != ls.chunks.end() && it->second.refs == 0) ls.chunks.erase(it);
    }
    ls.unheld.clear();
    ls.member_count = member_count_;
    ls.online_count = online_count_;
    ls.groups = std::move(now);
    ls.log.clear();
    ls.lost = false;
}

void Subscriptions::emit_chunk_ops(const Chunk& c) {
    const roster_op* from = ops_arena_.data() + c.ops0;
    ops_.insert(ops_.end(), from, from + c.nops);
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

void Subscriptions::deliver(const roster_frame& frame, std::span<const std::uint64_t> ids) {
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
        }
    }
    for (std::size_t i = 0; i < lists_.size(); ++i) {
        const ListSubs& ls = *lists_[i];
        if (i && lists_[i - 1]->id >= ls.id) return fail("lists out of order");
        if (ls.order.size() != ls.audiences.size()) return fail("audience order");
        std::map<std::uint32_t, std::uint32_t> refs, mid;
        for (const Audience* a : ls.order) {
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
        if (ls.held.size() != refs.size()) return fail("held chunks: wrong count");
        for (std::size_t j = 0; j < ls.held.size(); ++j) {
            const auto [k, c] = ls.held[j];
            if ((j && ls.held[j - 1].first >= k) || c->k != k || !refs.count(k) ||
                &ls.chunks.find(k)->second != c)
                return fail("held chunks: out of order or stale");
        }
        // Between flushes, with nothing pending, each cache equals the rows.
        if (engine_.depth_ == 0 && ls.pending.empty() && ls.log.empty() && !ls.lost &&
            engine_.guild_.has_list(ls.id)) {
            std::vector<Row> rows;
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
