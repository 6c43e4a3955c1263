#include "subscriptions.hpp"

#include <cstdlib>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <new>
#include <numeric>

namespace roster {

namespace {

struct ChunksHash {
    std::size_t operator()(const std::vector<std::uint32_t>& v) const {
        std::uint64_t h = 0xcbf29ce484222325ull;
        for (std::uint32_t x : v) h = (h ^ x) * 0x100000001b3ull;
        return static_cast<std::size_t>(h);
    }
};

roster_row to_c(const Row& r) {
    return roster_row{r.header() ? ROSTER_ROW_HEADER : ROSTER_ROW_MEMBER, r.count, r.group, r.user};
}

bool sorted_contains(const std::vector<std::uint32_t>& v, std::uint32_t k) {
    return std::binary_search(v.begin(), v.end(), k);
}

}  // namespace

struct Subscriptions::Chunk {
    std::uint32_t k = 0;       // its number: rows [k * chunk, (k + 1) * chunk)
    std::uint32_t refs = 0;    // audiences holding the chunk
    // Audiences holding a later chunk too. When none does (and no pending
    // session keeps the chunk), every holder has it as its last chunk of
    // the list: its ops may leave the rows past its end shifted, rows no
    // holder has, so the DELETEs of rows that only leave at the bottom
    // are not sent.
    std::uint32_t mid_refs = 0;
    std::uint64_t kept_pending = 0;  // flush in which a pending session keeps it
    std::uint64_t stamp = 0;   // flush whose ops these are
    // This flush's ops for holders that keep it: ops_arena_[ops0, ops0 +
    // nops), ready to copy into a frame (or to be one).
    std::uint32_t ops0 = 0, nops = 0;
    std::uint32_t plan = 0;    // this flush's plan (WindowPlanner index)
    RowWindow rows;            // as every holder has them (as of the last flush)

    explicit Chunk(RowPool& pool) : rows(pool) {}

    void start(std::uint64_t flush) {
        stamp = flush;
        ops0 = nops = 0;
    }
};

struct Subscriptions::SessionList {
    std::uint64_t list_id = 0;
    std::vector<std::uint32_t> held;    // chunks as of the session's last frame
    std::vector<std::uint32_t> wanted;  // chunks now
    Audience* audience = nullptr;       // set when steady (held == wanted)
    std::size_t slot = 0;               // index in audience->members
    bool pending = false;               // in its ListSubs' pending list
    bool closed = false;                // unsubscribed inside the sink
    bool stale = false;                 // held rows belong to a removed list
};

struct Subscriptions::Session {
    std::uint64_t id = 0;
    std::vector<std::unique_ptr<SessionList>> lists;
    bool removed = false;  // removed inside the sink; dropped after delivery

    SessionList* find(std::uint64_t list_id) const {
        for (const auto& l : lists)
            if (l->list_id == list_id) return l.get();
        return nullptr;
    }
};

struct Subscriptions::Audience {
    std::vector<std::uint32_t> chunks;
    // chunks[i]'s cache entry (held: it stays while refs > 0). Inline, so
    // the flush's pass over audiences reads one object per audience.
    boost::container::small_vector<Chunk*, 4> cached;
    std::vector<std::pair<Session*, SessionList*>> members;
    std::vector<std::uint64_t> ids;  // members' session ids, same order
};

struct Subscriptions::ListSubs {
    std::uint64_t id = 0;
    std::vector<RowEdit> log;
    bool lost = false;  // a flush failed: every holder gets its chunks re-sent
    std::uint32_t member_count = 0, online_count = 0;
    std::vector<GroupCount> groups;  // as of the last flush
    std::unordered_map<std::uint32_t, Chunk> chunks;
    // Chunks some audience holds (refs > 0), by number: a flush walks them
    // in order without sorting.
    std::vector<std::pair<std::uint32_t, Chunk*>> held;
    void hold(Chunk* c) {
        if (c->refs == 0)
            held.insert(std::lower_bound(held.begin(), held.end(), std::pair{c->k, c}), {c->k, c});
        ++c->refs;
    }
    void release(Chunk* c) {
        if (--c->refs == 0) {
            held.erase(std::lower_bound(held.begin(), held.end(), std::pair{c->k, c}));
            unheld.push_back(c->k);
        }
    }
    // Chunk k's cache entry, made (and numbered) if missing; true if made.
    std::pair<Chunk*, bool> entry(std::uint32_t k, RowPool& pool) {
        auto [it, made] = chunks.try_emplace(k, pool);
        it->second.k = k;
        return {&it->second, made};
    }
    std::vector<std::uint32_t> unheld;  // chunks whose refs fell to 0 (or were fetched unheld)
    std::unordered_map<std::vector<std::uint32_t>, std::unique_ptr<Audience>, ChunksHash> audiences;
    std::vector<Audience*> order;  // audiences in creation order (deterministic delivery)
    std::vector<std::pair<Session*, SessionList*>> pending;

    // This flush: rows from `affected_from` on may have changed, and so may
    // the header rows in `changed_headers`.
    std::uint32_t affected_from = 0;
    std::vector<std::uint32_t> changed_headers;
    std::uint32_t length = 0;
    bool mapped = false;  // map_ describes this flush's edits
};

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
    ls.affected_from = std::numeric_limits<std::uint32_t>::max();
    for (const RowEdit& e : ls.log)
        ls.affected_from =
            std::min(ls.affected_from, e.kind == RowEdit::Kind::reset ? 0u : e.index);
    if (ls.lost) ls.affected_from = 0;
    ls.mapped = !ls.lost && !ls.log.empty() && map_.build(ls.log, old_length) &&
                map_.length() == ls.length;
    if (ls.log.empty() && !counts_changed && ls.pending.empty() && !ls.lost) return;

