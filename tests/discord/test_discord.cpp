// The Discord adapter (libroster-discord, include/roster/discord.h):
// MurmurHash3 vectors, list ids, rules against a reference of Discord's
// VIEW_CHANNEL computation, shared lists, lazy-guild requests (good and
// bad), and the frame encoder checked with an independent JSON reader.
#include <doctest/doctest.h>

#include <roster/discord.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "json.hpp"  // examples/sim: the reference JSON reader of the tests

namespace {

using Ow = roster_discord_overwrite;
constexpr uint64_t G = 1000;  // guild id = the @everyone role's id

std::string list_text(int everyone_view, std::vector<Ow> ows, uint64_t guild = G) {
    roster_discord_list_id id;
    REQUIRE(roster_discord_compute_list_id(&id, nullptr, nullptr, 0, guild, everyone_view,
                                           ows.data(), ows.size()) == ROSTER_OK);
    return id.text;
}

Ow role(uint64_t id, int view) { return Ow{id, ROSTER_DISCORD_OVERWRITE_ROLE, view}; }
Ow member(uint64_t id, int view) { return Ow{id, ROSTER_DISCORD_OVERWRITE_MEMBER, view}; }
constexpr int A = ROSTER_OVERWRITE_ALLOW, D = ROSTER_OVERWRITE_DENY, N = ROSTER_OVERWRITE_NONE;

// Frames received, kept as copies.
struct Sink {
    struct F {
        uint64_t list;
        std::vector<uint64_t> sessions;
        size_t ops;
    };
    std::vector<F> frames;
    static void fn(const roster_frame* f, const uint64_t* s, size_t n, void* u) {
        static_cast<Sink*>(u)->frames.push_back(F{f->list_id, std::vector<uint64_t>(s, s + n),
                                                  f->op_count});
    }
};

// A guild with a context. Roles: 1 (VIEW), 2 (no flag), 3 (ADMIN), 4 (HOIST).
struct Fixture {
    roster_guild* g = nullptr;
    roster_discord* ctx = nullptr;
    Sink sink;
    explicit Fixture(int everyone_view = 1) {
        roster_config cfg = ROSTER_CONFIG_INIT;
        REQUIRE(roster_guild_create(&g, &cfg) == ROSTER_OK);
        REQUIRE(roster_guild_set_frame_callback(g, &Sink::fn, &sink) == ROSTER_OK);
        REQUIRE(roster_discord_create(&ctx, g, G, everyone_view) == ROSTER_OK);
        const roster_role roles[] = {{1, 10, ROSTER_ROLE_VIEW}, {2, 9, 0},
                                     {3, 8, ROSTER_ROLE_ADMIN}, {4, 7, ROSTER_ROLE_HOIST}};
        for (const roster_role& r : roles) REQUIRE(roster_role_upsert(g, &r) == ROSTER_OK);
    }
    ~Fixture() {
        roster_discord_destroy(ctx);
        roster_guild_destroy(g);
    }
    void add(uint64_t user, std::vector<uint64_t> roles, int status = ROSTER_ONLINE) {
        char name[32];
        const int n = std::snprintf(name, sizeof name, "u%llu", (unsigned long long)user);
        REQUIRE(roster_member_add(g, user, name, size_t(n), roles.data(), roles.size(),
                                  status) == ROSTER_OK);
    }
    int request(uint64_t session, uint64_t user, const std::string& json,
                roster_discord_request_info* info = nullptr) {
        return roster_discord_request(info, ctx, session, user, json.data(), json.size());
    }
    std::vector<roster_range> ranges(uint64_t session, uint64_t list) {
        size_t n = 0;
        if (roster_session_ranges(nullptr, 0, &n, g, session, list) != ROSTER_OK) return {};
        std::vector<roster_range> r(n);
        if (n) REQUIRE(roster_session_ranges(r.data(), n, &n, g, session, list) == ROSTER_OK);
        return r;
    }
    uint64_t list_of(uint64_t channel) {
        uint64_t l = 0;
        REQUIRE(roster_discord_channel_list(&l, nullptr, ctx, channel) == ROSTER_OK);
        return l;
    }
    uint32_t sessions() {
        uint32_t n = 0;
        REQUIRE(roster_guild_session_count(&n, g) == ROSTER_OK);
        return n;
    }
};

std::string op14(uint64_t channel, const std::string& ranges, uint64_t guild = G) {
    return R"({"op":14,"d":{"guild_id":")" + std::to_string(guild) + R"(","channels":{")" +
           std::to_string(channel) + R"(":)" + ranges + "}}}";
}

}  // namespace

