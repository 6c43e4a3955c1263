// Snapshots through the C API (docs/snapshot.md): a loaded guild answers
// every query as the original, gives byte-identical frames for the same
// later events (to the same sessions, in the same order), sends nothing by
// being loaded, and saves to the same bytes again; the status of every
// refusal (batch, callback, write and read failures, limits, versions);
// and damage: every truncation, random bit and byte changes, and content
// made invalid under valid checksums, all refused without a crash or a
// leak (run under ASan+UBSan by ./test.sh --sanitize).
//
// The C API is compiled in, so that the engine's invariants can be checked
// behind a loaded guild.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "internal.hpp"
#include "roster/roster.h"
#include "snapshot_io.hpp"

namespace {

// Appends the pieces to t, numbers through to_string. Not a chain of
// "..." + std::string: GCC 12 at -O3 warns (-Wrestrict) on that by mistake.
void add_piece(std::string& t, const char* s) { t += s; }
void add_piece(std::string& t, std::string_view s) { t += s; }
template <class N>
    requires std::is_arithmetic_v<N>
void add_piece(std::string& t, N n) {
    t += std::to_string(n);
}
template <class... A>
void add(std::string& t, const A&... a) {
    (add_piece(t, a), ...);
}

using Bytes = std::vector<unsigned char>;

// ------------------------------------------------------------- helpers --

int append(const void* data, size_t len, void* user) {
    auto* b = static_cast<Bytes*>(user);
    b->insert(b->end(), static_cast<const unsigned char*>(data),
              static_cast<const unsigned char*>(data) + len);
    return 0;
}

Bytes save(roster_guild* g, uint32_t flags = ROSTER_SAVE_SESSIONS) {
    Bytes b;
    REQUIRE(roster_guild_save(g, flags, append, &b) == ROSTER_OK);
    return b;
}

int load(roster_guild** out, const Bytes& b, const roster_config* c = nullptr) {
    return roster_guild_load_buffer(out, c, b.data(), b.size());
}

bool invariants(roster_guild* g, std::string* why) {
    return roster::capi::engine_of(g).check_invariants(why);
}

// Every frame, as text: list, counts, groups, ops with items, sessions.
struct Frames {
    std::string text;
    long count = 0;
    std::function<void(roster_guild*)> hook;  // acts from inside the callback
    roster_guild* guild = nullptr;

    static void on_frame(const roster_frame* f, const uint64_t* ids, size_t n, void* self) {
        auto& fr = *static_cast<Frames*>(self);
        ++fr.count;
        std::string& t = fr.text;
        add(t, "F ", f->list_id, " ", f->member_count, " ", f->online_count, " g");
        for (size_t i = 0; i < f->group_count; ++i)
            add(t, " ", f->groups[i].id, ":", f->groups[i].count);
        for (size_t i = 0; i < f->op_count; ++i) {
            const roster_op& o = f->ops[i];
            add(t, " | ", o.kind, " ", o.index, "-", o.end);
            for (size_t k = 0; k < o.item_count; ++k)
                add(t, " ", o.items[k].kind, "/", o.items[k].count, "/", o.items[k].group, "/",
                    o.items[k].user);
        }
        t += " s";
        for (size_t i = 0; i < n; ++i) add(t, " ", ids[i]);
        t += "\n";
        if (fr.hook) fr.hook(fr.guild);
    }
    void attach(roster_guild* g) {
        guild = g;
        REQUIRE(roster_guild_set_frame_callback(g, on_frame, this) == ROSTER_OK);
    }
    std::string take() { return std::exchange(text, std::string()); }
};

// Everything a host can ask, as text.
std::string describe(const roster_guild* g, const std::vector<uint64_t>& lists,
                     const std::vector<uint64_t>& members, const std::vector<uint64_t>& sessions,
                     bool session_count = true) {
    std::string t;
    uint32_t n = 0;
    roster_guild_member_count(&n, g);
    add(t, "members ", n, "\n");
    for (uint64_t l : lists) {
        uint32_t len = 0, mc = 0, oc = 0;
        const int rc = roster_list_length(&len, g, l);
        add(t, "list ", l, " rc ", rc);
        if (rc != ROSTER_OK) {
            t += "\n";
            continue;
        }
        roster_list_counts(&mc, &oc, g, l);
        add(t, " len ", len, " counts ", mc, "/", oc);
        roster_group gs[64];
        size_t ng = 0;
        roster_list_groups(gs, 64, &ng, g, l);
        for (size_t i = 0; i < ng && i < 64; ++i)
            add(t, " ", gs[i].id, ":", gs[i].count);
        std::vector<roster_row> rows(len + 1);
        size_t got = 0;
        if (len) roster_list_rows(rows.data(), rows.size(), &got, g, l, 0, len - 1);
        for (size_t i = 0; i < got; ++i)
            add(t, " ", rows[i].group, "/", rows[i].user);
        t += "\n";
        for (uint64_t m : members) {
            uint32_t at = 0;
            if (roster_list_index_of(&at, g, l, m) == ROSTER_OK)
                add(t, " ", m, "@", at);
        }
        t += "\n";
    }
    for (uint64_t m : members) {
        roster_member_info info;
        uint64_t roles[300];
        size_t nr = 0;
        const int rc = roster_member_get(&info, roles, 300, &nr, g, m);
        add(t, "member ", m, " rc ", rc);
        if (rc == ROSTER_OK) {
            add(t, " ", std::string_view(info.name, info.name_len), " s", info.status, " g", info.group,
                " r");
            for (size_t i = 0; i < nr; ++i) add(t, " ", roles[i]);
        }
        t += "\n";
    }
    uint32_t ns = 0;
    roster_guild_session_count(&ns, g);
    if (session_count) add(t, "sessions ", ns, "\n");
    for (uint64_t s : sessions)
        for (uint64_t l : lists) {
            roster_range rs[16];
            size_t nr = 0;
            const int rc = roster_session_ranges(rs, 16, &nr, g, s, l);
            add(t, "session ", s, " list ", l, " rc ", rc);
            for (size_t i = 0; i < nr && i < 16; ++i)
                add(t, " [", rs[i].start, ",", rs[i].end, "]");
            t += "\n";
        }
    return t;
}

roster_config config() {
    roster_config c = ROSTER_CONFIG_INIT;
    c.chunk_size = 5;
    c.max_range_span = 20;
    c.max_ranges = 3;
    c.offline_threshold = 60;
    return c;
}

// A guild with a bit of everything the format holds: hoisted, viewing and
// admin roles (and a removed one: a free role slot), members with long
// names, host sort keys and many roles, removed members (free member
// slots), lists with every kind of overwrite (and a removed one: a free
// membership bit), OFFLINE hidden or shown, and sessions sharing chunk
// sets and holding several lists.
struct Scenario {
    roster_guild* g = nullptr;
    std::vector<uint64_t> lists{0, 11, 12, 13, 14};
    std::vector<uint64_t> members;
    std::vector<uint64_t> sessions{1, 2, 3, 4, 5, 6, 7};
    std::mt19937_64 rng;

