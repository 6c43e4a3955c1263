// A guild on the host's allocator (roster_config.allocator), at a size
// where its memory is mostly slabs, trees and caches: members added in bulk
// and one by one, roles, lists, sessions on several lists, batches of
// events with frames, a save and a load (of a second guild through the same
// hooks), then destroy. Checked:
//  - every block the hooks handed out is given back by destroy (allocations
//    equal frees), and none went to the wrong free;
//  - no memory of the guild comes from operator new while it runs (every
//    call is made with the countdown armed, far away, so that an operator
//    new inside the library is counted as stray);
//  - roster_guild_stats' memory_bytes equals what the hooks hold, after
//    every call; and the hooks' peak is within 10% of the largest
//    memory_bytes seen (what a call needs for itself while it runs is
//    small beside what the guild holds).
// Compiled into the hooks-mode program (countdown_new.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "roster/roster.h"

#define COUNTDOWN_NEW_SHARED
#include "countdown_new.hpp"
#include "row_window.hpp"

namespace {

// Sizes of the blocks the counting hooks hold, behind the same tagged
// header as the failing hooks (countdown_new.hpp), size in its second half.
struct Counting {
    long long live = 0, peak = 0;
    long long requested = 0;  // every size asked for, summed (reallocations too)
    long allocs = 0, frees = 0;
};

void* count_allocate(std::size_t n, void* user) {
    auto& c = *static_cast<Counting*>(user);
    void* p = hook_allocate(n, nullptr);
    if (!p) return nullptr;
    std::memcpy(static_cast<unsigned char*>(p) - 8, &n, sizeof n);
    ++c.allocs;
    c.requested += static_cast<long long>(n);
    c.live += static_cast<long long>(n);
    c.peak = std::max(c.peak, c.live);
    return p;
}
void* count_reallocate(void* ptr, std::size_t n, void* user) {
    auto& c = *static_cast<Counting*>(user);
    std::size_t old;
    std::memcpy(&old, static_cast<unsigned char*>(ptr) - 8, sizeof old);
    void* p = hook_reallocate(ptr, n, nullptr);
    if (!p) return nullptr;
    std::memcpy(static_cast<unsigned char*>(p) - 8, &n, sizeof n);
    c.requested += static_cast<long long>(n);
    c.live += static_cast<long long>(n) - static_cast<long long>(old);
    c.peak = std::max(c.peak, c.live);
    return p;
}
void count_deallocate(void* ptr, void* user) {
    auto& c = *static_cast<Counting*>(user);
    std::size_t n;
    std::memcpy(&n, static_cast<unsigned char*>(ptr) - 8, sizeof n);
    ++c.frees;
    c.live -= static_cast<long long>(n);
    hook_deallocate(ptr, nullptr);
}

roster_config counting_config(Counting* c) {
    roster_config cfg = ROSTER_CONFIG_INIT;
    cfg.allocator.allocate = count_allocate;
    cfg.allocator.reallocate = count_reallocate;
    cfg.allocator.deallocate = count_deallocate;
    cfg.allocator.user_data = c;
    return cfg;
}

struct Seen {
    long frames = 0;
    long long max_stats = 0;
};

void on_frame(const roster_frame*, const uint64_t*, size_t, void* user) {
    const Unarmed unarmed;
    ++static_cast<Seen*>(user)->frames;
}

int append(const void* data, size_t len, void* user) {
    const Unarmed unarmed;
    auto* b = static_cast<std::vector<unsigned char>*>(user);
    b->insert(b->end(), static_cast<const unsigned char*>(data),
              static_cast<const unsigned char*>(data) + len);
    return 0;
}

// memory_bytes now, checked against what the hooks hold.
long long stats_bytes(const roster_guild* g, const Counting& c, Seen& seen) {
    const Unarmed unarmed;
    roster_stats st = ROSTER_STATS_INIT;
    REQUIRE(roster_guild_stats(&st, g) == ROSTER_OK);
    const auto bytes = static_cast<long long>(st.memory_bytes);
    // The guild's count is of the bytes it asked for; a role list that
    // shrank in place (a role removed) counts 4 bytes less than its block.
    CHECK(bytes <= c.live);
    CHECK(bytes >= c.live - c.live / 100);
    seen.max_stats = std::max(seen.max_stats, bytes);
    return bytes;
}

// A mid-sized guild with sessions, driven through most of the API.
void drive(roster_guild* g, const Counting& c, Seen& seen, std::uint64_t members) {
    const roster_role roles[] = {{10, 5, ROSTER_ROLE_HOIST}, {11, 3, ROSTER_ROLE_HOIST},
                                 {12, 1, ROSTER_ROLE_VIEW}, {13, 0, 0}};
    for (const roster_role& r : roles) REQUIRE(roster_role_upsert(g, &r) == ROSTER_OK);
    std::vector<roster_member_spec> specs;
    std::vector<std::string> names;
    std::vector<std::uint64_t> role_ids;
    {
        const Unarmed unarmed;
        role_ids = {10, 11, 12, 13};
        names.reserve(members);
        for (std::uint64_t i = 1; i <= members; ++i) {
            // Long names in part: some need a block of their own.
            names.push_back((i % 7 ? "m" : "a member with a rather long name ") + std::to_string(i));
        }
        for (std::uint64_t i = 1; i <= members; ++i) {
            roster_member_spec s{};
            s.id = i;
            s.name = names[i - 1].c_str();
            s.name_len = names[i - 1].size();
            s.roles = role_ids.data() + (i % 4);
            s.role_count = i % 11 == 0 ? 4 - (i % 4) : std::min<std::size_t>(1, 4 - (i % 4));
            s.status = static_cast<int>(i % 4);
            specs.push_back(s);
        }
    }
    REQUIRE(roster_members_add(g, specs.data(), specs.size()) == ROSTER_OK);
    stats_bytes(g, c, seen);
    roster_overwrite allow12[] = {{12, 1}};
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    rule.everyone = ROSTER_OVERWRITE_DENY;
    rule.roles = allow12;
    rule.role_count = 1;
    REQUIRE(roster_list_set(g, 7, &rule) == ROSTER_OK);
    roster_list_rule all = ROSTER_LIST_RULE_INIT;
    REQUIRE(roster_list_set(g, 8, &all) == ROSTER_OK);
    REQUIRE(roster_guild_set_frame_callback(g, on_frame, &seen) == ROSTER_OK);
    for (std::uint64_t s = 1; s <= 300; ++s) {
        const std::uint64_t list = s % 3 == 0 ? 0 : s % 3 == 1 ? 7 : 8;
        const std::uint32_t at = static_cast<std::uint32_t>((s * 137) % (members / 2));
        const roster_range r[2] = {{0, 99}, {at, at + 99}};
        REQUIRE(roster_session_subscribe(g, s, list, r, 2) == ROSTER_OK);
    }
    stats_bytes(g, c, seen);
    for (int round = 0; round < 20; ++round) {
        REQUIRE(roster_batch_begin(g) == ROSTER_OK);
        for (std::uint64_t k = 0; k < 200; ++k) {
            const std::uint64_t id = 1 + (k * 7919 + round * 104729) % (members - 100);
            REQUIRE(roster_member_set_status(g, id, static_cast<int>((k + round) % 4)) == ROSTER_OK);
            if (k % 50 == 0) REQUIRE(roster_member_add_role(g, id, 13) == ROSTER_OK);
            if (k % 60 == 0) (void)roster_member_remove_role(g, id, 10);
        }
        char name[64];
        std::snprintf(name, sizeof name, "renamed member with a long name %d", round);
        REQUIRE(roster_member_set_name(g, 1 + round, name, std::strlen(name)) == ROSTER_OK);
        REQUIRE(roster_member_remove(g, members - round) == ROSTER_OK);
        REQUIRE(roster_batch_commit(g) == ROSTER_OK);
        stats_bytes(g, c, seen);
    }
    // Host sort keys longer than any small-string buffer: a snapshot of
    // them is read through the loader's scratch, which must be the guild's.
    for (std::uint64_t id = 2; id <= 40; id += 2) {
        char key[48];
        std::snprintf(key, sizeof key, "a host sort key of forty bytes, no %04u",
                      static_cast<unsigned>(id));
        REQUIRE(roster_member_set_sort_key(g, id, key, std::strlen(key)) == ROSTER_OK);
    }
    REQUIRE(roster_guild_set_offline_threshold(g, 10) == ROSTER_OK);
    REQUIRE(roster_role_remove(g, 11) == ROSTER_OK);
    // The guild's largest (a hoisted role's members move): taken before
    // sessions and a list go, so that the peak is compared with it.
    stats_bytes(g, c, seen);
    for (std::uint64_t s = 1; s <= 300; s += 2) REQUIRE(roster_session_remove(g, s) == ROSTER_OK);
    REQUIRE(roster_list_remove(g, 7) == ROSTER_OK);
    stats_bytes(g, c, seen);
}

}  // namespace