TEST_SUITE("discord") {

TEST_CASE("MurmurHash3 x86_32: the published vectors") {
    struct V {
        const char* data;
        size_t len;
        uint32_t seed, hash;
    };
    const V vs[] = {
        {"", 0, 0, 0},
        {"", 0, 1, 0x514E28B7u},
        {"", 0, 0xffffffffu, 0x81F16F39u},
        {"\xff\xff\xff\xff", 4, 0, 0x76293B50u},
        {"!Ce\x87", 4, 0, 0xF55B516Bu},
        {"!Ce\x87", 4, 0x5082EDEEu, 0x2362F9DEu},
        {"!Ce", 3, 0, 0x7E4A8634u},
        {"!C", 2, 0, 0xA0F7B07Au},
        {"!", 1, 0, 0x72661CF4u},
        {"\0\0\0\0", 4, 0, 0x2362F9DEu},
        {"Hello, world!", 13, 0x9747b28cu, 0x24884CBAu},
        {"The quick brown fox jumps over the lazy dog", 43, 0, 0x2E4FF723u},
    };
    for (const V& v : vs) {
        CAPTURE(v.data);
        CHECK(roster_discord_murmur3_32(v.data, v.len, v.seed) == v.hash);
    }
    CHECK(roster_discord_murmur3_32(nullptr, 0, 0) == 0u);
}

TEST_CASE("list ids: everyone, and the hash of the sorted overwrite strings") {
    // "everyone": @everyone may view and no overwrite denies.
    CHECK(list_text(1, {}) == "everyone");
    CHECK(list_text(1, {role(123, A), member(7, A), role(9, N)}) == "everyone");
    // A deny (of any kind) or no guild-level view: hashed. Values derived
    // by hand through an independent implementation of the algorithm.
    CHECK(list_text(1, {role(123, A), role(456, D)}) == "2371338780");  // "allow:123,deny:456"
    CHECK(list_text(1, {role(456, D), role(123, A)}) == "2371338780");  // order of input
    CHECK(list_text(1, {member(456, D), role(123, A)}) == "2371338780"); // type takes no part
    CHECK(list_text(0, {role(123, A), role(456, D), role(9, N)}) == "2371338780");
    CHECK(list_text(1, {role(456, D)}) == "3460824376");                // "deny:456"
    CHECK(list_text(0, {}) == "0");                                     // "" hashes to 0
    CHECK(list_text(0, {role(123, A)}) == "3352883465");                // "allow:123"
    // Sorted as strings: "allow:10" < "allow:9".
    const std::string key = "allow:10,allow:9,deny:11";
    const uint32_t h = roster_discord_murmur3_32(key.data(), key.size(), 0);
    CHECK(list_text(0, {role(9, A), role(11, D), member(10, A)}) == std::to_string(h));

    roster_discord_list_id id;
    std::vector<Ow> ows = {role(456, D)};
    REQUIRE(roster_discord_compute_list_id(&id, nullptr, nullptr, 0, G, 1, ows.data(), 1) == 0);
    CHECK(id.everyone == 0);
    CHECK(id.hash == 3460824376u);
    CHECK(id.list == ((uint64_t(1) << 32) | 3460824376u));
    ows = {};
    REQUIRE(roster_discord_compute_list_id(&id, nullptr, nullptr, 0, G, 0, nullptr, 0) == 0);
    CHECK(id.list == (uint64_t(1) << 32));  // hash 0 is not list 0
    REQUIRE(roster_discord_compute_list_id(&id, nullptr, nullptr, 0, G, 1, nullptr, 0) == 0);
    CHECK(id.everyone == 1);
    CHECK(id.list == 0);

    char text[ROSTER_DISCORD_LIST_ID_MAX + 1];
    CHECK(roster_discord_list_text(text, 0) == ROSTER_OK);
    CHECK(std::string(text) == "everyone");
    CHECK(roster_discord_list_text(text, (uint64_t(2) << 32) | 0xffffffffu) == ROSTER_OK);
    CHECK(std::string(text) == "4294967295");
    CHECK(roster_discord_list_text(nullptr, 0) == ROSTER_EINVAL);
}

TEST_CASE("list ids: bad overwrites are refused") {
    roster_discord_list_id id;
    auto st = [&](std::vector<Ow> ows, int view = 1) {
        return roster_discord_compute_list_id(&id, nullptr, nullptr, 0, G, view, ows.data(),
                                              ows.size());
    };
    CHECK(st({role(0, A)}) == ROSTER_EINVAL);
    CHECK(st({Ow{5, 2, A}}) == ROSTER_EINVAL);
    CHECK(st({role(5, 3)}) == ROSTER_EINVAL);
    CHECK(st({role(5, -1)}) == ROSTER_EINVAL);
    CHECK(st({role(5, A), member(5, D)}) == ROSTER_EINVAL);  // one id twice
    CHECK(st({member(G, A)}) == ROSTER_EINVAL);              // the guild's id as a user
    CHECK(st({}, 2) == ROSTER_EINVAL);
    CHECK(roster_discord_compute_list_id(nullptr, nullptr, nullptr, 0, G, 1, nullptr, 0) ==
          ROSTER_EINVAL);
    CHECK(roster_discord_compute_list_id(&id, nullptr, nullptr, 0, G, 1, nullptr, 3) ==
          ROSTER_EINVAL);
    std::vector<Ow> many(ROSTER_DISCORD_MAX_OVERWRITES + 1);
    for (size_t i = 0; i < many.size(); ++i) many[i] = role(i + 1, A);
    CHECK(st(many) == ROSTER_ELIMIT);
    // A rule needs room for every overwrite.
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    roster_overwrite scratch[1];
    std::vector<Ow> two = {role(5, A), member(6, D)};
    CHECK(roster_discord_compute_list_id(&id, &rule, scratch, 1, G, 1, two.data(), 2) ==
          ROSTER_EINVAL);
}

TEST_CASE("the rule: @everyone, roles and members split out") {
    roster_discord_list_id id;
    roster_list_rule rule = ROSTER_LIST_RULE_INIT;
    roster_overwrite scratch[8];
    std::vector<Ow> ows = {role(G, D), role(5, A), member(6, D), role(7, D), member(8, A),
                           role(9, N)};
    REQUIRE(roster_discord_compute_list_id(&id, &rule, scratch, 8, G, 1, ows.data(),
                                           ows.size()) == ROSTER_OK);
    CHECK(rule.everyone == ROSTER_OVERWRITE_DENY);
    REQUIRE(rule.role_count == 2);
    CHECK(rule.roles[0].id == 5);
    CHECK(rule.roles[0].allow == 1);
    CHECK(rule.roles[1].id == 7);
    CHECK(rule.roles[1].allow == 0);
    REQUIRE(rule.member_count == 2);
    CHECK(rule.members[0].id == 6);
    CHECK(rule.members[0].allow == 0);
    CHECK(rule.members[1].id == 8);
    CHECK(rule.members[1].allow == 1);
}

// Discord's VIEW_CHANNEL for a member, computed with permission bits as the
// gateway does: base from @everyone and the member's roles, ADMINISTRATOR
// sees all, then the @everyone overwrite, the roles' overwrites (allows
// after denies), the member's overwrite.
namespace {
constexpr uint64_t VIEW = 1u << 10, ADMIN = 1u << 3;
struct RefRole {
    uint64_t id;
    uint64_t perms;
};
bool reference_view(bool everyone_view, const std::vector<RefRole>& guild_roles,
                    const std::vector<uint64_t>& member_roles, uint64_t user,
                    const std::vector<Ow>& ows) {
    uint64_t p = everyone_view ? VIEW : 0;
    for (uint64_t r : member_roles)
        for (const RefRole& gr : guild_roles)
            if (gr.id == r) p |= gr.perms;
    if (p & ADMIN) return true;
    auto apply = [&](uint64_t allow, uint64_t deny) { p = (p & ~deny) | allow; };
    for (const Ow& o : ows)
        if (o.type == ROSTER_DISCORD_OVERWRITE_ROLE && o.id == G)
            apply(o.view == A ? VIEW : 0, o.view == D ? VIEW : 0);
    uint64_t allow = 0, deny = 0;
    for (const Ow& o : ows)
        for (uint64_t r : member_roles)
            if (o.type == ROSTER_DISCORD_OVERWRITE_ROLE && o.id == r && o.id != G) {
                if (o.view == A) allow |= VIEW;
                if (o.view == D) deny |= VIEW;
            }
    apply(allow, deny);
    for (const Ow& o : ows)
        if (o.type == ROSTER_DISCORD_OVERWRITE_MEMBER && o.id == user)
            apply(o.view == A ? VIEW : 0, o.view == D ? VIEW : 0);
    return (p & VIEW) != 0;
}
}  // namespace

TEST_CASE("visibility: users on both sides of every kind of overwrite") {
    for (int ev = 0; ev <= 1; ++ev) {
        CAPTURE(ev);
        Fixture f(ev);
        const std::vector<RefRole> roles = {{1, VIEW}, {2, 0}, {3, ADMIN}, {4, 0}};
        // Users: 11 no role, 12 role 1 (VIEW), 13 role 2, 14 role 3 (admin),
        // 15 roles 2+4, 16 role 4.
        const std::map<uint64_t, std::vector<uint64_t>> users = {
            {11, {}}, {12, {1}}, {13, {2}}, {14, {3}}, {15, {2, 4}}, {16, {4}}};
        for (const auto& [u, r] : users) f.add(u, r, u == 16 ? ROSTER_OFFLINE : ROSTER_ONLINE);
        // Every kind of overwrite, each way, and some mixtures.
        const std::vector<std::vector<Ow>> channels = {
            {},
            {role(G, A)},
            {role(G, D)},
            {role(G, D), role(2, A)},
            {role(2, D)},
            {role(2, A)},
            {role(2, D), role(4, A)},  // 15: allow wins over deny among roles
            {role(G, D), member(11, A)},
            {member(12, D)},
            {member(14, D), role(G, D)},  // admin sees all
            {role(G, D), role(2, A), member(15, D), member(11, A)},
            {role(1, D)},
            {role(G, A), role(1, D), member(12, A)},
            {role(3, D), role(G, D)},
        };
        uint64_t ch = 100;
        for (const auto& ows : channels) {
            ++ch;
            CAPTURE(ch);
            REQUIRE(roster_discord_channel_set(f.ctx, ch, ows.data(), ows.size()) == ROSTER_OK);
            for (const auto& ur : users) {
                const uint64_t u = ur.first;
                const std::vector<uint64_t>& r = ur.second;
                CAPTURE(u);
                const bool want = reference_view(ev, roles, r, u, ows);
                int got = -1;
                REQUIRE(roster_discord_can_view(&got, f.ctx, ch, u) == ROSTER_OK);
                CHECK(got == int(want));
                // A request follows the same answer; a refusal subscribes nothing.
                const uint64_t session = ch * 100 + u;
                const uint32_t before = f.sessions();
                f.sink.frames.clear();
                roster_discord_request_info info = ROSTER_DISCORD_REQUEST_INFO_INIT;
                const int s = f.request(session, u, op14(ch, "[[0,99]]"), &info);
                if (want) {
                    CHECK(s == ROSTER_OK);
                    CHECK(f.ranges(session, f.list_of(ch)).size() == 1);
                    CHECK(info.lists == 1);
                } else {
                    CHECK(s == ROSTER_EACCESS);
                    CHECK(info.failed_channel == ch);
                    CHECK(f.sessions() == before);
                    CHECK(f.sink.frames.empty());
                }
            }
            // A user who is not in the guild sees nothing.
            int got = -1;
            REQUIRE(roster_discord_can_view(&got, f.ctx, ch, 999) == ROSTER_OK);
            CHECK(got == 0);
            CHECK(f.request(999, 999, op14(ch, "[[0,99]]")) == ROSTER_EACCESS);
        }
    }
}

TEST_CASE("visibility: randomized guilds against the reference (fixed seed)") {
    std::mt19937_64 rng(20261203);
    for (int round = 0; round < 40; ++round) {
        const int ev = int(rng() % 2);
        Fixture f(ev);
        std::vector<RefRole> roles = {{1, VIEW}, {2, 0}, {3, ADMIN}, {4, 0}};
        for (uint64_t r = 5; r < 10; ++r) {
            const uint64_t perms = (rng() % 3 == 0 ? VIEW : 0) | (rng() % 8 == 0 ? ADMIN : 0);
            roles.push_back({r, perms});
            const roster_role rr{r, int32_t(r),
                                 uint32_t((perms & VIEW ? ROSTER_ROLE_VIEW : 0) |
                                          (perms & ADMIN ? ROSTER_ROLE_ADMIN : 0) |
                                          (rng() % 2 ? ROSTER_ROLE_HOIST : 0))};
            REQUIRE(roster_role_upsert(f.g, &rr) == ROSTER_OK);
        }
        std::map<uint64_t, std::vector<uint64_t>> users;
        for (uint64_t u = 20; u < 40; ++u) {
            std::vector<uint64_t> r;
            for (uint64_t k = 1; k < 10; ++k)
                if (rng() % 4 == 0) r.push_back(k);
            users[u] = r;
            f.add(u, r, int(rng() % 4));
        }
        for (uint64_t ch = 1; ch <= 6; ++ch) {
            std::vector<Ow> ows;
            std::set<uint64_t> used;
            const int n = int(rng() % 6);
            for (int i = 0; i < n; ++i) {
                const bool mem = rng() % 2;
                const uint64_t id = mem ? 20 + rng() % 20 : (rng() % 5 == 0 ? G : 1 + rng() % 9);
                if (!used.insert(id).second) continue;
                ows.push_back(Ow{id, mem ? ROSTER_DISCORD_OVERWRITE_MEMBER
                                         : ROSTER_DISCORD_OVERWRITE_ROLE,
                                 int32_t(rng() % 3)});
            }
            REQUIRE(roster_discord_channel_set(f.ctx, ch, ows.data(), ows.size()) == ROSTER_OK);
            for (const auto& [u, r] : users) {
                int got = -1;
                REQUIRE(roster_discord_can_view(&got, f.ctx, ch, u) == ROSTER_OK);
                CHECK(got == int(reference_view(ev, roles, r, u, ows)));
            }
        }
    }
}

TEST_CASE("channels with equal list ids share one roster list") {
    Fixture f;
    f.add(11, {1});
    const std::vector<Ow> a = {role(2, D)}, b = {role(2, D), role(4, N)}, c = {role(4, D)};
    REQUIRE(roster_discord_channel_set(f.ctx, 1, a.data(), a.size()) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 2, b.data(), b.size()) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 3, c.data(), c.size()) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 4, nullptr, 0) == ROSTER_OK);
    CHECK(f.list_of(1) == f.list_of(2));
    CHECK(f.list_of(1) != f.list_of(3));
    CHECK(f.list_of(4) == 0);  // "everyone"
    roster_discord_list_id id;
    uint64_t l = 0;
    REQUIRE(roster_discord_channel_list(&l, &id, f.ctx, 1) == ROSTER_OK);
    CHECK(std::string(id.text) == list_text(1, a));
    const uint64_t shared = l;
    uint32_t len = 0;
    CHECK(roster_list_length(&len, f.g, shared) == ROSTER_OK);
    // The list stays while a channel uses it.
    REQUIRE(roster_discord_channel_remove(f.ctx, 1) == ROSTER_OK);
    CHECK(roster_list_length(&len, f.g, shared) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 2, c.data(), c.size()) == ROSTER_OK);
    CHECK(roster_list_length(&len, f.g, shared) == ROSTER_ENOTFOUND);
    CHECK(f.list_of(2) == f.list_of(3));
    CHECK(roster_discord_channel_remove(f.ctx, 1) == ROSTER_ENOTFOUND);
    CHECK(roster_discord_channel_list(&l, nullptr, f.ctx, 1) == ROSTER_ENOTFOUND);
}

