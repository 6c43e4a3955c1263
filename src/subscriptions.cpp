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
    std::vector<Row> rows;     // as every holder has them (as of the last flush)
    std::uint64_t stamp = 0;   // flush whose ops `ops` are
    std::uint32_t refs = 0;    // audiences holding the chunk
    // This flush's ops for holders that keep it, ready to copy into a
    // frame: their items point into `items` (stable until the next flush).
    std::vector<roster_op> ops;
    std::vector<roster_row> items;
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
    // Chunk k's cache entry, made (and numbered) if missing; true if made.
    std::pair<Chunk*, bool> entry(std::uint32_t k) {
        auto [it, made] = chunks.try_emplace(k);
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
    : engine_(engine), cfg_(config) {}

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
            Chunk* c = ls.entry(k).first;
            ++c->refs;
            slot->cached.push_back(c);
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
    for (std::size_t i = 0; i < a->chunks.size(); ++i)
        if (--a->cached[i]->refs == 0) ls.unheld.push_back(a->chunks[i]);
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
    if (list_changed)
        for (std::size_t i = 0; i < ls.order.size(); ++i) {
            prefetch_audiences(ls, i);
            for (Chunk* c : ls.order[i]->cached) refresh(ls, *c, false, true);
        }
    for (auto [s, sl] : ls.pending)
        if (!sl->stale)
            for (std::uint32_t k : sl->held)
                if (sorted_contains(sl->wanted, k)) refresh_chunk(ls, k, true);
    // Current rows of chunks someone gets anew (after the kept ones: a chunk
    // both kept and new must be diffed against its old rows first).
    for (auto [s, sl] : ls.pending)
        for (std::uint32_t k : sl->wanted)
            if (sl->stale || !sorted_contains(sl->held, k)) refresh_chunk(ls, k, false);

    if (list_changed) {
        const std::vector<Audience*> order(ls.order);  // the sink may unsubscribe
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (i + 2 < order.size()) __builtin_prefetch(order[i + 2]);
            const Audience* a = order[i];
            items_.clear();
            ops_.clear();
            run_items_.clear();
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

// Brings chunk k's cached rows up to date. kept: its holders keep it, so
// compute their ops (once per flush); otherwise only the rows are needed.
void Subscriptions::refresh_chunk(ListSubs& ls, std::uint32_t k, bool kept) {
    auto [c, created] = ls.entry(k);
    if (created) ls.unheld.push_back(k);  // until an audience holds it
    refresh(ls, *c, created, kept);
}

void Subscriptions::prefetch_audiences(const ListSubs& ls, std::size_t i) {
    if (i + 4 < ls.order.size()) __builtin_prefetch(ls.order[i + 4]);
    if (i + 2 < ls.order.size())
        for (const Chunk* c : ls.order[i + 2]->cached) __builtin_prefetch(c);
}

void Subscriptions::refresh(ListSubs& ls, Chunk& c, bool created, bool kept) {
    if (c.stamp == flush_no_) return;
    const std::uint32_t k = c.k;
    c.stamp = flush_no_;
    c.ops.clear();
    c.items.clear();
    const std::uint64_t s64 = static_cast<std::uint64_t>(k) * cfg_.chunk;
    const std::uint64_t e64 = s64 + cfg_.chunk - 1;
    const std::uint32_t s = static_cast<std::uint32_t>(s64);
    const std::uint32_t e = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(e64, std::numeric_limits<std::uint32_t>::max()));
    bool affected = ls.lost || e >= ls.affected_from;
    for (std::uint32_t h : ls.changed_headers)
        if (h >= s && h <= e) affected = true;
    if (!affected && !created) return;

    rows_.clear();
    const bool mapped = kept && ls.mapped && !c.rows.empty();
    if (mapped)
        assemble_rows(ls, c, s, e);
    else if (s < ls.length)
        engine_.guild_.rows(ls.id, s, e, &rows_);
    if (kept) {
        const std::span<const Row> O(c.rows), N(rows_);
        // Items are appended to c.items in op order; the pointers are set
        // once it is complete.
        auto add = [&](std::uint32_t kind, std::uint32_t index, std::uint32_t end,
                       std::span<const Row> items) {
            c.ops.push_back(
                roster_op{kind, index, end, static_cast<std::uint32_t>(items.size()), nullptr});
            for (const Row& r : items) c.items.push_back(to_c(r));
        };
        if (N.empty()) {
            if (ls.lost) add(ROSTER_OP_INVALIDATE, s, e, {});
        } else if (O.empty()) {
            add(ROSTER_OP_SYNC, s, e, N);
        } else if (const int how = ls.lost ? 0 : mapped ? script_from_map(O, N) : 2;
                   how == 1 || (how == 2 && differ_.diff(O, N))) {
            for (const WindowOp& op : how == 1 ? map_ops_ : differ_.ops()) {
                switch (op.kind) {
                    case WindowOp::Kind::remove:
                        add(ROSTER_OP_DELETE, s + op.pos, s + op.pos, {});
                        break;
                    case WindowOp::Kind::insert:
                        add(ROSTER_OP_INSERT, s + op.pos, s + op.pos, N.subspan(op.pos, 1));
                        break;
                    case WindowOp::Kind::update:
                        add(ROSTER_OP_UPDATE, s + op.pos, s + op.pos, N.subspan(op.pos, 1));
                        break;
                }
            }
        } else {
            add(ROSTER_OP_INVALIDATE, s, e, {});
            add(ROSTER_OP_SYNC, s, e, N);
        }
        std::size_t off = 0;
        for (roster_op& op : c.ops) {
            op.items = op.item_count ? c.items.data() + off : nullptr;
            off += op.item_count;
        }
    }
    c.rows.swap(rows_);
}

// The chunk's new rows into rows_, from the rows its holders have (moved
// where the row map says) plus the rows that are new, changed, or whose
// header count changed, read from the list.
void Subscriptions::assemble_rows(ListSubs& ls, const Chunk& c, std::uint32_t s,
                                  std::uint32_t e) {
    if (s >= ls.length) return;
    const std::uint32_t last = std::min(e, ls.length - 1);
    const std::uint32_t old_end = s + static_cast<std::uint32_t>(c.rows.size());  // exclusive
    const auto& pieces = map_.pieces();
    std::size_t pi = map_.piece_at(s);
    fetch_.clear();
    src_.clear();
    fresh_.clear();
    auto lack = [&](std::int64_t code) {  // a row read from the list below
        fetch_.push_back(static_cast<std::uint32_t>(rows_.size()));
        src_.push_back(code);
        rows_.push_back(Row{});
    };
    for (std::uint32_t p = s; p <= last; ++pi) {
        const RowMap::Piece& pc = pieces[pi];
        const std::uint32_t q = std::min(pc.start + pc.run.len - 1, last);  // inclusive
        if (pc.run.kind == RowMap::Kind::fresh) {
            fresh_.push_back(static_cast<std::uint32_t>(rows_.size()));
            lack(-1);
        } else if (pc.run.kind == RowMap::Kind::dirty) {
            const std::uint32_t o = pc.run.old;
            lack(o >= s && o < old_end ? -2 - static_cast<std::int64_t>(o - s) : -1);
        } else {
            // Old positions o0..o0+(q-p): the part inside the old window is
            // copied from the holders' rows, the rest read.
            const std::uint32_t o0 = pc.run.old + (p - pc.start);
            const std::uint32_t o1 = o0 + (q - p);
            const std::uint32_t in0 = std::max(o0, s);
            const std::uint32_t in1 = std::min(o1 + 1, old_end);  // exclusive
            for (std::uint32_t o = o0; o < std::min(in0, o1 + 1); ++o) lack(-1);
            if (in0 < in1) {  // a run of rows kept as they are: copied at once
                const std::size_t at = rows_.size();
                rows_.insert(rows_.end(), c.rows.begin() + (in0 - s), c.rows.begin() + (in1 - s));
                src_.resize(at + (in1 - in0));
                std::iota(src_.begin() + static_cast<std::ptrdiff_t>(at), src_.end(),
                          static_cast<std::int64_t>(in0 - s));
            }
            for (std::uint32_t o = std::max(in1, o0); o <= o1; ++o) lack(-1);
        }
        p = q + 1;
    }
    // Headers whose count changed: same row, new content.
    bool patched = false;
    for (auto h = std::lower_bound(ls.changed_headers.begin(), ls.changed_headers.end(), s);
         h != ls.changed_headers.end() && *h <= last; ++h) {
        const std::uint32_t j = *h - s;
        if (src_[j] < 0) continue;  // read already
        src_[j] = -2 - src_[j];
        fetch_.push_back(j);
        patched = true;
    }
    if (patched) std::sort(fetch_.begin(), fetch_.end());
    // Read the missing rows, one call per run of consecutive positions.
    for (std::size_t i = 0; i < fetch_.size();) {
        std::size_t j = i;
        while (j + 1 < fetch_.size() && fetch_[j + 1] == fetch_[j] + 1) ++j;
        engine_.guild_.rows(ls.id, s + fetch_[i], s + fetch_[j], &fetched_);
        for (std::size_t q = 0; q < fetched_.size() && i + q <= j; ++q)
            rows_[fetch_[i + q]] = fetched_[q];
        i = j + 1;
    }
#ifndef NDEBUG
    engine_.guild_.rows(ls.id, s, e, &fetched_);
    bool same = fetched_.size() == rows_.size();
    for (std::size_t i = 0; same && i < rows_.size(); ++i)
        same = same_identity(fetched_[i], rows_[i]) && same_content(fetched_[i], rows_[i]);
    if (!same) std::abort();  // the row map disagrees with the list: a bug
#endif
}

// The edit script the row map implies for a chunk (src_ from
// assemble_rows), in WindowDiff's order and cost terms: old rows no new
// row comes from are deleted, rows from elsewhere inserted, rows whose
// content changed in place updated. It keeps every row the window still
// shows unless a row was taken out and put back (a re-filed member): then
// the diff must decide. Returns 1 (script in map_ops_), 0 (re-send the
// chunk: cheaper) or 2 (run the diff).
int Subscriptions::script_from_map(std::span<const Row> O, std::span<const Row> N) {
    const std::size_t n_old = O.size(), n_new = N.size();
    map_ops_.clear();
    kept_.assign(n_old, 0);
    std::uint64_t cost = 0;
    for (std::int64_t x : src_)
        if (x != -1) kept_[static_cast<std::size_t>(x >= 0 ? x : -2 - x)] = 1;
    for (std::size_t i = n_old; i-- > 0;)
        if (!kept_[i]) {
            map_ops_.push_back({WindowOp::Kind::remove, static_cast<std::uint32_t>(i)});
            cost += cost_delete;
        }
    for (std::size_t j = 0; j < n_new; ++j)
        if (src_[j] == -1) {
            map_ops_.push_back({WindowOp::Kind::insert, static_cast<std::uint32_t>(j)});
            cost += cost_item_op;
        }
    for (std::size_t j = 0; j < n_new; ++j)
        if (src_[j] <= -2) {
            map_ops_.push_back({WindowOp::Kind::update, static_cast<std::uint32_t>(j)});
            cost += cost_item_op;
        }
    // A row both deleted and inserted (re-filed in place: it comes back as
    // a fresh row): the same row could have been kept.
    if (!fresh_.empty())
        for (std::size_t i = 0; i < n_old; ++i)
            if (!kept_[i])
                for (std::uint32_t j : fresh_)
                    if (same_identity(O[i], N[j])) return 2;
    return cost <= cost_resend(n_new) ? 1 : 0;
}

void Subscriptions::emit_chunk_ops(const Chunk& c) {
    ops_.insert(ops_.end(), c.ops.begin(), c.ops.end());
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
                for (const Row& r : ls.chunks.find(chunks[q])->second.rows)
                    items_.push_back(to_c(r));
        run_items_.emplace_back(ops_.size(), first);
        ops_.push_back(roster_op{kind, start, end,
                                 static_cast<std::uint32_t>(items_.size() - first), nullptr});
        i = j + 1;
    }
}