    explicit Scenario(int n, uint64_t seed = 1, bool with_sessions = true) : rng(seed) {
        const roster_config c = config();
        REQUIRE(roster_guild_create(&g, &c) == ROSTER_OK);
        for (uint64_t r = 1; r <= 8; ++r) {
            roster_role role{r, static_cast<int32_t>(r % 4), 0};
            if (r % 2) role.flags |= ROSTER_ROLE_HOIST;
            if (r == 6) role.flags |= ROSTER_ROLE_VIEW;
            if (r == 8) role.flags |= ROSTER_ROLE_ADMIN;
            REQUIRE(roster_role_upsert(g, &role) == ROSTER_OK);
        }
        REQUIRE(roster_role_remove(g, 4) == ROSTER_OK);
        for (int i = 0; i < n; ++i) add(1000 + static_cast<uint64_t>(i) * 7);
        for (int i = 0; i < n / 5; ++i) {
            const uint64_t id = members[rng() % members.size()];
            if (roster_member_remove(g, id) == ROSTER_OK) std::erase(members, id);
        }
        if (!members.empty()) {
            const char key[] = "\x01zz-key";
            REQUIRE(roster_member_set_sort_key(g, members[0], key, sizeof key - 1) == ROSTER_OK);
        }
        roster_overwrite ro[] = {{1, 1}, {2, 0}, {6, 1}};
        roster_overwrite mo[] = {{1000, 1}, {1007, 0}};
        roster_list_rule rule{sizeof(roster_list_rule), ROSTER_OVERWRITE_DENY, ro, 3, mo, 2};
        REQUIRE(roster_list_set(g, 11, &rule) == ROSTER_OK);
        rule.everyone = ROSTER_OVERWRITE_NONE;
        rule.role_count = 1;
        REQUIRE(roster_list_set(g, 12, &rule) == ROSTER_OK);
        REQUIRE(roster_list_set(g, 15, &rule) == ROSTER_OK);
        rule.everyone = ROSTER_OVERWRITE_ALLOW;
        rule.role_count = 0;
        REQUIRE(roster_list_set(g, 13, &rule) == ROSTER_OK);
        REQUIRE(roster_list_remove(g, 15) == ROSTER_OK);
        rule.member_count = 0;
        REQUIRE(roster_list_set(g, 14, &rule) == ROSTER_OK);
        if (!with_sessions) return;
        for (uint64_t s : sessions) subscribe(s);
        roster_range same{0, 9};
        REQUIRE(roster_session_subscribe(g, 8, 0, &same, 1) == ROSTER_OK);
        REQUIRE(roster_session_subscribe(g, 9, 0, &same, 1) == ROSTER_OK);
        REQUIRE(roster_session_subscribe(g, 9, 0, nullptr, 0) == ROSTER_OK);  // a session with no list
        // One session in two lists, with two ranges far apart in one.
        roster_range two[] = {{0, 4}, {40, 44}};
        REQUIRE(roster_session_subscribe(g, 10, 0, two, 2) == ROSTER_OK);
        REQUIRE(roster_session_subscribe(g, 10, 11, two, 1) == ROSTER_OK);
        sessions.push_back(8);
        sessions.push_back(9);
        sessions.push_back(10);
    }
    ~Scenario() { roster_guild_destroy(g); }
    Scenario(const Scenario&) = delete;
    Scenario& operator=(const Scenario&) = delete;

