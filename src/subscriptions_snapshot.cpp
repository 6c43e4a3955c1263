// Subscriptions::save and Subscriptions::load: the sessions section of a
// snapshot (docs/snapshot.md has the byte layout).
//
// Between flushes every session is steady: for each list it subscribes to,
// it holds exactly the chunks it wants, and it is one of the audience of
// that chunk set. So the whole state is the sessions and, per list, the
// audiences in delivery order with their members in order; the rows of the
// chunks are the list's rows, which the loaded guild has. Loading rebuilds
// the audiences in that order (the same frames go to the same sessions in
// the same order afterwards) and fills each held chunk from the guild, so
// the first flush after a load diffs against what the clients really have,
// and nothing at all is sent by the load itself.
#include <algorithm>
#include <new>
#include <vector>

#include "snapshot_io.hpp"
#include "subscriptions.hpp"
#include "subscriptions_state.hpp"

namespace roster {

void Subscriptions::save(snapshot::Writer& w, SaveScratch& order) const {
    w.begin(snapshot::s_sessions);
    order.clear();
    for (const auto& [id, s] : sessions_) order.push_back(s.get());
    std::sort(order.begin(), order.end(),
              [](const Session* a, const Session* b) { return a->id < b->id; });
    w.u32(static_cast<std::uint32_t>(order.size()));
    for (const Session* s : order) {
        w.u64(s->id);
        w.u32(static_cast<std::uint32_t>(s->lists.size()));
        for (const auto& sl : s->lists) w.u64(sl->list_id);
    }
    // A list whose last subscriber left since the last flush has no
    // audience: nothing to write.
    std::uint32_t held = 0;
    for (const auto& ls : lists_) held += !ls->audiences.empty();
    w.u32(held);
    for (const auto& ls : lists_) {
        if (ls->audiences.empty()) continue;
        w.u64(ls->id);
        w.u32(static_cast<std::uint32_t>(ls->audiences.size()));
        ls->each_audience([&](const Audience& a) {
            w.u32(static_cast<std::uint32_t>(a.chunks.size()));
            for (std::uint32_t k : a.chunks) w.u32(k);
            w.u32(static_cast<std::uint32_t>(a.ids.size()));
            for (std::uint64_t id : a.ids) w.u64(id);
        });
    }
    w.end();
}

Error Subscriptions::load(snapshot::Reader& r) {
    if (!sessions_.empty() || !lists_.empty()) return Error::internal;
    try {
        if (Error e = r.begin(snapshot::s_sessions); e != Error::ok) return e;
        auto corrupt = [&] { return r.fail(Error::corrupt); };
        const Guild& guild = engine_.guild_;

        std::uint32_t nsessions = 0;
        if (!r.u32(&nsessions)) return r.error();
        if (nsessions > ROSTER_MAX_SESSIONS) return corrupt();
        if (nsessions > cfg_.max_sessions) return r.fail(Error::limit);
        sessions_.reserve(nsessions);
        std::uint64_t prev = 0;
        std::uint64_t subscriptions = 0;  // (session, list) pairs, each in one audience
        for (std::uint32_t i = 0; i < nsessions; ++i) {
            std::uint64_t id = 0;
            std::uint32_t nlists = 0;
            r.u64(&id);
            r.u32(&nlists);
            if (!r.good()) return r.error();
            if (id <= prev) return corrupt();  // ascending: each session once, none 0
            prev = id;
            if (nlists > ROSTER_MAX_SESSION_LISTS) return corrupt();
            if (nlists > cfg_.max_lists) return r.fail(Error::limit);
            auto s = make_box<Session>();
            s->id = id;
            s->lists.reserve(nlists);
            for (std::uint32_t j = 0; j < nlists; ++j) {
                std::uint64_t list_id = 0;
                if (!r.u64(&list_id)) return r.error();
                if (!guild.has_list(list_id) || s->find(list_id)) return corrupt();
                auto sl = make_box<SessionList>();
                sl->list_id = list_id;
                s->lists.push_back(std::move(sl));
            }
            subscriptions += nlists;
            sessions_.emplace(id, std::move(s));
        }

        // ListSubs in ascending list id, each with its audiences.
        std::uint32_t nlists = 0;
        if (!r.u32(&nlists)) return r.error();
        if (nlists > subscriptions) return corrupt();  // a list nobody subscribes to
        const std::uint64_t max_chunks = std::min<std::uint64_t>(
            ROSTER_MAX_SUBSCRIPTION_CHUNKS,
            std::uint64_t{cfg_.max_ranges} * (cfg_.max_span / cfg_.chunk + 2));
        Vec<std::uint32_t> chunks;
        std::uint64_t placed = 0;
        prev = 0;
        for (std::uint32_t i = 0; i < nlists; ++i) {
            std::uint64_t list_id = 0;
            std::uint32_t naudiences = 0;
            r.u64(&list_id);
            r.u32(&naudiences);
            if (!r.good()) return r.error();
            if ((i && list_id <= prev) || !guild.has_list(list_id)) return corrupt();
            prev = list_id;
            if (naudiences == 0 || naudiences > subscriptions - placed) return corrupt();
            ListSubs& ls = list_subs(list_id);
            for (std::uint32_t a = 0; a < naudiences; ++a) {
                std::uint32_t nchunks = 0;
                if (!r.u32(&nchunks)) return r.error();
                if (nchunks == 0 || nchunks > ROSTER_MAX_SUBSCRIPTION_CHUNKS) return corrupt();
                chunks.clear();
                std::uint32_t runs = 0;
                for (std::uint32_t c = 0; c < nchunks; ++c) {
                    std::uint32_t k = 0;
                    if (!r.u32(&k)) return r.error();
                    if ((c && k <= chunks.back()) || std::uint64_t{k} * cfg_.chunk > UINT32_MAX)
                        return corrupt();
                    runs += !c || k != chunks.back() + 1;
                    chunks.push_back(k);
                }
                // What a subscription could hold under this guild's limits.
                if (runs > cfg_.max_ranges || nchunks > max_chunks) return r.fail(Error::limit);
                if (ls.audiences.count(chunks)) return corrupt();  // one audience per chunk set
                std::uint32_t nmembers = 0;
                if (!r.u32(&nmembers)) return r.error();
                if (nmembers == 0 || nmembers > subscriptions - placed) return corrupt();
                for (std::uint32_t m = 0; m < nmembers; ++m) {
                    std::uint64_t sid = 0;
                    if (!r.u64(&sid)) return r.error();
                    auto it = sessions_.find(sid);
                    if (it == sessions_.end()) return corrupt();
                    Session& s = *it->second;
                    SessionList* sl = s.find(list_id);
                    if (!sl || sl->audience) return corrupt();  // not its list, or twice
                    sl->wanted = chunks;
                    join_audience(ls, s, *sl);
                    sl->held = chunks;
                    ++placed;
                }
            }
        }
        if (placed != subscriptions) return corrupt();  // a subscription in no audience
        if (Error e = r.end(); e != Error::ok) return e;

        // The held chunks' rows, as the clients have them: the list's rows.
        ++flush_no_;
        for (auto& lsp : lists_) {
            ListSubs& ls = *lsp;
            if (Error e = engine_.guild_.list_length(ls.id, &ls.length); e != Error::ok) return e;
            for (auto [k, c] : ls.held) {
                c->start(flush_no_);
                refresh_full(ls, *c, false);
            }
            ls.sweep_unheld();
        }
        return Error::ok;
    } catch (const std::bad_alloc&) {
        return Error::no_memory;
    }
}

}  // namespace roster