void Subscriptions::send(ListSubs& ls, bool counts_changed, std::span<const std::uint64_t> ids) {
    (void)ls;
    if (ids.empty() || (ops_.empty() && !counts_changed)) return;
    for (auto [op, first] : run_items_)
        ops_[op].items = ops_[op].item_count ? items_.data() + first : nullptr;
    if (!sink_) return;
    roster_frame f{};
    f.list_id = list_id_;
    f.member_count = member_count_;
    f.online_count = online_count_;
    f.groups = groups_.empty() ? nullptr : groups_.data();
    f.group_count = groups_.size();
    f.ops = ops_.empty() ? nullptr : ops_.data();
    f.op_count = ops_.size();
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
        std::map<std::uint32_t, std::uint32_t> refs;
        for (const Audience* a : ls.order) {
            if (a->members.empty()) return fail("empty audience");
            if (a->cached.size() != a->chunks.size()) return fail("audience cache pointers");
            for (std::size_t j = 0; j < a->chunks.size(); ++j) {
                ++refs[a->chunks[j]];
                auto it = ls.chunks.find(a->chunks[j]);
                if (it == ls.chunks.end() || &it->second != a->cached[j] ||
                    it->second.k != a->chunks[j])
                    return fail("audience points to another chunk");
            }
        }
        for (const auto& [k, c] : ls.chunks) {
            auto it = refs.find(k);
            if ((it == refs.end() ? 0u : it->second) != c.refs) return fail("chunk refs");
        }
        for (const auto& [k, n] : refs)
            if (!ls.chunks.count(k)) return fail("held chunk not cached");
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
                if (rows.size() != c.rows.size()) return fail("chunk cache length");
                for (std::size_t r = 0; r < rows.size(); ++r)
                    if (!same_identity(rows[r], c.rows[r]) || !same_content(rows[r], c.rows[r]))
                        return fail("chunk cache differs from the list");
            }
        }
    }
    return true;
}

}  // namespace roster