    std::string name(uint64_t id) {
        static const char* const parts[] = {"al", "Bo", "ce", "Dee", "\xc3\xa9mi", "z", "_x", "Quentin"};
        std::string s = parts[rng() % 8];
        if (rng() % 10 == 0) s += "-a-rather-long-display-name-" + std::to_string(id);
        else s += std::to_string(id % 97);
        return s;
    }
    void add(uint64_t id) {
        uint64_t roles[5];
        size_t nr = rng() % 6;
        for (size_t i = 0; i < nr; ++i) roles[i] = 1 + rng() % 8;
        nr = static_cast<size_t>(std::remove(roles, roles + nr, uint64_t{4}) - roles);
        const std::string nm = name(id);
        REQUIRE(roster_member_add(g, id, nm.data(), nm.size(), roles, nr, static_cast<int>(rng() % 4)) ==
                ROSTER_OK);
        members.push_back(id);
    }
    void subscribe(uint64_t s) {
        const uint64_t l = lists[rng() % lists.size()];
        roster_range r[2] = {{static_cast<uint32_t>(rng() % 40), 0}, {0, 0}};
        r[0].end = r[0].start + static_cast<uint32_t>(rng() % 12);
        r[1].start = static_cast<uint32_t>(rng() % 80);
        r[1].end = r[1].start + 3;
        REQUIRE(roster_session_subscribe(g, s, l, r, 1 + rng() % 2) == ROSTER_OK);
    }
    std::string text() const { return describe(g, lists, members, sessions); }

    // One random later event, applied to both guilds alike.
    void event(std::mt19937_64& r, roster_guild* a, roster_guild* b, std::vector<uint64_t>& ids) {
        auto both = [&](auto&& f) {
            const int x = f(a), y = f(b);
            REQUIRE(x == y);
        };
        const uint64_t id = ids.empty() ? 1 : ids[r() % ids.size()];
        switch (r() % 12) {
        case 0: case 1: case 2: case 3: {
            const int st = static_cast<int>(r() % 4);
            both([&](roster_guild* g) { return roster_member_set_status(g, id, st); });
            break;
        }
        case 4: {
            const std::string nm = name(id);
            both([&](roster_guild* g) { return roster_member_set_name(g, id, nm.data(), nm.size()); });
            break;
        }
        case 5: {
            const uint64_t role = 1 + r() % 8;
            const bool add = r() % 2;
            both([&](roster_guild* g) {
                return add ? roster_member_add_role(g, id, role) : roster_member_remove_role(g, id, role);
            });
            break;
        }
        case 6: {
            const uint64_t nid = 900000 + r() % 100000;
            const std::string nm = name(nid);
            both([&](roster_guild* g) { return roster_member_add(g, nid, nm.data(), nm.size(), nullptr, 0, 1); });
            ids.push_back(nid);
            break;
        }
        case 7:
            both([&](roster_guild* g) { return roster_member_remove(g, id); });
            break;
        case 8: {
            roster_role role{1 + r() % 9, static_cast<int32_t>(r() % 5), static_cast<uint32_t>(r() % 8)};
            both([&](roster_guild* g) { return roster_role_upsert(g, &role); });
            break;
        }
        case 9: {
            const uint64_t s = 1 + r() % 12, l = lists[r() % lists.size()];
            roster_range rg{static_cast<uint32_t>(r() % 50), static_cast<uint32_t>(r() % 50)};
            const size_t n = r() % 4 ? 1 : 0;
            both([&](roster_guild* g) { return roster_session_subscribe(g, s, l, &rg, n); });
            break;
        }
        case 10: {
            roster_event evs[8];
            for (auto& e : evs) {
                e = roster_event{};
                e.kind = ROSTER_EVENT_STATUS;
                e.user_id = ids.empty() ? 1 : ids[r() % ids.size()];
                e.status = static_cast<int32_t>(r() % 4);
            }
            both([&](roster_guild* g) { return roster_events_apply(g, evs, 8, sizeof(roster_event), nullptr); });
            break;
        }
        default: {
            const uint32_t t = static_cast<uint32_t>(20 + r() % 80);
            both([&](roster_guild* g) { return roster_guild_set_offline_threshold(g, t); });
            break;
        }
        }
    }
};

// ---------------------------------------------- raw section surgery --
// The snapshot's sections decoded into their payloads, so that a test can
// change content and write it back with valid checksums.
struct Sections {
    roster::snapshot::Header header;
    std::vector<std::pair<std::uint32_t, Bytes>> sections;
};

Sections decode(const Bytes& b) {
    Sections out;
    std::memcpy(&out.header.format, b.data() + 8, 4);
    std::memcpy(&out.header.library, b.data() + 12, 4);
    std::memcpy(&out.header.flags, b.data() + 16, 4);
    std::size_t at = roster::snapshot::kHeaderSize;
    bool last = true;
    for (;;) {
        std::uint32_t tag, len;
        std::memcpy(&tag, b.data() + at, 4);
        std::memcpy(&len, b.data() + at + 4, 4);
        const std::uint32_t t = tag & ~roster::snapshot::kLastBlock;
        if (t == roster::snapshot::kEndTag) break;
        if (out.sections.empty() || last) out.sections.push_back({t, {}});
        last = (tag & roster::snapshot::kLastBlock) != 0;
        Bytes& p = out.sections.back().second;
        p.insert(p.end(), b.begin() + static_cast<long>(at + 8), b.begin() + static_cast<long>(at + 8 + len));
        at += 12 + len;
    }
    return out;
}

Bytes encode(const Sections& s) {
    Bytes b;
    roster::snapshot::Writer w(
        [](void* u, const void* d, std::size_t n) {
            append(d, n, u);
            return true;
        },
        &b);
    w.header(s.header);
    for (const auto& [tag, payload] : s.sections) {
        w.begin(tag);
        w.bytes(payload.data(), payload.size());
        w.end();
    }
    REQUIRE(w.finish());
    return b;
}

std::uint32_t get32(const Bytes& p, std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, p.data() + at, 4);
    return v;
}
void put32(Bytes& p, std::size_t at, std::uint32_t v) { std::memcpy(p.data() + at, &v, 4); }
void put64(Bytes& p, std::size_t at, std::uint64_t v) { std::memcpy(p.data() + at, &v, 8); }

