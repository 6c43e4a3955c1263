// The adapter context: channels -> shared roster lists, and lazy-guild
// requests applied as subscriptions (docs/discord.md §3-§4).
#include <algorithm>
#include <map>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "internal.hpp"

using namespace rdiscord;

namespace {

struct ListEntry {
    std::uint64_t id = 0;
    std::size_t channels = 0;  // channels using it
};

struct ChannelEntry {
    std::vector<roster_discord_overwrite> overwrites;
    Channel desc;
    std::uint64_t list = 0;
};

struct SessionEntry {
    std::uint64_t user = 0;
    // Lists subscribed to through requests, with the ranges as requested:
    // subscribing with them again gives the same chunks, and passes the
    // guild's limits again (normalised ranges, merged, may not).
    std::map<std::uint64_t, std::vector<roster_range>> lists;
};

}  // namespace

struct roster_discord {
    roster_guild* guild = nullptr;
    std::uint64_t guild_id = 0;
    int everyone_view = 1;
    std::map<std::uint64_t, ChannelEntry> channels;
    std::map<std::string, ListEntry> lists;  // by overwrite string (not "everyone")
    std::set<std::uint64_t> list_ids;        // ids of the lists above
    std::map<std::uint64_t, SessionEntry> sessions;

    // The roster list id for a new overwrite string: 2^32 + hash, or on a
    // collision with another string of the same hash k * 2^32 + hash.
    std::uint64_t free_id(std::uint32_t hash) const {
        for (std::uint64_t k = 1;; ++k) {
            const std::uint64_t id = (k << 32) | hash;
            if (!list_ids.count(id)) return id;
        }
    }
};

namespace {

// Frees a list no channel uses any more (the key's entry is erased).
int release(roster_discord* ctx, const Channel& c) {
    if (c.everyone) return ROSTER_OK;
    auto it = ctx->lists.find(c.key);
    if (it == ctx->lists.end()) return ROSTER_EINTERNAL;
    if (--it->second.channels) return ROSTER_OK;
    const std::uint64_t id = it->second.id;
    ctx->list_ids.erase(id);
    ctx->lists.erase(it);
    for (auto& [sid, s] : ctx->sessions) s.lists.erase(id);
    return roster_list_remove(ctx->guild, id);
}

// The list for a described channel: existing (refcount + 1) or made.
int acquire(roster_discord* ctx, const Channel& c, std::uint64_t* list) {
    if (c.everyone) {
        *list = 0;
        return ROSTER_OK;
    }
    auto it = ctx->lists.find(c.key);
    if (it != ctx->lists.end()) {
        ++it->second.channels;
        *list = it->second.id;
        return ROSTER_OK;
    }
    const std::uint64_t id = ctx->free_id(c.hash);
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    rule.everyone = c.everyone_ow;
    rule.roles = c.roles.empty() ? nullptr : c.roles.data();
    rule.role_count = c.roles.size();
    rule.members = c.members.empty() ? nullptr : c.members.data();
    rule.member_count = c.members.size();
    ctx->lists.emplace(c.key, ListEntry{id, 1});  // may throw: before the guild changes
    ctx->list_ids.insert(id);
    if (int s = roster_list_set(ctx->guild, id, &rule); s != ROSTER_OK) {
        ctx->lists.erase(c.key);
        ctx->list_ids.erase(id);
        return s;
    }
    *list = id;
    return ROSTER_OK;
}

int revalidate(roster_discord* ctx, std::size_t* removed) {
    std::size_t n = 0;
    for (auto& [sid, s] : ctx->sessions) {
        for (auto it = s.lists.begin(); it != s.lists.end();) {
            int view = 0;
            int st = roster_list_can_view(&view, ctx->guild, it->first, s.user);
            if (st == ROSTER_ENOTFOUND) {  // the list is gone: nothing held
                it = s.lists.erase(it);
                continue;
            }
            if (st) return st;
            if (!view) {
                st = roster_session_subscribe(ctx->guild, sid, it->first, nullptr, 0);
                if (st && st != ROSTER_ENOTFOUND) return st;
                it = s.lists.erase(it);
                ++n;
                continue;
            }
            ++it;
        }
    }
    if (removed) *removed = n;
    return ROSTER_OK;
}

// Ends a batch opened by the caller; an earlier failure wins.
int commit(roster_guild* g, int status) {
    const int c = roster_batch_commit(g);
    return status != ROSTER_OK ? status : c;
}

}  // namespace