TEST_CASE("different overwrites that hash alike get lists of their own") {
    // "allow:25280" and "allow:151728" have the same MurmurHash3.
    const char* s1 = "allow:25280";
    const char* s2 = "allow:151728";
    REQUIRE(roster_discord_murmur3_32(s1, std::strlen(s1), 0) ==
            roster_discord_murmur3_32(s2, std::strlen(s2), 0));
    Fixture f(0);
    f.add(25280, {});
    f.add(151728, {});
    const std::vector<Ow> a = {member(25280, A)}, b = {member(151728, A)};
    REQUIRE(roster_discord_channel_set(f.ctx, 1, a.data(), 1) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 2, b.data(), 1) == ROSTER_OK);
    roster_discord_list_id i1, i2;
    uint64_t l1 = 0, l2 = 0;
    REQUIRE(roster_discord_channel_list(&l1, &i1, f.ctx, 1) == ROSTER_OK);
    REQUIRE(roster_discord_channel_list(&l2, &i2, f.ctx, 2) == ROSTER_OK);
    CHECK(std::string(i1.text) == std::string(i2.text));  // what clients see: one id
    CHECK(l1 != l2);                                      // what roster keeps: two lists
    CHECK((l1 & 0xffffffffu) == (l2 & 0xffffffffu));
    int v = -1;
    REQUIRE(roster_discord_can_view(&v, f.ctx, 1, 151728) == ROSTER_OK);
    CHECK(v == 0);
    REQUIRE(roster_discord_can_view(&v, f.ctx, 2, 151728) == ROSTER_OK);
    CHECK(v == 1);
}