Bytes& section(Sections& s, std::uint32_t tag) {
    for (auto& [t, p] : s.sections)
        if (t == tag) return p;
    FAIL("no section " << tag);
    static Bytes none;
    return none;
}

// Offsets of the member records in the members section.
std::vector<std::size_t> member_offsets(const Bytes& p) {
    const std::uint32_t high = get32(p, 0), nfree = get32(p, 4);
    std::size_t at = 8 + 4 * std::size_t{nfree};
    std::vector<std::size_t> out;
    for (std::uint32_t i = 0; i < high - nfree; ++i) {
        out.push_back(at);
        at += 8 + 4 + 1;
        const std::size_t nlen = p[at];
        at += 1 + nlen;
        const bool key = p[at];
        at += 1;
        if (key) at += 4 + get32(p, at);
        at += 4 + 4 * std::size_t{get32(p, at)};
    }
    CHECK(at == p.size());
    return out;
}

// Loading must fail with `want` (and leak nothing: ASan).
void refused(const Bytes& b, int want, const roster_config* c = nullptr) {
    roster_guild* g = nullptr;
    CHECK(load(&g, b, c) == want);
    CHECK(g == nullptr);
}

}  // namespace

TEST_SUITE("snapshot") {

TEST_CASE("a loaded guild answers every query as the original and saves to the same bytes") {
    for (int n : {0, 1, 40, 300}) {
        INFO("members " << n);
        Scenario sc(n, 7 + static_cast<uint64_t>(n));
        const Bytes b = save(sc.g);
        roster_guild* g2 = nullptr;
        REQUIRE(load(&g2, b) == ROSTER_OK);
        std::string why;
        CHECK_MESSAGE(invariants(g2, &why), why);
        CHECK(describe(g2, sc.lists, sc.members, sc.sessions) == sc.text());
        CHECK(save(g2) == b);
        // Without sessions: the same guild, no sessions.
        const Bytes bare = save(sc.g, 0);
        CHECK(bare.size() < b.size());
        roster_guild* g3 = nullptr;
        REQUIRE(load(&g3, bare) == ROSTER_OK);
        uint32_t ns = 1;
        roster_guild_session_count(&ns, g3);
        CHECK(ns == 0);
        CHECK(describe(g3, sc.lists, sc.members, {}, false) ==
              describe(sc.g, sc.lists, sc.members, {}, false));
        roster_guild_destroy(g3);
        roster_guild_destroy(g2);
    }
}

TEST_CASE("the same later events give byte-identical frames on the original and the loaded guild") {
    for (uint64_t seed : {1, 2, 3}) {
        INFO("seed " << seed);
        Scenario sc(120, seed);
        Frames fa, fb;
        fa.attach(sc.g);
        const Bytes b = save(sc.g);
        CHECK(fa.count == 0);  // nothing owed: the save flushed nothing
        roster_guild* g2 = nullptr;
        const roster_config cfg = config();  // the same limits
        REQUIRE(load(&g2, b, &cfg) == ROSTER_OK);
        fb.attach(g2);
        CHECK(fb.count == 0);  // loading sends nothing
        std::mt19937_64 r(seed * 1000);
        std::vector<uint64_t> ids = sc.members;
        for (int i = 0; i < 1500; ++i) {
            const bool batch = r() % 10 == 0;
            if (batch) {
                REQUIRE(roster_batch_begin(sc.g) == ROSTER_OK);
                REQUIRE(roster_batch_begin(g2) == ROSTER_OK);
            }
            for (int k = batch ? 5 : 1; k-- > 0;) sc.event(r, sc.g, g2, ids);
            if (batch) {
                REQUIRE(roster_batch_commit(sc.g) == roster_batch_commit(g2));
            }
            const std::string a = fa.take(), c = fb.take();
            REQUIRE(a == c);
            if (i % 500 == 499) {
                // And again after a second hand-off of the loaded one.
                const Bytes again = save(g2);
                roster_guild* g3 = nullptr;
                REQUIRE(load(&g3, again, &cfg) == ROSTER_OK);
                roster_guild_destroy(g2);
                g2 = g3;
                fb.attach(g2);
            }
        }
        CHECK(fa.count > 100);
        std::string why;
        CHECK_MESSAGE(invariants(g2, &why), why);
        roster_guild_destroy(g2);
    }
}

TEST_CASE("saved sessions keep incremental ops; unsaved ones subscribe again and get SYNC") {
    Scenario sc(50, 5, false);
    roster_range r{0, 9};
    REQUIRE(roster_session_subscribe(sc.g, 1, 0, &r, 1) == ROSTER_OK);
    Bytes with = save(sc.g), without = save(sc.g, 0);
    roster_guild *a = nullptr, *b = nullptr;
    REQUIRE(load(&a, with) == ROSTER_OK);
    REQUIRE(load(&b, without) == ROSTER_OK);
    Frames fa, fb;
    fa.attach(a);
    fb.attach(b);
    // A member shown in rows 0-9 changes status.
    roster_row rows[10];
    size_t got = 0;
    REQUIRE(roster_list_rows(rows, 10, &got, a, 0, 0, 9) == ROSTER_OK);
    uint64_t who = 0;
    for (size_t i = 0; i < got && !who; ++i)
        if (rows[i].kind == ROSTER_ROW_MEMBER) who = rows[i].user;
    REQUIRE(who != 0);
    roster_member_info info;
    REQUIRE(roster_member_get(&info, nullptr, 0, nullptr, a, who) == ROSTER_OK);
    REQUIRE(roster_member_set_status(a, who, info.status == ROSTER_IDLE ? ROSTER_DND : ROSTER_IDLE) ==
            ROSTER_OK);
    CHECK(fa.count == 1);
    CHECK(fa.text.find(" | 0 ") == std::string::npos);  // no SYNC
    CHECK(roster_session_subscribe(b, 1, 0, &r, 1) == ROSTER_OK);
    CHECK(fb.text.find(" | 0 0-9") != std::string::npos);  // a new subscription: SYNC
    roster_guild_destroy(a);
    roster_guild_destroy(b);
}

TEST_CASE("a list whose last subscriber was just removed is not written") {
    Scenario sc(20, 13, false);
    roster_range r{0, 4};
    REQUIRE(roster_session_subscribe(sc.g, 1, 11, &r, 1) == ROSTER_OK);
    REQUIRE(roster_session_subscribe(sc.g, 2, 0, &r, 1) == ROSTER_OK);
    REQUIRE(roster_session_remove(sc.g, 1) == ROSTER_OK);  // list 11 loses its audience
    const Bytes b = save(sc.g);
    roster_guild* g = nullptr;
    REQUIRE(load(&g, b) == ROSTER_OK);
    CHECK(describe(g, sc.lists, sc.members, {1, 2}) == describe(sc.g, sc.lists, sc.members, {1, 2}));
    roster_guild_destroy(g);
}

TEST_CASE("save: statuses") {
    Scenario sc(30, 3);
    Bytes b;
    CHECK(roster_guild_save(nullptr, 0, append, &b) == ROSTER_EINVAL);
    CHECK(roster_guild_save(sc.g, 0, nullptr, &b) == ROSTER_EINVAL);
    CHECK(roster_guild_save(sc.g, 2, append, &b) == ROSTER_EINVAL);
    // Inside a batch: refused (commit first); the batch stays open.
    REQUIRE(roster_batch_begin(sc.g) == ROSTER_OK);
    CHECK(roster_guild_save(sc.g, 0, append, &b) == ROSTER_EINVAL);
    CHECK(b.empty());
    REQUIRE(roster_batch_commit(sc.g) == ROSTER_OK);
    // Inside the frame callback: busy.
    Frames f;
    int inside = 1;
    f.hook = [&](roster_guild* g) { inside = roster_guild_save(g, 0, append, &b); };
    f.attach(sc.g);
    roster_range r{0, 4};
    REQUIRE(roster_session_subscribe(sc.g, 50, 0, &r, 1) == ROSTER_OK);  // its SYNC
    CHECK(f.count == 1);
    f.hook = nullptr;
    CHECK(inside == ROSTER_EBUSY);
    CHECK(b.empty());
    // A write callback that fails: EIO, and the guild goes on.
    for (int fail_at : {0, 1, 2, 5}) {
        int calls = 0;
        struct Ctx { int* calls; int fail_at; } ctx{&calls, fail_at};
        auto failing = [](const void*, size_t, void* u) -> int {
            auto* c = static_cast<Ctx*>(u);
            return (*c->calls)++ == c->fail_at ? -1 : 0;
        };
        CHECK(roster_guild_save(sc.g, ROSTER_SAVE_SESSIONS, failing, &ctx) == ROSTER_EIO);
        CHECK(calls == fail_at + 1);  // nothing written after the failure
    }
    CHECK(roster_member_set_status(sc.g, sc.members[0], 1) == ROSTER_OK);
    CHECK(strcmp(roster_status_str(ROSTER_EIO), "callback failed") == 0);
}

TEST_CASE("load: through a read callback in pieces of any size, statuses") {
    Scenario sc(200, 4);
    const Bytes b = save(sc.g);
    const std::string want = sc.text();
    struct Src {
        const Bytes* b;
        std::size_t at = 0;
        std::size_t piece;
        long fail_at = -1;
        long calls = 0;
    };
    auto read = [](void* buf, size_t cap, size_t* got, void* u) -> int {
        auto* s = static_cast<Src*>(u);
        if (s->calls++ == s->fail_at) return 5;
        const std::size_t n = std::min({cap, s->piece, s->b->size() - s->at});
        std::memcpy(buf, s->b->data() + s->at, n);
        s->at += n;
        *got = n;
        return 0;
    };
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{1} << 20}) {
        Src src{&b, 0, piece};
        roster_guild* g = nullptr;
        REQUIRE(roster_guild_load(&g, nullptr, read, &src) == ROSTER_OK);
        CHECK(describe(g, sc.lists, sc.members, sc.sessions) == want);
        roster_guild_destroy(g);
    }
    for (long fail_at : {0L, 1L, 3L, 10L}) {
        Src src{&b, 0, 100, fail_at};
        roster_guild* g = nullptr;
        CHECK(roster_guild_load(&g, nullptr, read, &src) == ROSTER_EIO);
        CHECK(g == nullptr);
    }
    // Truncated through a callback: corrupt.
    Bytes cut(b.begin(), b.end() - 1);
    Src src{&cut, 0, 1000};
    roster_guild* g = nullptr;
    CHECK(roster_guild_load(&g, nullptr, read, &src) == ROSTER_ECORRUPT);
    CHECK(roster_guild_load(nullptr, nullptr, read, &src) == ROSTER_EINVAL);
    CHECK(roster_guild_load(&g, nullptr, nullptr, &src) == ROSTER_EINVAL);
    CHECK(roster_guild_load_buffer(&g, nullptr, nullptr, 10) == ROSTER_EINVAL);
    CHECK(roster_guild_load_buffer(&g, nullptr, nullptr, 0) == ROSTER_ECORRUPT);
    roster_config bad = ROSTER_CONFIG_INIT;
    bad.max_members = 0;
    CHECK(load(&g, b, &bad) == ROSTER_EINVAL);
    CHECK(g == nullptr);
}