    groups_.clear();
    for (const GroupCount& gc : now) groups_.push_back(roster_group{gc.id, gc.count});

    // Ops of every chunk someone keeps, once per flush. When the list did
    // not change (only subscriptions did), steady audiences get nothing.
    const bool list_changed = !ls.log.empty() || counts_changed || ls.lost;
    // (The passes over audiences prefetch a few audiences ahead: each is a
    // heap object, and so is each chunk, and there may be thousands.)
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
                    auto [c, created] = ls.entry(k, pool_);
                    if (created) ls.unheld.push_back(k);  // until an audience holds it
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

// Brings chunk k's cached rows up to date for sessions that get it anew
// (no ops: they get a SYNC of the rows).
void Subscriptions::refresh_chunk(ListSubs& ls, std::uint32_t k) {
    auto [c, created] = ls.entry(k, pool_);
    if (created) ls.unheld.push_back(k);  // until an audience holds it
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
    const std::uint32_t s = window(c).first, e = window(c).second;
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

// The kept chunks' ops and new rows. With a row map, in three passes: plan
// every chunk from the map (no rows read), read all the rows the plans
// need in one ascending pass over the list, then apply each plan. Without
// one (a reset or lost flush), each chunk is read whole and diffed.
void Subscriptions::refresh_kept(ListSubs& ls) {
    // Held chunks came in order; kept chunks of pending sessions that no
    // audience holds come after them.
    if (!std::is_sorted(work_.begin(), work_.end())) std::sort(work_.begin(), work_.end());
    bool mapped = ls.mapped;
    if (mapped) {
        planner_.clear();
        for (auto [k, c] : work_)
            c->plan = static_cast<std::uint32_t>(
                planner_.plan(map_, window(*c).first, cfg_.chunk, ls.length,
                              static_cast<std::uint32_t>(c->rows.size()), ls.changed_headers));
        fetched_.resize(planner_.rows());
        mapped = engine_.guild_.rows_at(ls.id, planner_.runs(), fetched_.data()) == Error::ok;
    }
    if (slot_.size() < cfg_.chunk) slot_.resize(cfg_.chunk);
    for (std::size_t i = 0; i < work_.size(); ++i) {
        // Each chunk's storage is cold by now: request the next ones' early.
        if (i + 4 < work_.size()) __builtin_prefetch(work_[i + 4].second);
        if (i + 2 < work_.size()) {
            const Chunk& next = *work_[i + 2].second;
            if (mapped)
                next.rows.prefetch_rebuild(planner_.kept(planner_[next.plan]),
                                           planner_[next.plan].n_new);
            else
                next.rows.prefetch();
        }
        Chunk* c = work_[i].second;
        c->ops0 = static_cast<std::uint32_t>(ops_arena_.size());
        if (mapped)
            apply_plan(*c, planner_[c->plan]);
        else
            refresh_full(ls, *c, true);
        c->nops = static_cast<std::uint32_t>(ops_arena_.size()) - c->ops0;
#ifndef NDEBUG
        // The plan and the row map must agree with the list.
        const auto [s, e] = window(*c);
        rows_.clear();
        if (s < ls.length) engine_.guild_.rows(ls.id, s, e, &rows_);
        const std::span<const Row> got = c->rows.rows();
        bool same = got.size() == rows_.size();
        for (std::size_t i = 0; same && i < got.size(); ++i)
            same = same_identity(got[i], rows_[i]) && same_content(got[i], rows_[i]);
        if (!same) std::abort();
#endif
    }
    // Items were appended in op order: point each op at its own.
    std::size_t off = 0;
    for (roster_op& op : ops_arena_) {
        op.items = op.item_count ? items_arena_.data() + off : nullptr;
        off += op.item_count;
    }
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
    const std::uint32_t s = window(c).first, e = window(c).second;
    rows_.clear();
    if (s < ls.length) engine_.guild_.rows(ls.id, s, e, &rows_);
    const std::span<const Row> O = c.rows.rows(), N(rows_);
    if (!kept) {
    } else if (N.empty()) {
        if (ls.lost) add(ROSTER_OP_INVALIDATE, s, e, {});
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
    const std::uint32_t s = window(c).first, e = window(c).second;
    const Row* got = fetched_.data() + p.row0;
    std::uint32_t got_n = 0;
    for (const RowRun& r : planner_.need(p))
        for (std::uint32_t i = 0; i < r.count; ++i) slot_[r.start - s + i] = got_n++;
    auto row = [&](std::uint32_t j) -> const Row& { return got[slot_[j]]; };
    const auto kept = planner_.kept(p);
    if (p.n_new == 0) {  // past the end now: the clients' resize drops it
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
        std::uint32_t j = 0;
        for (const KeptRun& k : kept) {
            for (; j < k.at; ++j) rows_[j] = row(j);
            std::copy_n(O.begin() + k.old, k.len, rows_.begin() + j);
            j += k.len;
        }
        for (; j < p.n_new; ++j) rows_[j] = row(j);
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
    // deleted when every holder has this chunk last (see Chunk::mid_refs).
    const std::uint32_t tail = kept.empty() ? p.n_old : kept.back().old + kept.back().len;
    const std::uint32_t skipped =
        c.mid_refs == 0 && c.kept_pending != flush_no_ ? p.n_old - tail : 0;
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