TEST_CASE("the guild's @everyone VIEW moves channels to and from \"everyone\"") {
    Fixture f(1);
    f.add(11, {});
    f.add(12, {1});
    const std::vector<Ow> allow = {member(11, A)};
    REQUIRE(roster_discord_channel_set(f.ctx, 1, allow.data(), 1) == ROSTER_OK);
    CHECK(f.list_of(1) == 0);
    REQUIRE(f.request(5, 11, op14(1, "[[0,99]]")) == ROSTER_OK);
    REQUIRE(roster_discord_set_everyone_view(f.ctx, 0) == ROSTER_OK);
    const uint64_t l = f.list_of(1);
    CHECK(l != 0);
    int v = -1;
    REQUIRE(roster_discord_can_view(&v, f.ctx, 1, 11) == ROSTER_OK);
    CHECK(v == 1);
    REQUIRE(roster_discord_can_view(&v, f.ctx, 1, 12) == ROSTER_OK);
    CHECK(v == 1);  // role 1 has VIEW
    f.add(13, {});
    REQUIRE(roster_discord_can_view(&v, f.ctx, 1, 13) == ROSTER_OK);
    CHECK(v == 0);
    REQUIRE(roster_discord_set_everyone_view(f.ctx, 1) == ROSTER_OK);
    CHECK(f.list_of(1) == 0);
    uint32_t len = 0;
    CHECK(roster_list_length(&len, f.g, l) == ROSTER_ENOTFOUND);
    CHECK(roster_discord_set_everyone_view(f.ctx, 2) == ROSTER_EINVAL);
}