TEST_CASE("load: the snapshot's settings, the config's limits") {
    Scenario sc(100, 6);
    const Bytes b = save(sc.g);
    roster_config c = ROSTER_CONFIG_INIT;  // other threshold and chunk size: not used
    roster_guild* g = nullptr;
    REQUIRE(load(&g, b, &c) == ROSTER_OK);
    CHECK(describe(g, sc.lists, sc.members, sc.sessions) == sc.text());
    roster_guild_destroy(g);

    uint32_t members = 0;
    roster_guild_member_count(&members, sc.g);
    auto limited = [&](auto&& set) {
        roster_config l = config();
        set(l);
        refused(b, ROSTER_ELIMIT, &l);
    };
    limited([&](roster_config& l) { l.max_members = members - 1; });
    limited([](roster_config& l) { l.max_roles = 6; });
    limited([](roster_config& l) { l.max_roles_per_member = 2; });
    limited([](roster_config& l) { l.max_lists = 3; });
    limited([](roster_config& l) { l.max_overwrites = 4; });
    limited([](roster_config& l) { l.max_sort_key_bytes = 3; });
    limited([](roster_config& l) { l.max_sessions = 9; });
    limited([](roster_config& l) { l.max_session_lists = 1; });
    limited([](roster_config& l) { l.max_ranges = 1; });
    // Exactly at the limits: fine.
    roster_config at = config();
    at.max_members = members;
    at.max_roles = 7;
    at.max_lists = 4;
    at.max_sessions = 10;
    REQUIRE(load(&g, b, &at) == ROSTER_OK);
    roster_guild_destroy(g);
}