extern "C" {

int roster_discord_create(roster_discord** out, roster_guild* guild, uint64_t guild_id,
                          int everyone_view) {
    if (!out || !guild || guild_id == 0 || (everyone_view != 0 && everyone_view != 1))
        return ROSTER_EINVAL;
    roster_discord* ctx = new (std::nothrow) roster_discord;
    if (!ctx) return ROSTER_ENOMEM;
    if (int s = roster_guild_set_everyone_view(guild, everyone_view); s != ROSTER_OK) {
        delete ctx;
        return s;
    }
    ctx->guild = guild;
    ctx->guild_id = guild_id;
    ctx->everyone_view = everyone_view;
    *out = ctx;
    return ROSTER_OK;
}

void roster_discord_destroy(roster_discord* ctx) { delete ctx; }

int roster_discord_channel_set(roster_discord* ctx, uint64_t channel_id,
                               const roster_discord_overwrite* overwrites,
                               size_t overwrite_count) {
    if (!ctx || channel_id == 0) return ROSTER_EINVAL;
    try {
        ChannelEntry e;
        if (int s = describe(&e.desc, ctx->guild_id, ctx->everyone_view, overwrites,
                             overwrite_count);
            s)
            return s;
        e.overwrites.assign(overwrites, overwrites + overwrite_count);
        auto old = ctx->channels.find(channel_id);
        if (old != ctx->channels.end() && old->second.desc.everyone == e.desc.everyone &&
            (e.desc.everyone || old->second.desc.key == e.desc.key)) {
            e.list = old->second.list;
            old->second = std::move(e);
            return ROSTER_OK;
        }
        if (int s = roster_batch_begin(ctx->guild); s) return s;
        std::uint64_t list = 0;
        if (int s = acquire(ctx, e.desc, &list); s) return commit(ctx->guild, s);
        e.list = list;
        int st = ROSTER_OK;
        if (old != ctx->channels.end()) {
            st = release(ctx, old->second.desc);
            old->second = std::move(e);
        } else {
            ctx->channels.emplace(channel_id, std::move(e));
        }
        if (st == ROSTER_OK) st = revalidate(ctx, nullptr);
        return commit(ctx->guild, st);
    } catch (const std::bad_alloc&) {
        return ROSTER_ENOMEM;
    }
}

int roster_discord_channel_remove(roster_discord* ctx, uint64_t channel_id) {
    if (!ctx || channel_id == 0) return ROSTER_EINVAL;
    auto it = ctx->channels.find(channel_id);
    if (it == ctx->channels.end()) return ROSTER_ENOTFOUND;
    // The batch refuses (EBUSY) inside the frame callback before anything
    // changes; the list's removal then cannot fail.
    if (int s = roster_batch_begin(ctx->guild); s) return s;
    const Channel desc = std::move(it->second.desc);
    ctx->channels.erase(it);
    return commit(ctx->guild, release(ctx, desc));
}

int roster_discord_channel_list(uint64_t* list, roster_discord_list_id* id,
                                const roster_discord* ctx, uint64_t channel_id) {
    if (!list || !ctx || channel_id == 0) return ROSTER_EINVAL;
    auto it = ctx->channels.find(channel_id);
    if (it == ctx->channels.end()) return ROSTER_ENOTFOUND;
    *list = it->second.list;
    if (id) fill_id(id, it->second.desc, it->second.list);
    return ROSTER_OK;
}

int roster_discord_set_everyone_view(roster_discord* ctx, int view) {
    if (!ctx || (view != 0 && view != 1)) return ROSTER_EINVAL;
    if (view == ctx->everyone_view) return ROSTER_OK;
    try {
        // Describe every channel anew first (allocations before changes).
        std::vector<std::pair<std::uint64_t, Channel>> moved;
        for (auto& [id, e] : ctx->channels) {
            Channel d;
            if (int s = describe(&d, ctx->guild_id, view, e.overwrites.data(),
                                 e.overwrites.size());
                s)
                return s;
            if (d.everyone != e.desc.everyone) moved.emplace_back(id, std::move(d));
        }
        if (int s = roster_batch_begin(ctx->guild); s) return s;
        // Lists first, so that a failure leaves the channels as they were.
        std::vector<std::uint64_t> lists(moved.size());
        for (std::size_t i = 0; i < moved.size(); ++i) {
            if (int s = acquire(ctx, moved[i].second, &lists[i]); s) {
                for (std::size_t j = i; j-- > 0;) release(ctx, moved[j].second);
                return commit(ctx->guild, s);
            }
        }
        int st = roster_guild_set_everyone_view(ctx->guild, view);
        if (st) {
            for (std::size_t j = moved.size(); j-- > 0;) release(ctx, moved[j].second);
            return commit(ctx->guild, st);
        }
        ctx->everyone_view = view;
        for (std::size_t i = 0; i < moved.size(); ++i) {
            ChannelEntry& e = ctx->channels[moved[i].first];
            const int r = release(ctx, e.desc);
            if (r && st == ROSTER_OK) st = r;
            e.desc = std::move(moved[i].second);
            e.list = lists[i];
        }
        // Channels that kept a hashed list keep their description's key;
        // refresh their "everyone" flag (unchanged by construction).
        if (st == ROSTER_OK) st = revalidate(ctx, nullptr);
        return commit(ctx->guild, st);
    } catch (const std::bad_alloc&) {
        return ROSTER_ENOMEM;
    }
}

int roster_discord_can_view(int* out, const roster_discord* ctx, uint64_t channel_id,
                            uint64_t user_id) {
    if (!out || !ctx || channel_id == 0 || user_id == 0) return ROSTER_EINVAL;
    auto it = ctx->channels.find(channel_id);
    if (it == ctx->channels.end()) return ROSTER_ENOTFOUND;
    return roster_list_can_view(out, ctx->guild, it->second.list, user_id);
}

int roster_discord_request(roster_discord_request_info* info, roster_discord* ctx,
                           uint64_t session_id, uint64_t user_id, const char* json, size_t len) {
    if (!ctx || session_id == 0 || user_id == 0 || (!json && len)) return ROSTER_EINVAL;
    if (info && info->size < sizeof(roster_discord_request_info)) return ROSTER_EINVAL;
    roster_discord_request_info res = ROSTER_DISCORD_REQUEST_INFO_INIT;
    if (info) res.size = info->size;
    auto done = [&](int s) {
        if (info) *info = res;
        return s;
    };
    try {
        auto known = ctx->sessions.find(session_id);
        if (known != ctx->sessions.end() && known->second.user != user_id)
            return done(ROSTER_EINVAL);
        Request req;
        int s = parse_request(&req, ctx->guild_id, json ? json : "", len);
        res.op = req.op;
        if (s) return done(s);
        if (!req.guild_named) return done(ROSTER_ENOTFOUND);
        res.channels = std::uint32_t(req.channels.size());
        // Every channel known and viewable before anything changes.
        std::map<std::uint64_t, std::vector<roster_range>> by_list;
        for (const RequestChannel& c : req.channels) {
            auto it = ctx->channels.find(c.id);
            res.failed_channel = c.id;
            if (it == ctx->channels.end()) return done(ROSTER_ENOTFOUND);
            int view = 0;
            if (int e = roster_list_can_view(&view, ctx->guild, it->second.list, user_id); e)
                return done(e);
            if (!view) return done(ROSTER_EACCESS);
            auto& r = by_list[it->second.list];
            r.insert(r.end(), c.ranges.begin(), c.ranges.end());
        }
        res.failed_channel = 0;
        // What the session holds now, to put back on a failure.
        size_t dummy = 0;
        const bool existed =
            roster_session_ranges(nullptr, 0, &dummy, ctx->guild, session_id, 0) !=
            ROSTER_ENOTFOUND;
        std::vector<std::pair<std::uint64_t, std::vector<roster_range>>> before;
        for (const auto& [list, r] : by_list) {
            std::vector<roster_range> held;
            const SessionEntry* se = known != ctx->sessions.end() ? &known->second : nullptr;
            if (se && se->lists.count(list)) {
                held = se->lists.at(list);  // as requested: accepted again
            } else if (existed) {
                size_t n = 0;
                if (int e = roster_session_ranges(nullptr, 0, &n, ctx->guild, session_id, list); e)
                    return done(e);
                held.resize(n);
                if (n) {
                    if (int e = roster_session_ranges(held.data(), n, &n, ctx->guild, session_id,
                                                      list);
                        e)
                        return done(e);
                }
            }
            before.emplace_back(list, std::move(held));
        }
        SessionEntry& entry = ctx->sessions[session_id];  // may throw: nothing changed yet
        const bool new_entry = entry.user == 0;
        entry.user = user_id;
        if (int e = roster_batch_begin(ctx->guild); e) {
            if (new_entry) ctx->sessions.erase(session_id);
            return done(e);
        }
        std::size_t applied = 0;
        int st = ROSTER_OK;
        for (const auto& [list, r] : by_list) {
            st = roster_session_subscribe(ctx->guild, session_id, list,
                                          r.empty() ? nullptr : r.data(), r.size());
            if (st) break;
            ++applied;
        }
        if (st) {
            for (std::size_t i = applied; i-- > 0;) {
                const auto& b = before[i].second;
                roster_session_subscribe(ctx->guild, session_id, before[i].first,
                                         b.empty() ? nullptr : b.data(), b.size());
            }
            if (!existed) roster_session_remove(ctx->guild, session_id);
            if (new_entry) ctx->sessions.erase(session_id);
            return done(commit(ctx->guild, st));
        }
        for (const auto& [list, r] : by_list) {
            if (r.empty())
                entry.lists.erase(list);
            else
                entry.lists[list] = r;
        }
        res.lists = std::uint32_t(by_list.size());
        return done(commit(ctx->guild, ROSTER_OK));
    } catch (const std::bad_alloc&) {
        return done(ROSTER_ENOMEM);
    }
}

int roster_discord_session_remove(roster_discord* ctx, uint64_t session_id) {
    if (!ctx || session_id == 0) return ROSTER_EINVAL;
    return ctx->sessions.erase(session_id) ? ROSTER_OK : ROSTER_ENOTFOUND;
}

int roster_discord_revalidate(size_t* removed, roster_discord* ctx) {
    if (!ctx) return ROSTER_EINVAL;
    if (int s = roster_batch_begin(ctx->guild); s) return s;
    return commit(ctx->guild, revalidate(ctx, removed));
}

}  // extern "C"