TEST_CASE("requests: op 14 and op 37 subscribe, unknown fields are skipped") {
    Fixture f;
    f.add(11, {});
    const std::vector<Ow> deny2 = {role(2, D)}, deny4 = {role(4, D)};
    REQUIRE(roster_discord_channel_set(f.ctx, 7, deny2.data(), 1) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 8, deny4.data(), 1) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 9, nullptr, 0) == ROSTER_OK);
    roster_discord_request_info info = ROSTER_DISCORD_REQUEST_INFO_INIT;
    CHECK(f.request(1, 11,
                    R"({"d":{"typing":true,"threads":false,"activities":true,"members":[],)"
                    R"("channels":{"7":[[0,99],[100,199]]},"thread_member_lists":[{"x":[1,2.5e3,)"
                    R"(null,"\u00e9\ud83d\ude00"]}],"guild_id":"1000"},"op":14})",
                    &info) == ROSTER_OK);
    CHECK(info.op == 14);
    CHECK(info.channels == 1);
    CHECK(info.lists == 1);
    auto r = f.ranges(1, f.list_of(7));
    REQUIRE(r.size() == 1);
    CHECK(r[0].start == 0);
    CHECK(r[0].end == 199);
    // op 37: several guilds; only ours is used. Channels 8 and 9.
    CHECK(f.request(1, 11,
                    R"({"op":37,"d":{"subscriptions":{"55":{"channels":{"3":[[0,99]]}},)"
                    R"("1000":{"typing":true,"channels":{"8":[[0,99]],"9":[[100,150]]},)"
                    R"("members":["11"]}}}})",
                    &info) == ROSTER_OK);
    CHECK(info.op == 37);
    CHECK(info.channels == 2);
    CHECK(f.ranges(1, f.list_of(8)).size() == 1);
    r = f.ranges(1, 0);
    REQUIRE(r.size() == 1);
    CHECK(r[0].start == 100);
    CHECK(r[0].end == 199);
    CHECK(f.ranges(1, f.list_of(7)).size() == 1);  // untouched
    // [] unsubscribes.
    CHECK(f.request(1, 11, op14(7, "[]")) == ROSTER_OK);
    CHECK(f.ranges(1, f.list_of(7)).empty());
    // A request without channels is fine and does nothing.
    CHECK(f.request(1, 11, R"({"op":14,"d":{"guild_id":"1000","typing":true}})") == ROSTER_OK);
    // Two channels of one list: their ranges joined.
    REQUIRE(roster_discord_channel_set(f.ctx, 10, deny4.data(), 1) == ROSTER_OK);
    CHECK(f.request(2, 11,
                    R"({"op":14,"d":{"guild_id":"1000","channels":{"8":[[0,99]],"10":[[200,299]]}}})") ==
          ROSTER_OK);
    r = f.ranges(2, f.list_of(8));
    REQUIRE(r.size() == 2);
    CHECK(r[1].start == 200);
}

