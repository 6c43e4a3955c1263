// The private records of Subscriptions (subscriptions.hpp): chunks, the
// sessions' subscriptions, audiences and per-list state. Shared by
// subscriptions.cpp (bookkeeping, flush, frames) and chunk_refresh.cpp (a
// held chunk's rows and ops at a flush); nothing else includes it.
#pragma once

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "subscriptions.hpp"

namespace roster {

namespace subs_detail {

struct ChunksHash {
    std::size_t operator()(const Vec<std::uint32_t>& v) const {
        std::uint64_t h = 0xcbf29ce484222325ull;
        for (std::uint32_t x : v) h = (h ^ x) * 0x100000001b3ull;
        return static_cast<std::size_t>(h);
    }
};

inline roster_row to_c(const Row& r) {
    return roster_row{r.header() ? ROSTER_ROW_HEADER : ROSTER_ROW_MEMBER, r.count, r.group, r.user};
}

inline bool sorted_contains(const Vec<std::uint32_t>& v, std::uint32_t k) {
    return std::binary_search(v.begin(), v.end(), k);
}

}  // namespace subs_detail

using subs_detail::ChunksHash;
using subs_detail::sorted_contains;
using subs_detail::to_c;

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
    // Their items: items_arena_[items0, items0 + nitems), in op order.
    std::uint32_t items0 = 0, nitems = 0;
    // Audiences holding it that have not had this flush's frame yet: once
    // none has (and no pending session keeps it), its ops are dropped
    // from the arenas (see Subscriptions::compact_arenas).
    std::uint32_t unsent = 0;
    std::uint32_t plan = 0;    // this flush's plan (WindowPlanner index)
    // With tail deletes: this flush's ops are the DELETEs of every row the
    // chunk held, now past the end of the list. A frame sends them before
    // the ops of the chunks above it (see Subscriptions::emit_held_ops).
    bool tail = false;
    RowWindow rows;            // as every holder has them (as of the last flush)
    // Next in its list's `unheld` chain (see ListSubs::unheld).
    Chunk* next_unheld = nullptr;
    bool listed_unheld = false;
    // The audiences whose last chunk it is, in the order they were formed
    // (Audience::last_prev / last_next): a flush with more ops than its
    // arenas keep delivers their frames as soon as this chunk's are done.
    Audience* last_head = nullptr;
    Audience* last_tail = nullptr;

    explicit Chunk(RowPool& pool) : rows(pool) {}

    void start(std::uint64_t flush) {
        stamp = flush;
        ops0 = nops = items0 = nitems = 0;
        unsent = refs;
        tail = false;
    }
};

struct Subscriptions::SessionList {
    std::uint64_t list_id = 0;
    Vec<std::uint32_t> held;    // chunks as of the session's last frame
    Vec<std::uint32_t> wanted;  // chunks now
    Audience* audience = nullptr;       // set when steady (held == wanted)
    std::size_t slot = 0;               // index in audience->members
    bool pending = false;               // in its ListSubs' pending list
    bool closed = false;                // unsubscribed inside the sink
    // Closed after its frame of this flush was delivered: the client holds
    // `wanted` (the frame's rows), not `held`; replace_chunks makes it so.
    bool served = false;
    bool stale = false;                 // held rows belong to a removed list
};

struct Subscriptions::Session {
    std::uint64_t id = 0;
    Vec<Box<SessionList>> lists;
    bool removed = false;  // removed inside the sink; dropped after delivery

    SessionList* find(std::uint64_t list_id) const {
        for (const auto& l : lists)
            if (l->list_id == list_id) return l.get();
        return nullptr;
    }
};

struct Subscriptions::Audience {
    Vec<std::uint32_t> chunks;
    // chunks[i]'s cache entry (held: it stays while refs > 0). Inline, so
    // the flush's pass over audiences reads one object per audience.
    SmallVec<Chunk*, 4> cached;
    Vec<std::pair<Session*, SessionList*>> members;
    Vec<std::uint64_t> ids;  // members' session ids, same order
    std::size_t at = 0;      // its index in ListSubs::order
    // Neighbours among the audiences with the same last chunk (see
    // Chunk::last_head).
    Audience* last_prev = nullptr;
    Audience* last_next = nullptr;
};