TEST_CASE("load: versions") {
    Scenario sc(10, 8);
    const Bytes b = save(sc.g);
    Sections s = decode(b);
    CHECK(s.header.format == 1);
    CHECK(s.header.library == (ROSTER_VERSION_MAJOR << 16 | ROSTER_VERSION_MINOR << 8 | ROSTER_VERSION_PATCH));
    CHECK(encode(s) == b);
    s.header.format = 2;
    refused(encode(s), ROSTER_EVERSION);
    s.header.format = 0;
    refused(encode(s), ROSTER_EVERSION);
    s.header.format = 1;
    s.header.flags = 4 | 1;  // a feature this version does not know
    refused(encode(s), ROSTER_EVERSION);
    s.header.flags = 0x80000000u | 1;
    refused(encode(s), ROSTER_EVERSION);
    // Bit 1: the guild sends tail deletes (docs/frames.md §10). Loaded
    // with a config that has them off, the guild keeps them: it saves the
    // bit again.
    s.header.flags = 2 | 1;
    roster_guild* g = nullptr;
    REQUIRE(load(&g, encode(s)) == ROSTER_OK);
    CHECK(decode(save(g)).header.flags == (2u | 1u));
    roster_guild_destroy(g);
    g = nullptr;
    s.header.flags = 1;
    s.header.library = 0x7f0000;  // any writer version is read
    REQUIRE(load(&g, encode(s)) == ROSTER_OK);
    CHECK(decode(save(g)).header.flags == 1u);  // without the bit: no tail deletes
    roster_guild_destroy(g);
}