TEST_CASE("requests: bad ones get a status and change nothing") {
    Fixture f;
    f.add(11, {});
    f.add(12, {2});
    const std::vector<Ow> deny2 = {role(2, D)};
    REQUIRE(roster_discord_channel_set(f.ctx, 7, deny2.data(), 1) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 9, nullptr, 0) == ROSTER_OK);
    REQUIRE(f.request(1, 11, op14(7, "[[0,99]]")) == ROSTER_OK);
    const uint64_t l7 = f.list_of(7);
    struct Case {
        std::string json;
        int status;
    };
    const std::string many_ranges = "[[0,1],[2,3],[4,5],[6,7],[8,9],[10,11],[12,13],[14,15],"
                                    "[16,17],[18,19],[20,21],[22,23],[24,25],[26,27],[28,29],"
                                    "[30,31],[32,33]]";
    std::string deep = R"({"op":14,"d":{"guild_id":"1000","x":)";
    for (int i = 0; i < 40; ++i) deep += "[";
    for (int i = 0; i < 40; ++i) deep += "]";
    deep += R"(,"channels":{"9":[[0,99]]}}})";
    std::string many_channels = R"({"op":14,"d":{"guild_id":"1000","channels":{)";
    for (int i = 1; i <= 65; ++i) many_channels += (i > 1 ? ",\"" : "\"") + std::to_string(i) + "\":[]";
    many_channels += "}}}";
    const std::vector<Case> cases = {
        {"", ROSTER_EINVAL},
        {"{", ROSTER_EINVAL},
        {"[]", ROSTER_EINVAL},
        {R"({"op":14})", ROSTER_EINVAL},
        {R"({"op":14,"d":{"channels":{"9":[[0,99]]}}})", ROSTER_EINVAL},  // no guild_id
        {R"({"op":2,"d":{}})", ROSTER_EINVAL},
        {R"({"op":14.0,"d":{"guild_id":"1000"}})", ROSTER_EINVAL},
        {op14(9, "[[0,99]]") + "x", ROSTER_EINVAL},
        {op14(9, "[[0,99]],") , ROSTER_EINVAL},
        {R"({"op":14,"op":14,"d":{"guild_id":"1000"}})", ROSTER_EINVAL},
        {op14(9, "[[99,0]]"), ROSTER_EINVAL},        // reversed
        {op14(9, "[[0,4294967296]]"), ROSTER_EINVAL},  // past 2^32
        {op14(9, "[[-1,5]]"), ROSTER_EINVAL},
        {op14(9, "[[0.5,5]]"), ROSTER_EINVAL},
        {op14(9, "[[0,5,6]]"), ROSTER_EINVAL},
        {op14(9, "[0,5]"), ROSTER_EINVAL},
        {op14(9, "[[0,1000000]]"), ROSTER_ELIMIT},  // huge: the guild's max_range_span
        {op14(9, "[[0,99],[100,199],[200,299],[300,399]]"), ROSTER_ELIMIT},  // max_ranges
        {op14(9, many_ranges), ROSTER_ELIMIT},
        {op14(77, "[[0,99]]"), ROSTER_ENOTFOUND},  // unknown channel
        {op14(9, "[[0,99]]", 55), ROSTER_ENOTFOUND},  // another guild
        {R"({"op":37,"d":{"subscriptions":{"55":{"channels":{"9":[[0,99]]}}}}})", ROSTER_ENOTFOUND},
        {R"({"op":14,"d":{"guild_id":1000,"channels":{}}})", ROSTER_EINVAL},   // id not a string
        {R"({"op":14,"d":{"guild_id":"01000","channels":{}}})", ROSTER_EINVAL},
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"0":[]}}})", ROSTER_EINVAL},
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"x9":[]}}})", ROSTER_EINVAL},
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"18446744073709551616":[]}}})",
         ROSTER_EINVAL},
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"9":[],"9":[]}}})", ROSTER_EINVAL},
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"9":[[0,99]]},"x":"\x"}})", ROSTER_EINVAL},
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"9":[[0,99]]},"x":tru}})", ROSTER_EINVAL},
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"9":[[0,99]]},"x":"\ud800"}})",
         ROSTER_EINVAL},
        {deep, ROSTER_ELIMIT},
        {many_channels, ROSTER_ELIMIT},
        {std::string(ROSTER_DISCORD_MAX_REQUEST_BYTES + 1, ' '), ROSTER_ELIMIT},
        // All or nothing: 9 is fine, 7 refused for user 12 (role 2 denied).
        {R"({"op":14,"d":{"guild_id":"1000","channels":{"9":[[0,99]],"7":[[0,99]]}}})",
         ROSTER_EACCESS},
    };
    for (const Case& c : cases) {
        CAPTURE(c.json);
        for (uint64_t session : {uint64_t(1), uint64_t(2)}) {
            f.sink.frames.clear();
            const uint32_t before = f.sessions();
            const uint64_t user = session == 1 ? 11 : 12;
            if (c.status == ROSTER_EACCESS && user == 11) continue;
            CHECK(f.request(session, user, c.json) == c.status);
            CHECK(f.sink.frames.empty());
            CHECK(f.sessions() == before);
            CHECK(f.ranges(1, l7).size() == 1);
            CHECK(f.ranges(1, 0).empty());
        }
    }
    // The guild's own limits found after another list was subscribed: put back.
    f.sink.frames.clear();
    CHECK(f.request(1, 11,
                    R"({"op":14,"d":{"guild_id":"1000","channels":{"7":[[500,599]],)"
                    R"("9":[[0,99],[100,199],[200,299],[300,399]]}}})") == ROSTER_ELIMIT);
    auto r = f.ranges(1, l7);
    REQUIRE(r.size() == 1);
    CHECK(r[0].start == 0);
    CHECK(f.sink.frames.empty());
    // Put back as requested: [0,299],[300,599] is held as one range [0,599],
    // wider than max_range_span (300), which a subscribe would refuse.
    REQUIRE(f.request(1, 11, op14(9, "[[0,299],[300,599]]")) == ROSTER_OK);
    f.sink.frames.clear();
    CHECK(f.request(1, 11,
                    R"({"op":14,"d":{"guild_id":"1000","channels":{"9":[[0,99]],)"
                    R"("7":[[0,99],[100,199],[200,299],[300,399]]}}})") == ROSTER_ELIMIT);
    r = f.ranges(1, 0);
    REQUIRE(r.size() == 1);
    CHECK(r[0].start == 0);
    CHECK(r[0].end == 599);
    CHECK(f.ranges(1, l7).size() == 1);
    CHECK(f.sink.frames.empty());
    // Arguments.
    CHECK(roster_discord_request(nullptr, nullptr, 1, 11, "{}", 2) == ROSTER_EINVAL);
    CHECK(roster_discord_request(nullptr, f.ctx, 0, 11, "{}", 2) == ROSTER_EINVAL);
    CHECK(roster_discord_request(nullptr, f.ctx, 1, 0, "{}", 2) == ROSTER_EINVAL);
    CHECK(roster_discord_request(nullptr, f.ctx, 1, 11, nullptr, 2) == ROSTER_EINVAL);
    CHECK(f.request(1, 12, op14(9, "[[0,99]]")) == ROSTER_EINVAL);  // session 1 is user 11's
}

TEST_CASE("revalidate: a user who loses the view loses the subscription") {
    Fixture f(0);
    f.add(11, {1});
    REQUIRE(roster_discord_channel_set(f.ctx, 9, nullptr, 0) == ROSTER_OK);
    REQUIRE(f.request(1, 11, op14(9, "[[0,99]]")) == ROSTER_OK);
    const uint64_t l = f.list_of(9);
    size_t removed = 99;
    REQUIRE(roster_discord_revalidate(&removed, f.ctx) == ROSTER_OK);
    CHECK(removed == 0);
    CHECK(f.ranges(1, l).size() == 1);
    REQUIRE(roster_member_remove_role(f.g, 11, 1) == ROSTER_OK);
    f.sink.frames.clear();
    REQUIRE(roster_discord_revalidate(&removed, f.ctx) == ROSTER_OK);
    CHECK(removed == 1);
    CHECK(f.ranges(1, l).empty());
    // Overwrites changed by the host: channel_set revalidates by itself.
    REQUIRE(roster_member_add_role(f.g, 11, 1) == ROSTER_OK);
    REQUIRE(f.request(1, 11, op14(9, "[[0,99]]")) == ROSTER_OK);
    const std::vector<Ow> deny = {member(11, D), role(2, D)};
    const std::vector<Ow> deny_too = {member(11, D)};
    REQUIRE(roster_discord_channel_set(f.ctx, 8, deny.data(), deny.size()) == ROSTER_OK);
    REQUIRE(roster_discord_channel_set(f.ctx, 9, deny_too.data(), 1) == ROSTER_OK);
    CHECK(f.ranges(1, f.list_of(9)).empty());
    CHECK(f.request(1, 11, op14(9, "[[0,99]]")) == ROSTER_EACCESS);
    CHECK(roster_discord_session_remove(f.ctx, 1) == ROSTER_OK);
    CHECK(roster_discord_session_remove(f.ctx, 1) == ROSTER_ENOTFOUND);
}