TEST_SUITE("allocator") {

TEST_CASE("this program writes every chunk's cached rows past the cache") {
    // Its session sweeps then check, replica by replica, the path that
    // otherwise only pools of 32 MiB and more take (see tests/meson.build).
    CHECK(roster::RowPool::stream_from_default == 0);
    roster::RowPool pool(4);
    (void)pool.allocate();
    CHECK(pool.past_cache());
}

TEST_CASE("a guild on counting hooks: every block back, none from elsewhere, stats exact") {
    REQUIRE(g_via_hooks);
    Counting c, c2;
    Seen seen, seen2;
    g_stray_new = 0;
    g_hook_bad_free = 0;
    {
        const roster_config cfg = counting_config(&c);
        roster_guild* g = nullptr;
        g_countdown = LONG_MAX;  // armed, never reached: operator new is stray
        REQUIRE(roster_guild_create(&g, &cfg) == ROSTER_OK);
        drive(g, c, seen, 20000);
        std::vector<unsigned char> bytes;
        {
            const Unarmed unarmed;
            bytes.reserve(1 << 20);
        }
        REQUIRE(roster_guild_save(g, ROSTER_SAVE_SESSIONS, append, &bytes) == ROSTER_OK);
        // The snapshot loaded through other hooks: its memory is theirs.
        const roster_config cfg2 = counting_config(&c2);
        roster_guild* g2 = nullptr;
        REQUIRE(roster_guild_load_buffer(&g2, &cfg2, bytes.data(), bytes.size()) == ROSTER_OK);
        stats_bytes(g2, c2, seen2);
        REQUIRE(roster_guild_set_frame_callback(g2, on_frame, &seen2) == ROSTER_OK);
        REQUIRE(roster_member_set_status(g2, 5, ROSTER_DND) == ROSTER_OK);
        stats_bytes(g2, c2, seen2);
        roster_guild_destroy(g);
        roster_guild_destroy(g2);
        g_countdown = -1;
    }
    CHECK(seen.frames > 100);
    CHECK(c.allocs > 1000);
    CHECK(c.allocs == c.frees);
    CHECK(c.live == 0);
    CHECK(c2.allocs == c2.frees);
    CHECK(c2.live == 0);
    CHECK(g_stray_new == 0);
    CHECK(g_hook_bad_free == 0);
    CHECK(g_hook_live == 0);
    MESSAGE("peak " << c.peak << " bytes; largest memory_bytes " << seen.max_stats);
    CHECK(static_cast<double>(c.peak) <= 1.10 * static_cast<double>(seen.max_stats));
    CHECK(static_cast<double>(c.peak) >= static_cast<double>(seen.max_stats));
}

// n members without roles, all named `name`: member i gets id_of(i) and
// status_of(i).
template <class IdOf, class StatusOf>
std::vector<roster_member_spec> named_specs(std::uint64_t n, const char* name, IdOf id_of, StatusOf status_of) {
    std::vector<roster_member_spec> specs(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        specs[i] = roster_member_spec{};
        specs[i].id = id_of(i);
        specs[i].name = name;
        specs[i].name_len = std::strlen(name);
        specs[i].status = status_of(i);
    }
    return specs;
}

// Subscribing n sessions in one batch must cost memory traffic linear in
// n. A container grown by reserve(size() + 1) before each push reallocates
// and copies all of itself every time: the batch's pending sessions, the
// audience's members when they all subscribe to the same rows, the list's
// audiences and held chunks when each subscribes to rows of its own.
// Summed over the batch, that asks the allocator for O(n^2) bytes (over
// 100 MB here), where geometric growth asks O(n).
TEST_CASE("sessions subscribing in one batch: the bytes asked for grow linearly") {
    REQUIRE(g_via_hooks);
    constexpr std::uint64_t n = 4000;
    const std::vector<roster_member_spec> specs =
        named_specs(n, "m", [](std::uint64_t i) { return i + 1; }, [](std::uint64_t) { return ROSTER_ONLINE; });
    // A fresh guild of n members, then n sessions subscribed in one batch
    // (each to row 1, or each to a row of its own): the bytes asked for
    // from the first subscribe to the end of the commit.
    auto asked = [&](bool same_rows) {
        Counting c;
        roster_config cfg = counting_config(&c);
        cfg.chunk_size = 1;  // a chunk per row: n rows, n distinct audiences
        roster_guild* g = nullptr;
        REQUIRE(roster_guild_create(&g, &cfg) == ROSTER_OK);
        REQUIRE(roster_members_add(g, specs.data(), specs.size()) == ROSTER_OK);
        const long long before = c.requested;
        REQUIRE(roster_batch_begin(g) == ROSTER_OK);
        for (std::uint64_t s = 1; s <= n; ++s) {
            const std::uint32_t row = same_rows ? 1 : static_cast<std::uint32_t>(s);
            const roster_range r = {row, row};
            REQUIRE(roster_session_subscribe(g, s, 0, &r, 1) == ROSTER_OK);
        }
        REQUIRE(roster_batch_commit(g) == ROSTER_OK);
        const long long bytes = c.requested - before;
        roster_guild_destroy(g);
        CHECK(c.live == 0);
        return bytes;
    };
    const long long same = asked(true);       // one audience of n sessions
    const long long distinct = asked(false);  // n audiences of one
    MESSAGE("bytes asked for by " << n << " subscribes and their commit: " << same
                                  << " (one audience), " << distinct << " (" << n << " audiences)");
    // What a session, its audience and its chunk hold, and what the commit
    // needs for their frames, is a few hundred bytes a session; 4 KiB a
    // session leaves room for that and nothing quadratic.
    CHECK(same < static_cast<long long>(n) * 4096);
    CHECK(distinct < static_cast<long long>(n) * 4096);
}

// A bulk load's own working memory (the id index's pairs, then each
// list's sorted runs, the slots it inserts at the commit) is freed by the
// time the call returns; only its peak is seen. At 10M members each byte a
// member of it is 10 MB of fresh pages to touch. With OFFLINE hidden (the
// common case for a large guild), its members are parked unsorted and need
// no room in the runs.
TEST_CASE("a bulk load's working memory beyond what the guild keeps") {
    REQUIRE(g_via_hooks);
    constexpr std::uint64_t n = 100000;
    const std::vector<roster_member_spec> specs = named_specs(
        n, "member", [](std::uint64_t i) { return 1000003 * (i + 1); },  // spread over the id index
        [](std::uint64_t i) { return i % 10 < 3 ? ROSTER_ONLINE : ROSTER_OFFLINE; });  // 70% offline
    Counting c;
    roster_config cfg = counting_config(&c);
    roster_guild* g = nullptr;
    REQUIRE(roster_guild_create(&g, &cfg) == ROSTER_OK);  // OFFLINE hidden from 1,000
    const long long before = c.live;
    c.peak = c.live;
    REQUIRE(roster_members_add(g, specs.data(), specs.size()) == ROSTER_OK);
    const double kept = static_cast<double>(c.live - before) / n;
    const double working = static_cast<double>(c.peak - c.live) / n;
    MESSAGE("bytes per member: kept " << kept << ", working memory at the peak " << working);
    // The index's pairs (12 bytes), the batch's slots (4) and the parked
    // members' slots (4 of every offline member's): about 20. Sorting the
    // parked members too, or pairs of 16 bytes beside a copy of the ids,
    // asked for over 30.
    CHECK(working < 22.0);
    std::uint32_t rows = 0;
    REQUIRE(roster_list_length(&rows, g, 0) == ROSTER_OK);
    CHECK(rows == 30000 + 1);  // the online members under their header
    roster_guild_destroy(g);
    CHECK(c.live == 0);
}

TEST_CASE("allocator hooks: a partial set is refused") {
    roster_config cfg = ROSTER_CONFIG_INIT;
    roster_guild* g = nullptr;
    cfg.allocator.allocate = hook_allocate;
    CHECK(roster_guild_create(&g, &cfg) == ROSTER_EINVAL);
    cfg.allocator.allocate = nullptr;
    cfg.allocator.deallocate = hook_deallocate;
    CHECK(roster_guild_create(&g, &cfg) == ROSTER_EINVAL);
    cfg.allocator.reallocate = hook_reallocate;
    CHECK(roster_guild_create(&g, &cfg) == ROSTER_EINVAL);
    cfg = ROSTER_CONFIG_INIT;
    cfg.reserved = 1;
    CHECK(roster_guild_create(&g, &cfg) == ROSTER_EINVAL);
    CHECK(roster_guild_load_buffer(&g, &cfg, "x", 1) == ROSTER_EINVAL);
    CHECK(g == nullptr);
    // Without reallocate the engine allocates, copies and frees instead.
    cfg = ROSTER_CONFIG_INIT;
    cfg.allocator.allocate = hook_allocate;
    cfg.allocator.deallocate = hook_deallocate;
    const long live = g_hook_live;
    REQUIRE(roster_guild_create(&g, &cfg) == ROSTER_OK);
    for (std::uint64_t i = 1; i <= 5000; ++i)
        REQUIRE(roster_member_add(g, i, "member", 6, nullptr, 0, ROSTER_ONLINE) == ROSTER_OK);
    CHECK(g_hook_live > live);
    roster_guild_destroy(g);
    CHECK(g_hook_live == live);
}

}  // TEST_SUITE
