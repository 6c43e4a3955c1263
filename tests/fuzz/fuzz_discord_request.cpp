// libFuzzer target: lazy-guild requests (roster_discord_request) from the
// input, against a guild with channels of every kind of overwrite. The
// first byte picks the guild-level @everyone VIEW and the user; the rest is
// split at newlines into requests of one session. Oracles after each: the
// status is one of those documented; a refused request changed no
// subscription, made no session and sent no frame; after an accepted one,
// the session holds ranges only in lists its user may view (by the
// engine's own rule), and only the ranges the request asked for.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <roster/discord.h>

namespace {

[[noreturn]] void fail(const char* what, std::string_view req) {
    std::fprintf(stderr, "oracle failed: %s\nrequest: %.*s\n", what,
                 int(req.size() > 2000 ? 2000 : req.size()), req.data());
    std::abort();
}

void count_frame(const roster_frame*, const std::uint64_t*, std::size_t, void* u) {
    ++*static_cast<std::size_t*>(u);
}

std::vector<roster_range> held(roster_guild* g, std::uint64_t session, std::uint64_t list) {
    std::size_t n = 0;
    if (roster_session_ranges(nullptr, 0, &n, g, session, list) != ROSTER_OK) return {};
    std::vector<roster_range> r(n);
    if (n && roster_session_ranges(r.data(), n, &n, g, session, list) != ROSTER_OK)
        std::abort();
    return r;
}

bool same(const std::vector<roster_range>& a, const std::vector<roster_range>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].start != b[i].start || a[i].end != b[i].end) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t first = data[0];
    const int everyone_view = first & 1;
    const std::uint64_t users[] = {11, 12, 13, 14, 15, 99};
    const std::uint64_t user = users[(first >> 1) % 6];
    constexpr std::uint64_t G = 1000, session = 5;

    roster_guild* g = nullptr;
    roster_config cfg = ROSTER_CONFIG_INIT;
    cfg.chunk_size = 10;
    cfg.max_range_span = 100;
    if (roster_guild_create(&g, &cfg) != ROSTER_OK) std::abort();
    std::size_t frames = 0;
    roster_guild_set_frame_callback(g, &count_frame, &frames);
    roster_discord* ctx = nullptr;
    if (roster_discord_create(&ctx, g, G, everyone_view) != ROSTER_OK) std::abort();
    const roster_role roles[] = {{1, 4, ROSTER_ROLE_VIEW}, {2, 3, 0}, {3, 2, ROSTER_ROLE_ADMIN},
                                 {4, 1, ROSTER_ROLE_HOIST}};
    for (const roster_role& r : roles) roster_role_upsert(g, &r);
    const std::uint64_t r1[] = {1}, r2[] = {2}, r3[] = {3}, r24[] = {2, 4};
    roster_member_add(g, 11, "a", 1, nullptr, 0, ROSTER_ONLINE);
    roster_member_add(g, 12, "b", 1, r1, 1, ROSTER_ONLINE);
    roster_member_add(g, 13, "c", 1, r2, 1, ROSTER_OFFLINE);
    roster_member_add(g, 14, "d", 1, r3, 1, ROSTER_IDLE);
    roster_member_add(g, 15, "e", 1, r24, 2, ROSTER_DND);
    using Ow = roster_discord_overwrite;
    const Ow c7[] = {{2, ROSTER_DISCORD_OVERWRITE_ROLE, ROSTER_OVERWRITE_DENY}};
    const Ow c8[] = {{G, ROSTER_DISCORD_OVERWRITE_ROLE, ROSTER_OVERWRITE_DENY},
                     {4, ROSTER_DISCORD_OVERWRITE_ROLE, ROSTER_OVERWRITE_ALLOW}};
    const Ow c10[] = {{11, ROSTER_DISCORD_OVERWRITE_MEMBER, ROSTER_OVERWRITE_DENY},
                      {13, ROSTER_DISCORD_OVERWRITE_MEMBER, ROSTER_OVERWRITE_ALLOW}};
    roster_discord_channel_set(ctx, 7, c7, 1);
    roster_discord_channel_set(ctx, 8, c8, 2);
    roster_discord_channel_set(ctx, 9, nullptr, 0);
    roster_discord_channel_set(ctx, 10, c10, 2);
    roster_discord_channel_set(ctx, 11, c8, 2);  // shares channel 8's list
    std::vector<std::uint64_t> lists;
    for (std::uint64_t c = 7; c <= 11; ++c) {
        std::uint64_t l = 0;
        if (roster_discord_channel_list(&l, nullptr, ctx, c) != ROSTER_OK) std::abort();
        lists.push_back(l);
    }

    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    for (int k = 0; k < 8 && !rest.empty(); ++k) {
        const std::size_t nl = rest.find('\n');
        const std::string_view req = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        std::vector<std::vector<roster_range>> before;
        for (std::uint64_t l : lists) before.push_back(held(g, session, l));
        std::uint32_t sessions_before = 0;
        roster_guild_session_count(&sessions_before, g);
        frames = 0;
        roster_discord_request_info info = ROSTER_DISCORD_REQUEST_INFO_INIT;
        const int s = roster_discord_request(&info, ctx, session, user, req.data(), req.size());
        if (s != ROSTER_OK && s != ROSTER_EINVAL && s != ROSTER_ENOTFOUND && s != ROSTER_ELIMIT &&
            s != ROSTER_EACCESS)
            fail("an undocumented status", req);
        if (s != ROSTER_OK) {
            std::uint32_t sessions_after = 0;
            roster_guild_session_count(&sessions_after, g);
            if (frames || sessions_after != sessions_before) fail("a refusal changed something", req);
            for (std::size_t i = 0; i < lists.size(); ++i)
                if (!same(before[i], held(g, session, lists[i])))
                    fail("a refusal changed a subscription", req);
            continue;
        }
        for (std::uint64_t l : lists) {
            if (held(g, session, l).empty()) continue;
            int view = 0;
            if (roster_list_can_view(&view, g, l, user) != ROSTER_OK || !view)
                fail("a subscription to a list the user may not view", req);
        }
    }
    roster_discord_destroy(ctx);
    roster_guild_destroy(g);
    return 0;
}
