// List ids as Discord clients compute them, and the roster_list_rule that
// gives the same members (docs/discord.md §2).
#include <algorithm>
#include <cstring>
#include <new>

#include "internal.hpp"

namespace rdiscord {

std::size_t format_u64(char* out, std::uint64_t v) {
    char tmp[21];
    std::size_t n = 0;
    do {
        tmp[n++] = char('0' + v % 10);
        v /= 10;
    } while (v);
    for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

int describe(Channel* out, std::uint64_t guild_id, int everyone_view,
             const roster_discord_overwrite* ows, std::size_t count) {
    if ((count && !ows) || (everyone_view != 0 && everyone_view != 1)) return ROSTER_EINVAL;
    if (count > ROSTER_DISCORD_MAX_OVERWRITES) return ROSTER_ELIMIT;
    std::vector<std::uint64_t> ids;
    ids.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const roster_discord_overwrite& o = ows[i];
        if (o.id == 0 || o.type > ROSTER_DISCORD_OVERWRITE_MEMBER || o.view < ROSTER_OVERWRITE_NONE ||
            o.view > ROSTER_OVERWRITE_DENY)
            return ROSTER_EINVAL;
        if (o.type == ROSTER_DISCORD_OVERWRITE_MEMBER && o.id == guild_id) return ROSTER_EINVAL;
        ids.push_back(o.id);
    }
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return ROSTER_EINVAL;

    Channel c;
    std::vector<std::string> parts;
    bool deny = false;
    for (std::size_t i = 0; i < count; ++i) {
        const roster_discord_overwrite& o = ows[i];
        if (o.view == ROSTER_OVERWRITE_NONE) continue;
        const bool allow = o.view == ROSTER_OVERWRITE_ALLOW;
        deny |= !allow;
        char num[21];
        format_u64(num, o.id);
        parts.push_back(std::string(allow ? "allow:" : "deny:") + num);
        if (o.type == ROSTER_DISCORD_OVERWRITE_ROLE && o.id == guild_id)
            c.everyone_ow = o.view;
        else
            (o.type == ROSTER_DISCORD_OVERWRITE_ROLE ? c.roles : c.members)
                .push_back(roster_overwrite{o.id, allow ? 1 : 0});
    }
    // Byte order: JavaScript's default sort compares UTF-16 code units, the
    // same order for these ASCII strings.
    std::sort(parts.begin(), parts.end());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) c.key += ',';
        c.key += parts[i];
    }
    c.everyone = everyone_view == 1 && !deny;
    c.hash = roster_discord_murmur3_32(c.key.data(), c.key.size(), 0);
    *out = std::move(c);
    return ROSTER_OK;
}

void fill_id(roster_discord_list_id* id, const Channel& c, std::uint64_t list) {
    id->everyone = c.everyone ? 1u : 0u;
    id->hash = c.everyone ? 0u : c.hash;
    id->list = list;
    std::memset(id->text, 0, sizeof id->text);
    if (c.everyone)
        std::memcpy(id->text, "everyone", 8);
    else
        format_u64(id->text, c.hash);
}

}  // namespace rdiscord

using namespace rdiscord;

extern "C" {

int roster_discord_compute_list_id(roster_discord_list_id* id, roster_list_rule* rule,
                                   roster_overwrite* scratch, size_t scratch_cap,
                                   uint64_t guild_id, int everyone_view,
                                   const roster_discord_overwrite* overwrites,
                                   size_t overwrite_count) {
    if (!id) return ROSTER_EINVAL;
    if (rule && (rule->size < sizeof(roster_list_rule) || (overwrite_count && !scratch) ||
                 scratch_cap < overwrite_count))
        return ROSTER_EINVAL;
    try {
        Channel c;
        if (int s = describe(&c, guild_id, everyone_view, overwrites, overwrite_count); s)
            return s;
        fill_id(id, c, c.everyone ? 0 : (std::uint64_t(1) << 32) | c.hash);
        if (rule) {
            std::copy(c.roles.begin(), c.roles.end(), scratch);
            std::copy(c.members.begin(), c.members.end(), scratch + c.roles.size());
            rule->everyone = c.everyone_ow;
            rule->roles = c.roles.empty() ? nullptr : scratch;
            rule->role_count = c.roles.size();
            rule->members = c.members.empty() ? nullptr : scratch + c.roles.size();
            rule->member_count = c.members.size();
        }
        return ROSTER_OK;
    } catch (const std::bad_alloc&) {
        return ROSTER_ENOMEM;
    }
}

int roster_discord_list_text(char text[ROSTER_DISCORD_LIST_ID_MAX + 1], uint64_t list) {
    if (!text) return ROSTER_EINVAL;
    if (list == 0)
        std::memcpy(text, "everyone", 9);
    else
        format_u64(text, list & 0xffffffffu);
    return ROSTER_OK;
}

}  // extern "C"