// ---- frames out

namespace {
struct Host {
    std::map<uint64_t, std::string> member, presence;
    int fail_for = 0;
    static int fn(const char** m, size_t* ml, const char** p, size_t* pl, uint64_t user, void* u) {
        Host* h = static_cast<Host*>(u);
        if (h->fail_for && user == uint64_t(h->fail_for)) return ROSTER_ENOTFOUND;
        auto it = h->member.find(user);
        if (it == h->member.end()) return ROSTER_ENOTFOUND;
        *m = it->second.data();
        *ml = it->second.size();
        auto pt = h->presence.find(user);
        if (pt != h->presence.end()) {
            *p = pt->second.data();
            *pl = pt->second.size();
        }
        return ROSTER_OK;
    }
};

std::string encode(const roster_frame& f, roster_discord_encoder& e, int* status = nullptr) {
    size_t len = 0;
    int s = roster_discord_encode_frame(&len, nullptr, 0, &f, &e);
    if (status) *status = s;
    if (s != ROSTER_ELIMIT) return {};
    std::string out(len, '\0');
    s = roster_discord_encode_frame(&len, out.data(), out.size(), &f, &e);
    if (status) *status = s;
    REQUIRE(len == out.size());
    return out;
}
}  // namespace

TEST_CASE("frames: every op, written exactly") {
    Host h;
    h.member[5] = R"({"user":{"id":"5","username":"a\"b"},"roles":["4"]})";
    h.presence[5] = R"({"status":"online"})";
    h.member[6] = " { } ";
    const roster_row header{ROSTER_ROW_HEADER, 2, 4, 0};
    const roster_row online{ROSTER_ROW_HEADER, 1, ROSTER_GROUP_ONLINE, 0};
    const roster_row m5{ROSTER_ROW_MEMBER, 0, 4, 5};
    const roster_row m6{ROSTER_ROW_MEMBER, 0, ROSTER_GROUP_OFFLINE, 6};
    const roster_row sync_items[] = {header, m5};
    const roster_op ops[] = {
        {ROSTER_OP_SYNC, 0, 99, 2, sync_items},
        {ROSTER_OP_INSERT, 3, 3, 1, &m6},
        {ROSTER_OP_UPDATE, 1, 1, 1, &online},
        {ROSTER_OP_DELETE, 2, 2, 0, nullptr},
        {ROSTER_OP_INVALIDATE, 100, 199, 0, nullptr},
    };
    const roster_group groups[] = {{4, 2}, {ROSTER_GROUP_ONLINE, 1}, {ROSTER_GROUP_OFFLINE, 3}};
    roster_frame f{(uint64_t(1) << 32) | 3460824376u, 6, 3, groups, 3, ops, 5};
    roster_discord_encoder e = ROSTER_DISCORD_ENCODER_INIT;
    e.guild_id = G;
    e.seq = 42;
    e.member = &Host::fn;
    e.user_data = &h;
    int s = 0;
    const std::string out = encode(f, e, &s);
    CHECK(s == ROSTER_OK);
    CHECK(out ==
          R"({"op":0,"t":"GUILD_MEMBER_LIST_UPDATE","s":42,"d":{"guild_id":"1000",)"
          R"("id":"3460824376","member_count":6,"online_count":3,"groups":[{"id":"4","count":2},)"
          R"({"id":"online","count":1},{"id":"offline","count":3}],"ops":[{"op":"SYNC",)"
          R"("range":[0,99],"items":[{"group":{"id":"4","count":2}},{"member":{"user":{"id":"5",)"
          R"("username":"a\"b"},"roles":["4"],"presence":{"status":"online"}}}]},)"
          R"({"op":"INSERT","index":3,"item":{"member":{}}},{"op":"UPDATE","index":1,"item":)"
          R"({"group":{"id":"online","count":1}}},{"op":"DELETE","index":2},)"
          R"({"op":"INVALIDATE","range":[100,199]}]}})");
    sim::json::Value v;
    CHECK(sim::json::parse(out, &v));
    // "everyone", and an id text given by the host.
    f.list_id = 0;
    CHECK(encode(f, e).find(R"("id":"everyone")") != std::string::npos);
    e.list_id = "x\"y";
    CHECK(encode(f, e).find(R"("id":"x\"y")") != std::string::npos);
    e.list_id = nullptr;

    // Too small: ELIMIT with the size, and nothing past the end.
    std::string buf(out.size() + 8, '#');
    for (size_t cap : {size_t(0), size_t(1), size_t(50), out.size() - 1}) {
        size_t len = 0;
        f.list_id = (uint64_t(1) << 32) | 3460824376u;
        CHECK(roster_discord_encode_frame(&len, buf.data(), cap, &f, &e) == ROSTER_ELIMIT);
        CHECK(len == out.size());
        for (size_t i = cap; i < buf.size(); ++i) REQUIRE(buf[i] == '#');
    }
    size_t len = 0;
    CHECK(roster_discord_encode_frame(&len, buf.data(), out.size(), &f, &e) == ROSTER_OK);
    CHECK(buf.substr(0, out.size()) == out);

    // Bad input.
    h.member[5] = "[1]";
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &f, &e) == ROSTER_EINVAL);
    h.member[5] = "{}";
    h.presence[5] = "online";
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &f, &e) == ROSTER_EINVAL);
    h.presence.erase(5);
    h.fail_for = 6;
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &f, &e) == ROSTER_ENOTFOUND);
    h.fail_for = 0;
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &f, &e) == ROSTER_OK);
    roster_op bad = {9, 0, 0, 0, nullptr};
    roster_frame fb{0, 0, 0, nullptr, 0, &bad, 1};
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &fb, &e) == ROSTER_EINVAL);
    bad = {ROSTER_OP_INSERT, 0, 0, 0, nullptr};
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &fb, &e) == ROSTER_EINVAL);
    bad = {ROSTER_OP_SYNC, 5, 4, 0, nullptr};
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &fb, &e) == ROSTER_EINVAL);
    roster_discord_encoder e2 = e;
    e2.member = nullptr;
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &f, &e2) == ROSTER_EINVAL);
    e2 = e;
    e2.size = 4;
    CHECK(roster_discord_encode_frame(&len, buf.data(), buf.size(), &f, &e2) == ROSTER_EINVAL);
    CHECK(roster_discord_encode_frame(nullptr, buf.data(), buf.size(), &f, &e) == ROSTER_EINVAL);
    CHECK(roster_discord_encode_frame(&len, nullptr, 5, &f, &e) == ROSTER_EINVAL);
}