// Bookkeeping that a failing call must not leave half-done is changed only
// by operations that cannot fail: leaving an audience, releasing a chunk,
// settling a pending session into a reserved slot. Whatever they need is
// allocated beforehand (see Subscriptions::subscribe and join_audience).
struct Subscriptions::ListSubs {
    std::uint64_t id = 0;
    Vec<RowEdit> log;
    bool lost = false;  // a flush failed: every holder gets its chunks re-sent
    std::uint32_t member_count = 0, online_count = 0;
    Vec<GroupCount> groups;  // as of the last flush
    HashMap<std::uint32_t, Chunk> chunks;
    // Chunks some audience holds (refs > 0), by number: a flush walks them
    // in order without sorting.
    Vec<std::pair<std::uint32_t, Chunk*>> held;
    // Cannot fail when `held` has room for one more (reserve first).
    void hold(Chunk* c) noexcept {
        if (c->refs == 0)
            held.insert(std::lower_bound(held.begin(), held.end(), std::pair{c->k, c}), {c->k, c});
        ++c->refs;
    }
    void release(Chunk* c) noexcept {
        if (--c->refs == 0) {
            held.erase(std::lower_bound(held.begin(), held.end(), std::pair{c->k, c}));
            list_unheld(c);
        }
    }
    // Chunk k's cache entry, made (and numbered) if missing; true if made.
    // A new entry is listed as unheld until an audience holds it.
    std::pair<Chunk*, bool> entry(std::uint32_t k, RowPool& pool) {
        auto [it, made] = chunks.try_emplace(k, pool);
        it->second.k = k;
        if (made) list_unheld(&it->second);
        return {&it->second, made};
    }
    // Chunks whose refs fell to 0, or that were made for a flush and may
    // not be held: dropped at the end of the flush if still unheld. A chain
    // through the chunks themselves, so that listing one never allocates.
    Chunk* unheld = nullptr;
    void list_unheld(Chunk* c) noexcept {
        if (c->listed_unheld) return;
        c->listed_unheld = true;
        c->next_unheld = unheld;
        unheld = c;
    }
    // Drops the listed chunks nobody holds; clears the chain.
    void sweep_unheld() noexcept {
        for (Chunk* c = unheld; c;) {
            Chunk* next = c->next_unheld;
            c->listed_unheld = false;
            c->next_unheld = nullptr;
            if (c->refs == 0) {
                const std::uint32_t k = c->k;  // not a reference into the entry erased
                chunks.erase(k);
            }
            c = next;
        }
        unheld = nullptr;
    }
    // Every chunk entry goes (the chain with them).
    void drop_chunks() noexcept {
        chunks.clear();
        held.clear();
        unheld = nullptr;
    }
    HashMap<Vec<std::uint32_t>, Box<Audience>, ChunksHash> audiences;
    // Audiences in creation order (deterministic delivery). An audience
    // that empties leaves a hole (nullptr) at its index, so that a session
    // leaving costs O(1), not a search of every audience; the holes (as
    // many as `order` has entries beyond `audiences`) are closed once they
    // are half of it (amortised O(1) a removal). Passes over the audiences
    // go through live_order() or each_audience(), which skip them.
    Vec<Audience*> order;
    // The audiences in order, holes skipped, as a copy (a flush's sink may
    // change `order` while the copy is walked).
    Vec<Audience*> live_order() const {
        Vec<Audience*> out;
        out.reserve(audiences.size());
        for (Audience* a : order)
            if (a) out.push_back(a);
        return out;
    }
    // f(audience) for every audience in order, holes skipped.
    template <class F>
    void each_audience(F&& f) const {
        for (const Audience* a : order)
            if (a) f(*a);
    }
    // Lists audience a under its last chunk, or takes it off. Cannot fail.
    static void link_last(Audience* a) noexcept {
        Chunk* c = a->cached.back();
        a->last_prev = c->last_tail;
        a->last_next = nullptr;
        (c->last_tail ? c->last_tail->last_next : c->last_head) = a;
        c->last_tail = a;
    }
    static void unlink_last(Audience* a) noexcept {
        Chunk* c = a->cached.back();
        (a->last_prev ? a->last_prev->last_next : c->last_head) = a->last_next;
        (a->last_next ? a->last_next->last_prev : c->last_tail) = a->last_prev;
        a->last_prev = a->last_next = nullptr;
    }
    // The hole at `at`, left by an audience already erased from `audiences`.
    void unlist(std::size_t at) noexcept {
        order[at] = nullptr;
        if ((order.size() - audiences.size()) * 2 <= order.size()) return;
        std::size_t n = 0;
        for (Audience* x : order)
            if (x) {
                x->at = n;
                order[n++] = x;
            }
        order.resize(n);  // shrinks: cannot throw
    }
    // Sessions whose subscription changed since their last frame, in the
    // order they changed; each has its SessionList::pending set.
    Vec<std::pair<Session*, SessionList*>> pending;

    // This flush: rows from `affected_from` on may have changed, and so may
    // the header rows in `changed_headers`.
    std::uint32_t affected_from = 0;
    Vec<std::uint32_t> changed_headers;
    std::uint32_t length = 0;
    bool mapped = false;  // map_ describes this flush's edits
};

}  // namespace roster