TEST_CASE("damage: every truncation, random bit and byte changes") {
    Scenario empty(0, 9, false);
    Scenario small(60, 10);
    Scenario big(12500, 11);  // 10,000 members after the removals
    uint32_t n = 0;
    roster_guild_member_count(&n, big.g);
    CHECK(n == 10000);
    std::mt19937_64 r(99);
    long changes = 0;
    for (auto* sc : {&empty, &small, &big}) {
        const Bytes b = save(sc->g);
        INFO("snapshot of " << b.size() << " bytes");
        for (std::size_t len = 0; len < b.size(); ++len) {
            roster_guild* g = nullptr;
            const int rc = roster_guild_load_buffer(&g, nullptr, b.data(), len);  // the first len bytes
            if (rc != ROSTER_ECORRUPT || g) FAIL_CHECK("truncated to " << len << " bytes: " << roster_status_str(rc));
        }
        Bytes longer(b);
        longer.push_back(0);
        refused(longer, ROSTER_ECORRUPT);
        const int rounds = sc == &empty ? 2000 : sc == &small ? 14000 : 4000;
        for (int i = 0; i < rounds; ++i) {
            Bytes d(b);
            const std::size_t at = r() % d.size();
            if (i % 2)
                d[at] ^= static_cast<unsigned char>(1u << (r() % 8));
            else
                d[at] = static_cast<unsigned char>(d[at] + 1 + r() % 255);  // a different byte
            roster_guild* g = nullptr;
            const int rc = load(&g, d);
            // The header's checksum is checked before its version: any
            // change is damage.
            CHECK(rc == ROSTER_ECORRUPT);
            CHECK(g == nullptr);
            ++changes;
        }
    }
    CHECK(changes >= 20000);
}