namespace {
struct Encoded {
    Host* host;
    std::vector<std::string> texts;
    int status = ROSTER_OK;
    static void fn(const roster_frame* f, const uint64_t*, size_t, void* u) {
        Encoded* self = static_cast<Encoded*>(u);
        roster_discord_encoder e = ROSTER_DISCORD_ENCODER_INIT;
        e.guild_id = G;
        e.seq = self->texts.size() + 1;
        e.member = &Host::fn;
        e.user_data = self->host;
        self->texts.push_back(encode(*f, e, &self->status));
    }
};
}  // namespace

TEST_CASE("frames: a guild's real frames through a request, valid JSON") {
    Fixture f;
    Host h;
    Encoded enc{&h, {}};
    REQUIRE(roster_guild_set_frame_callback(f.g, &Encoded::fn, &enc) == ROSTER_OK);
    for (uint64_t u = 11; u < 30; ++u) {
        h.member[u] = R"({"user":{"id":")" + std::to_string(u) + R"("},"nick":"n\u00e9"})";
        h.presence[u] = R"({"status":"dnd","activities":[]})";
        f.add(u, u % 3 ? std::vector<uint64_t>{4} : std::vector<uint64_t>{},
              u % 4 ? ROSTER_ONLINE : ROSTER_OFFLINE);
    }
    const std::vector<Ow> ows = {role(G, D), role(4, A)};
    REQUIRE(roster_discord_channel_set(f.ctx, 9, ows.data(), ows.size()) == ROSTER_OK);
    REQUIRE(f.request(1, 13, op14(9, "[[0,99]]")) == ROSTER_OK);
    REQUIRE(roster_member_set_status(f.g, 14, ROSTER_OFFLINE) == ROSTER_OK);
    REQUIRE(roster_member_remove(f.g, 16) == ROSTER_OK);
    REQUIRE(enc.texts.size() == 3);
    CHECK(enc.status == ROSTER_OK);
    for (const std::string& t : enc.texts) {
        CAPTURE(t);
        sim::json::Value v;
        REQUIRE(sim::json::parse(t, &v));
        const sim::json::Value* d = v.find("d");
        REQUIRE(d);
        REQUIRE(d->find("id"));
        CHECK(d->find("id")->text == std::to_string(f.list_of(9) & 0xffffffffu));
        REQUIRE(d->find("ops"));
        CHECK(d->find("ops")->is_array());
    }
    CHECK(enc.texts[0].find(R"("op":"SYNC")") != std::string::npos);
    CHECK(enc.texts[0].find(R"("presence":{"status":"dnd","activities":[]})") !=
          std::string::npos);
}

TEST_CASE("context: arguments") {
    Fixture f;
    roster_discord* c = nullptr;
    CHECK(roster_discord_create(nullptr, f.g, G, 1) == ROSTER_EINVAL);
    CHECK(roster_discord_create(&c, nullptr, G, 1) == ROSTER_EINVAL);
    CHECK(roster_discord_create(&c, f.g, 0, 1) == ROSTER_EINVAL);
    CHECK(roster_discord_create(&c, f.g, G, 3) == ROSTER_EINVAL);
    CHECK(c == nullptr);
    roster_discord_destroy(nullptr);
    const Ow bad = role(0, A);
    CHECK(roster_discord_channel_set(f.ctx, 1, &bad, 1) == ROSTER_EINVAL);
    CHECK(roster_discord_channel_set(f.ctx, 0, nullptr, 0) == ROSTER_EINVAL);
    CHECK(roster_discord_channel_set(nullptr, 1, nullptr, 0) == ROSTER_EINVAL);
    int v = 0;
    CHECK(roster_discord_can_view(&v, f.ctx, 1, 11) == ROSTER_ENOTFOUND);
    CHECK(roster_discord_can_view(nullptr, f.ctx, 1, 11) == ROSTER_EINVAL);
    CHECK(roster_discord_version_number() == ROSTER_DISCORD_VERSION_NUMBER);
    // roster_list_can_view on the engine directly.
    CHECK(roster_list_can_view(&v, f.g, 77, 11) == ROSTER_ENOTFOUND);
    CHECK(roster_list_can_view(&v, f.g, 0, 0) == ROSTER_EINVAL);
    CHECK(roster_list_can_view(nullptr, f.g, 0, 11) == ROSTER_EINVAL);
    CHECK(roster_list_can_view(&v, f.g, 0, 11) == ROSTER_OK);
    CHECK(v == 0);
    f.add(11, {}, ROSTER_OFFLINE);
    CHECK(roster_list_can_view(&v, f.g, 0, 11) == ROSTER_OK);
    CHECK(v == 1);
    CHECK(std::string(roster_status_str(ROSTER_EACCESS)) == "access denied");
    CHECK(ROSTER_EACCESS == -12);
}

}  // TEST_SUITE