TEST_CASE("damage under valid checksums: content that breaks a rule") {
    Scenario sc(60, 12);
    const Bytes b = save(sc.g);
    const Sections s0 = decode(b);
    auto mutated = [&](auto&& change) {
        Sections s = s0;
        change(s);
        return encode(s);
    };
    using roster::snapshot::s_lists;
    using roster::snapshot::s_members;
    using roster::snapshot::s_roles;
    using roster::snapshot::s_sessions;
    using roster::snapshot::s_settings;

    // Members: a duplicate id, invalid UTF-8, a name of 0 bytes, a role
    // that does not exist, roles out of order, a bad status, a member count
    // that does not add up (a free slot too many).
    const Bytes& mp = section(const_cast<Sections&>(s0), s_members);
    const auto offs = member_offsets(mp);
    REQUIRE(offs.size() >= 3);
    std::uint64_t first_id;
    std::memcpy(&first_id, mp.data() + offs[0], 8);
    refused(mutated([&](Sections& s) { put64(section(s, s_members), offs[1], first_id); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { section(s, s_members)[offs[0] + 14] = 0xff; }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { section(s, s_members)[offs[0] + 14] = 0x80; }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { section(s, s_members)[offs[0] + 12] = 4; }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { put64(section(s, s_members), offs[0], 0); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { put32(section(s, s_members), 4, get32(mp, 4) + 1); }), ROSTER_ECORRUPT);
    // A member holding a role: its first role slot made the removed role's
    // (slot 3, role 4), then one past the last slot.
    for (std::size_t o : offs) {
        std::size_t at = o + 13;
        at += 1 + mp[at];
        const bool key = mp[at];
        at += 1;
        if (key) at += 4 + get32(mp, at);
        const std::uint32_t nroles = get32(mp, at);
        if (nroles < 2) continue;
        refused(mutated([&](Sections& s) { put32(section(s, s_members), at + 4, 3); }), ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put32(section(s, s_members), at + 4, 8); }), ROSTER_ECORRUPT);
        const std::uint32_t r0 = get32(mp, at + 4), r1 = get32(mp, at + 8);
        refused(mutated([&](Sections& s) {
                    put32(section(s, s_members), at + 4, r1);
                    put32(section(s, s_members), at + 8, r0);
                }),
                ROSTER_ECORRUPT);
        break;
    }
    // Roles: an id twice, a reserved id, a free list that does not match.
    const Bytes& rp = section(const_cast<Sections&>(s0), s_roles);
    refused(mutated([&](Sections& s) { put64(section(s, s_roles), 8 + 14 + 1, 1); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { put64(section(s, s_roles), 8 + 1, ROSTER_GROUP_ONLINE); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { put32(section(s, s_roles), rp.size() - 8, 0); }), ROSTER_ECORRUPT);
    // Lists: list 0's group order swapped (unsorted), a group size off by
    // one, a member listed twice, list 0 not first.
    const Bytes& lp = section(const_cast<Sections&>(s0), s_lists);
    {
        // List 0: id, bit, everyone, 0 role and 0 member overwrites, then
        // its groups: the first group's id, size and member slots.
        const std::size_t g0 = 4 + 8 + 4 + 1 + 4 + 4;
        const std::uint32_t ngroups = get32(lp, g0);
        const std::size_t first = g0 + 4;
        const std::uint32_t size = get32(lp, first + 8);
        REQUIRE(ngroups >= 1);
        REQUIRE(size >= 2);
        const std::size_t m0 = first + 12;
        const std::uint32_t a = get32(lp, m0), c = get32(lp, m0 + 4);
        refused(mutated([&](Sections& s) {
                    put32(section(s, s_lists), m0, c);
                    put32(section(s, s_lists), m0 + 4, a);
                }),
                ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put32(section(s, s_lists), m0 + 4, a); }), ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put32(section(s, s_lists), first + 8, size - 1); }), ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put32(section(s, s_lists), first + 8, size + 1); }), ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put32(section(s, s_lists), g0, ngroups - 1); }), ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put64(section(s, s_lists), 4, 11); }), ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put32(section(s, s_lists), 0, 0); }), ROSTER_ECORRUPT);
    }
    // Sessions: a session id twice, a session in an audience of a list it
    // does not hold.
    {
        const Bytes& sp = section(const_cast<Sections&>(s0), s_sessions);
        const std::uint64_t first_session = [&] {
            std::uint64_t v;
            std::memcpy(&v, sp.data() + 4, 8);
            return v;
        }();
        const std::size_t second = 4 + 8 + 4 + 8 * std::size_t{get32(sp, 12)};
        refused(mutated([&](Sections& s) { put64(section(s, s_sessions), second, first_session); }), ROSTER_ECORRUPT);
        refused(mutated([&](Sections& s) { put32(section(s, s_sessions), 0, get32(sp, 0) + 1); }), ROSTER_ECORRUPT);
    }
    // Sections missing, repeated, out of order, or an extra byte inside one.
    refused(mutated([&](Sections& s) { s.sections.erase(s.sections.begin() + 2); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { std::swap(s.sections[2], s.sections[3]); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { s.sections.push_back(s.sections.back()); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { s.header.flags = 0; }), ROSTER_ECORRUPT);  // sessions left over
    refused(mutated([&](Sections& s) { section(s, s_settings).push_back(0); }), ROSTER_ECORRUPT);
    refused(mutated([&](Sections& s) { section(s, s_settings)[4] = 2; }), ROSTER_ECORRUPT);  // everyone_view 2

    // Random byte changes with the checksums made valid again: refused, or
    // (a change that still describes a valid guild, such as another letter
    // of a name) loaded with every invariant holding.
    std::mt19937_64 r(5);
    int loaded = 0;
    for (int i = 0; i < 4000; ++i) {
        Sections s = s0;
        auto& [tag, p] = s.sections[1 + r() % (s.sections.size() - 1)];
        if (p.empty()) continue;
        for (int k = 0, n = 1 + static_cast<int>(r() % 3); k < n; ++k)
            p[r() % p.size()] ^= static_cast<unsigned char>(1 + r() % 255);
        roster_guild* g = nullptr;
        const int rc = load(&g, encode(s));
        if (rc == ROSTER_OK) {
            ++loaded;
            std::string why;
            CHECK_MESSAGE(invariants(g, &why), why);
            roster_guild_destroy(g);
        } else {
            CHECK((rc == ROSTER_ECORRUPT || rc == ROSTER_ELIMIT));
            CHECK(g == nullptr);
        }
    }
    MESSAGE(loaded << " of 4000 re-checksummed changes still described a valid guild");
}

}  // TEST_SUITE
