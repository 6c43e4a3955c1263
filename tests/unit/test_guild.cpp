// Hand-written guild scenarios with exact expected rows (docs/model.md §1–§8).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "guild.hpp"
#include "member_record.hpp"
#include "text.hpp"

using namespace roster;

namespace {

std::string dump(const Guild& g, std::uint64_t list = 0) {
    std::uint32_t len = 0;
    REQUIRE(g.list_length(list, &len) == Error::ok);
    roster::Vec<Row> rows;
    if (len) REQUIRE(g.rows(list, 0, len - 1, &rows) == Error::ok);
    std::string out;
    for (const Row& r : rows) {
        char buf[64];
        const char* g_name = r.group == group_online ? "on" : r.group == group_offline ? "off" : nullptr;
        char role[32];
        std::snprintf(role, sizeof role, "r%llu", static_cast<unsigned long long>(r.group));
        if (r.header())
            std::snprintf(buf, sizeof buf, "%s[%s:%u]", out.empty() ? "" : " ", g_name ? g_name : role, r.count);
        else
            std::snprintf(buf, sizeof buf, "%s%llu", out.empty() ? "" : " ", static_cast<unsigned long long>(r.user));
        out += buf;
    }
    std::string why;
    bool ok = g.check_invariants(&why);
    INFO(why);
    REQUIRE(ok);
    return out;
}

const roster::Vec<std::uint64_t> none;

}  // namespace

TEST_SUITE("guild") {

// The sort-key prefix folds eight bytes at once; it must equal folding and
// packing one byte at a time, for every byte value at every position and
// for keys of every length.
TEST_CASE("key_prefix equals the byte-at-a-time fold") {
    auto reference = [](std::string_view k, bool fold) {
        std::uint64_t p = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            const unsigned char c = i < k.size() ? static_cast<unsigned char>(k[i]) : 0u;
            p = (p << 8) | (fold ? roster::fold_byte(c) : c);
        }
        return p;
    };
    for (int c = 0; c < 256; ++c)
        for (std::size_t at = 0; at < 9; ++at) {
            std::string k(at + 1, 'Q');
            k[at] = static_cast<char>(c);
            for (bool fold : {true, false}) {
                REQUIRE(roster::key_prefix(k, fold) == reference(k, fold));
                REQUIRE(roster::key_prefix(std::string_view(k).substr(0, at), fold) ==
                        reference(std::string_view(k).substr(0, at), fold));
            }
        }
    std::uint32_t x = 7;
    for (int i = 0; i < 20000; ++i) {
        std::string k(i % 12, ' ');
        for (char& ch : k) {
            x = x * 1664525u + 1013904223u;
            ch = static_cast<char>(x >> 24);
        }
        REQUIRE(roster::key_prefix(k, true) == reference(k, true));
    }
}

// copy_short moves n <= 24 bytes with overlapping fixed-size moves: every
// length copies exactly its bytes, none before or after. A Text's inline
// name is zero past its length (a record copies all 24 bytes).
TEST_CASE("copy_short copies exactly n bytes; a Text's inline name is zero-padded") {
    char src[32], dst[40];
    for (int i = 0; i < 32; ++i) src[i] = static_cast<char>(0x41 + i);
    for (std::size_t n = 0; n <= 24; ++n) {
        std::memset(dst, '#', sizeof dst);
        roster::copy_short(dst + 8, src, n);
        for (std::size_t i = 0; i < sizeof dst; ++i) {
            const bool inside = i >= 8 && i < 8 + n;
            INFO("n ", n, " byte ", i);
            REQUIRE(dst[i] == (inside ? src[i - 8] : '#'));
        }
        const std::string name(src, n ? n : 1);
        roster::Text t(name, false, {});
        REQUIRE(t.name() == name);
        for (std::size_t i = name.size(); i < roster::name_inline; ++i) REQUIRE(t.inl[i] == 0);
    }
}

TEST_CASE("sections: hoisted roles by position then id, online, offline; empty groups absent") {
    Guild g;
    REQUIRE(g.upsert_role({10, 5, true, false, false}) == Error::ok);
    REQUIRE(g.upsert_role({11, 5, true, false, false}) == Error::ok);  // same position: id 10 first
    REQUIRE(g.upsert_role({12, 9, true, false, false}) == Error::ok);
    REQUIRE(g.upsert_role({13, 99, false, false, false}) == Error::ok);  // not hoisted
    roster::Vec<std::uint64_t> r10 = {10}, r11 = {11}, both = {10, 12}, r13 = {13};
    REQUIRE(g.upsert_member(1, "bob", r10, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(2, "Alice", r11, Status::idle, false) == Error::ok);
    REQUIRE(g.upsert_member(3, "carol", both, Status::dnd, false) == Error::ok);
    REQUIRE(g.upsert_member(4, "dave", r13, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(5, "erin", r10, Status::offline, false) == Error::ok);
    CHECK(dump(g) == "[r12:1] 3 [r10:1] 1 [r11:1] 2 [on:1] 4 [off:1] 5");
    std::uint32_t mc = 0, oc = 0;
    REQUIRE(g.counts(0, &mc, &oc) == Error::ok);
    CHECK(mc == 5);
    CHECK(oc == 4);
    std::uint32_t idx = 0;
    REQUIRE(g.index_of(0, 2, &idx) == Error::ok);
    CHECK(idx == 5);
    CHECK(g.index_of(0, 99, &idx) == Error::not_found);
}

TEST_CASE("a new hoisted role joins the sections where it sorts, in every list") {
    Guild g;
    ListRule all;
    REQUIRE(g.upsert_role({30, 5, true, false, false}) == Error::ok);
    REQUIRE(g.set_list(7, all) == Error::ok);
    REQUIRE(g.upsert_role({10, 5, true, false, false}) == Error::ok);   // before 30: lower id
    REQUIRE(g.upsert_role({20, 9, true, false, false}) == Error::ok);   // first: highest
    REQUIRE(g.upsert_role({40, 99, false, false, false}) == Error::ok); // no section
    REQUIRE(g.upsert_role({50, 5, true, false, false}) == Error::ok);   // after 30
    REQUIRE(g.upsert_role({60, -1, true, false, false}) == Error::ok);  // last
    const roster::Vec<std::uint64_t> r10 = {10}, r20 = {20}, r30 = {30}, r40 = {40}, r50 = {50},
                                     r60 = {60};
    REQUIRE(g.upsert_member(1, "a", r10, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(2, "b", r20, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(3, "c", r30, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(4, "d", r40, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(5, "e", r50, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(6, "f", r60, Status::online, false) == Error::ok);
    const std::string sections = "[r20:1] 2 [r10:1] 1 [r30:1] 3 [r50:1] 5 [r60:1] 6 [on:1] 4";
    CHECK(dump(g) == sections);
    CHECK(dump(g, 7) == sections);
    // Sections with members in the lists: a new one between them (its
    // slot reused from a removed role) shifts the later ones' rows.
    REQUIRE(g.upsert_role({70, 0, false, false, false}) == Error::ok);
    REQUIRE(g.remove_role(70) == Error::ok);
    REQUIRE(g.upsert_role({80, 7, true, false, false}) == Error::ok);
    const roster::Vec<std::uint64_t> r80 = {80};
    REQUIRE(g.upsert_member(7, "g", r80, Status::online, false) == Error::ok);
    const std::string more = "[r20:1] 2 [r80:1] 7 [r10:1] 1 [r30:1] 3 [r50:1] 5 [r60:1] 6 [on:1] 4";
    CHECK(dump(g) == more);
    CHECK(dump(g, 7) == more);
    std::uint32_t idx = 0;
    REQUIRE(g.index_of(7, 3, &idx) == Error::ok);
    CHECK(idx == 7);
}

TEST_CASE("hoisted roles created between member events, in random positions, sort as the model says") {
    // Fixed seed; the model is a sort of the roles that have members.
    Guild g;
    ListRule all;
    REQUIRE(g.set_list(7, all) == Error::ok);
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    struct R {
        std::int32_t pos;
        std::uint64_t id;
    };
    roster::Vec<R> held;
    std::uint64_t user = 1;
    for (std::uint64_t id = 1; id <= 300; ++id) {
        const std::int32_t pos = static_cast<std::int32_t>(next() % 50) - 25;  // ties broken by id
        REQUIRE(g.upsert_role({id, pos, true, false, false}) == Error::ok);
        if (next() % 3 == 0) continue;  // a section nobody is in
        const roster::Vec<std::uint64_t> r = {id};
        REQUIRE(g.upsert_member(user, "m", r, Status::online, false) == Error::ok);
        held.push_back({pos, id});
        std::string why;
        const bool ok = g.check_invariants(&why);
        INFO(why);
        REQUIRE(ok);
        ++user;
    }
    REQUIRE(g.upsert_member(user, "z", none, Status::online, false) == Error::ok);
    std::sort(held.begin(), held.end(), [](const R& a, const R& b) {
        return a.pos != b.pos ? a.pos > b.pos : a.id < b.id;
    });
    roster::Vec<GroupCount> want, got0, got7;
    for (const R& r : held) want.push_back(GroupCount{r.id, 1});
    want.push_back(GroupCount{group_online, 1});
    REQUIRE(g.groups(0, &got0) == Error::ok);
    REQUIRE(g.groups(7, &got7) == Error::ok);
    REQUIRE(got0.size() == want.size());
    REQUIRE(got7.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(got0[i].id == want[i].id);
        CHECK(got0[i].count == 1);
        CHECK(got7[i].id == want[i].id);
    }
    // Each section is a header and one row: the member of the k-th section
    // is row 2k+1.
    std::uint32_t idx = 0;
    for (std::size_t k = 0; k < held.size(); k += 37) {
        roster::Vec<Row> rows;
        REQUIRE(g.rows(0, static_cast<std::uint32_t>(2 * k), static_cast<std::uint32_t>(2 * k + 1), &rows) ==
                Error::ok);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].group == held[k].id);
        CHECK(rows[0].header());
        REQUIRE(g.index_of(0, rows[1].user, &idx) == Error::ok);
        CHECK(idx == 2 * k + 1);
    }
}

TEST_CASE("role slots stay below the group numbers, whatever max_roles says") {
    GuildConfig cfg;
    cfg.max_roles = max_role_slots + 10;
    Guild g(cfg);
    std::uint32_t made = 0;
    for (std::uint64_t id = 1; id <= max_role_slots; ++id)
        made += g.upsert_role({id, 0, false, false, false}) == Error::ok;
    CHECK(made == max_role_slots);
    CHECK(g.upsert_role({max_role_slots + 1, 0, true, false, false}) == Error::limit);
    // The last slot is a section of its own, above online.
    REQUIRE(g.upsert_role({max_role_slots, 5, true, false, false}) == Error::ok);
    const roster::Vec<std::uint64_t> last = {max_role_slots};
    REQUIRE(g.upsert_member(1, "a", last, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(2, "b", none, Status::online, false) == Error::ok);
    CHECK(dump(g) == "[r" + std::to_string(max_role_slots) + ":1] 1 [on:1] 2");
}

TEST_CASE("order inside a group: folded name, bytes, then user id") {
    Guild g;
    REQUIRE(g.upsert_member(30, "ann", none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(20, "Ann", none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(10, "ANN", none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(5, "_z", none, Status::online, false) == Error::ok);   // '_' < 'a'
    REQUIRE(g.upsert_member(6, "\xc3\xa9", none, Status::online, false) == Error::ok);  // é after ascii
    REQUIRE(g.upsert_member(7, "B", none, Status::online, false) == Error::ok);
    CHECK(dump(g) == "[on:6] 5 10 20 30 7 6");
    const std::uint8_t k[] = {0x00};
    REQUIRE(g.set_sort_key(6, true, k) == Error::ok);
    CHECK(dump(g) == "[on:6] 6 5 10 20 30 7");
    REQUIRE(g.set_sort_key(6, false, {}) == Error::ok);
    CHECK(dump(g) == "[on:6] 5 10 20 30 7 6");
}

TEST_CASE("offline threshold hides and shows the offline group") {
    GuildConfig cfg;
    cfg.offline_threshold = 3;
    Guild g(cfg);
    REQUIRE(g.upsert_member(1, "a", none, Status::offline, false) == Error::ok);
    REQUIRE(g.upsert_member(2, "b", none, Status::online, false) == Error::ok);
    CHECK(dump(g) == "[on:1] 2 [off:1] 1");
    REQUIRE(g.upsert_member(3, "c", none, Status::offline, false) == Error::ok);
    CHECK(dump(g) == "[on:1] 2");  // 3 members >= threshold
    std::uint32_t mc = 0, oc = 0;
    REQUIRE(g.counts(0, &mc, &oc) == Error::ok);
    CHECK(mc == 3);
    CHECK(oc == 1);
    REQUIRE(g.remove_member(2) == Error::ok);
    CHECK(dump(g) == "[off:2] 1 3");
}

TEST_CASE("offline members while OFFLINE is hidden: counted, changed, and sorted in when it shows") {
    GuildConfig cfg;
    cfg.offline_threshold = 4;
    Guild g(cfg);
    REQUIRE(g.upsert_role({10, 1, true, false, false}) == Error::ok);
    REQUIRE(g.upsert_member(1, "d", none, Status::offline, false) == Error::ok);
    REQUIRE(g.upsert_member(2, "b", none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(3, "c", none, Status::offline, false) == Error::ok);
    REQUIRE(g.upsert_member(4, "a", none, Status::offline, false) == Error::ok);
    CHECK(dump(g) == "[on:1] 2");
    std::uint32_t mc = 0, oc = 0, at = 0;
    REQUIRE(g.counts(0, &mc, &oc) == Error::ok);
    CHECK((mc == 4 && oc == 1));
    CHECK(g.index_of(0, 4, &at) == Error::not_found);  // hidden
    // Hidden offline members change name, roles and status like any other.
    REQUIRE(g.set_name(1, "aa") == Error::ok);
    REQUIRE(g.set_roles(3, roster::Vec<std::uint64_t>{10}) == Error::ok);
    REQUIRE(g.set_status(3, Status::online) == Error::ok);  // comes out under its role
    CHECK(dump(g) == "[r10:1] 3 [on:1] 2");
    REQUIRE(g.set_status(3, Status::offline) == Error::ok);
    REQUIRE(g.upsert_member(5, "e", none, Status::offline, false) == Error::ok);
    CHECK(dump(g) == "[on:1] 2");
    // A higher threshold shows OFFLINE: sorted by name, whatever the order
    // they went offline in.
    REQUIRE(g.set_offline_threshold(10) == Error::ok);
    CHECK(dump(g) == "[on:1] 2 [off:4] 4 1 3 5");
    REQUIRE(g.index_of(0, 1, &at) == Error::ok);
    CHECK(at == 4);
    REQUIRE(g.set_offline_threshold(5) == Error::ok);  // 5 members: hidden again
    CHECK(dump(g) == "[on:1] 2");
    REQUIRE(g.counts(0, &mc, &oc) == Error::ok);
    CHECK((mc == 5 && oc == 1));
    // Removing a parked member below the threshold shows the others.
    REQUIRE(g.remove_member(5) == Error::ok);
    CHECK(dump(g) == "[on:1] 2 [off:3] 4 1 3");
    // A list that hides some of them: each list parks its own.
    ListRule rule;
    rule.members = {{4, false}};
    REQUIRE(g.set_list(7, rule) == Error::ok);
    REQUIRE(g.upsert_member(6, "f", none, Status::offline, false) == Error::ok);  // 5 again
    CHECK(dump(g, 7) == "[on:1] 2");
    REQUIRE(g.counts(7, &mc, &oc) == Error::ok);
    CHECK((mc == 4 && oc == 1));
    REQUIRE(g.remove_member(2) == Error::ok);
    CHECK(dump(g) == "[off:4] 4 1 3 6");
    CHECK(dump(g, 7) == "[off:3] 1 3 6");
}

TEST_CASE("rows_at reads runs of rows scattered over a list, headers included") {
    GuildConfig cfg;
    cfg.offline_threshold = 100000;  // OFFLINE shown: four groups
    Guild g(cfg);
    REQUIRE(g.upsert_role({10, 2, true, false, false}) == Error::ok);
    REQUIRE(g.upsert_role({11, 1, true, false, false}) == Error::ok);
    roster::Vec<std::string> names;
    for (std::uint64_t i = 1; i <= 3000; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "m%05llu", static_cast<unsigned long long>((i * 7919) % 3001));
        roster::Vec<std::uint64_t> roles;
        if (i % 5 == 0) roles.push_back(10);
        if (i % 7 == 0) roles.push_back(11);
        REQUIRE(g.upsert_member(i, name, roles, static_cast<Status>(i % 4), false) == Error::ok);
    }
    std::uint32_t len = 0;
    REQUIRE(g.list_length(0, &len) == Error::ok);
    roster::Vec<Row> all;
    REQUIRE(g.rows(0, 0, len - 1, &all) == Error::ok);
    auto same = [](const Row& a, const Row& b) {
        return a.group == b.group && a.user == b.user && a.count == b.count && a.rev == b.rev;
    };
    std::uint64_t seed = 0x5eed;
    auto next = [&](std::uint32_t bound) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::uint32_t>((seed >> 33) % bound);
    };
    for (int round = 0; round < 200; ++round) {
        roster::Vec<RowRun> runs;
        std::uint32_t total = 0;
        for (std::uint32_t p = next(50); p < len; p += 1 + next(400)) {
            const std::uint32_t n = std::min<std::uint32_t>(1 + next(120), len - p);
            runs.push_back({p, n});
            total += n;
            p += n;
        }
        roster::Vec<Row> got(total);
        REQUIRE(g.rows_at(0, runs, got.data()) == Error::ok);
        std::size_t i = 0;
        bool ok = true;
        for (const RowRun& r : runs)
            for (std::uint32_t k = 0; k < r.count; ++k) ok = ok && same(got[i++], all[r.start + k]);
        CHECK(ok);
    }
    Row out[8] = {};
    const RowRun unsorted[] = {{10, 2}, {5, 2}};
    const RowRun overlapping[] = {{10, 5}, {12, 2}};
    const RowRun empty_run[] = {{10, 0}};
    const RowRun past_end[] = {{len - 1, 2}};
    CHECK(g.rows_at(0, unsorted, out) == Error::invalid);
    CHECK(g.rows_at(0, overlapping, out) == Error::invalid);
    CHECK(g.rows_at(0, empty_run, out) == Error::invalid);
    CHECK(g.rows_at(0, past_end, out) == Error::invalid);
    CHECK(out[0].group == 0);  // bad input: nothing written
    CHECK(g.rows_at(99, {}, out) == Error::not_found);
    CHECK(g.rows_at(0, {}, nullptr) == Error::ok);
}

TEST_CASE("list rules: everyone overwrite, role deny then allow, member overwrite, admin") {
    Guild g;
    REQUIRE(g.upsert_role({100, 1, false, false, false}) == Error::ok);
    REQUIRE(g.upsert_role({101, 2, false, false, false}) == Error::ok);
    REQUIRE(g.upsert_role({102, 3, false, false, true}) == Error::ok);  // admin
    roster::Vec<std::uint64_t> r100 = {100}, r101 = {101}, r100_101 = {100, 101}, r102 = {102};
    REQUIRE(g.upsert_member(1, "a", r100, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(2, "b", r101, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(3, "c", r100_101, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(4, "d", r102, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(5, "e", none, Status::online, false) == Error::ok);
    ListRule rule;
    rule.everyone = Overwrite::deny;
    rule.roles = {{100, true}, {101, false}};
    rule.members = {{2, true}};
    REQUIRE(g.set_list(7, rule) == Error::ok);
    // 1: allowed by role; 2: denied by role, allowed by member; 3: deny then
    // allow -> yes; 4: admin; 5: everyone deny.
    CHECK(dump(g, 7) == "[on:4] 1 2 3 4");
    rule.members = {{1, false}};
    REQUIRE(g.set_list(7, rule) == Error::ok);
    CHECK(dump(g, 7) == "[on:2] 3 4");
    CHECK(g.remove_list(7) == Error::ok);
    CHECK(g.has_list(7) == false);
}

TEST_CASE("role removal and hoist changes re-section holders") {
    Guild g;
    REQUIRE(g.upsert_role({10, 1, true, false, false}) == Error::ok);
    roster::Vec<std::uint64_t> r10 = {10};
    REQUIRE(g.upsert_member(1, "a", r10, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(2, "b", none, Status::online, false) == Error::ok);
    CHECK(dump(g) == "[r10:1] 1 [on:1] 2");
    REQUIRE(g.upsert_role({10, 1, false, false, false}) == Error::ok);
    CHECK(dump(g) == "[on:2] 1 2");
    REQUIRE(g.upsert_role({10, 1, true, false, false}) == Error::ok);
    CHECK(dump(g) == "[r10:1] 1 [on:1] 2");
    REQUIRE(g.remove_role(10) == Error::ok);
    CHECK(dump(g) == "[on:2] 1 2");
    Guild::MemberView v;
    REQUIRE(g.member(1, &v) == Error::ok);
    CHECK(v.roles.empty());
}

// A reorder or a role move that shifts many members between sections
// rebuilds the sections' trees from a merge instead of moving members one by
// one. Whatever path each (list, section) takes, the rows must be those of
// the same guild built with the new positions from the start: in every list
// (one with overwrites, one that hides a moving role's holders), with
// OFFLINE hidden (offline holders parked) and shown, with names that tie on
// their first bytes and names that are equal (order by user id).
TEST_CASE("large reorders equal the guild built in the new order") {
    struct Spec {
        std::uint64_t id;
        std::string name;
        roster::Vec<std::uint64_t> roles;
        Status status;
    };
    roster::Vec<Spec> specs;
    std::uint64_t x = 88172645463325252ull;  // xorshift64, fixed seed
    auto next = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    for (std::uint64_t id = 1; id <= 3000; ++id) {
        Spec s{id, {}, {}, Status::online};
        const std::uint64_t r = next();
        char name[40];
        if (r % 10 == 0)
            std::snprintf(name, sizeof name, "same");
        else
            std::snprintf(name, sizeof name, "member-name-%05llu", static_cast<unsigned long long>(r % 20000));
        s.name = name;
        for (std::uint64_t role : {10, 20, 30, 40})
            if ((r >> (8 + role / 10)) % 3 == 0) s.roles.push_back(role);
        s.status = static_cast<Status>((r >> 20) % 4);
        specs.push_back(s);
    }
    auto build = [&](Guild& g, std::int32_t pa, std::int32_t pb, std::int32_t pc, std::uint32_t threshold) {
        REQUIRE(g.set_offline_threshold(threshold) == Error::ok);
        REQUIRE(g.upsert_role({10, pa, true, false, false}) == Error::ok);
        REQUIRE(g.upsert_role({20, pb, true, false, false}) == Error::ok);
        REQUIRE(g.upsert_role({30, pc, true, true, false}) == Error::ok);
        REQUIRE(g.upsert_role({40, 1, false, true, false}) == Error::ok);
        for (const Spec& s : specs) REQUIRE(g.upsert_member(s.id, s.name, s.roles, s.status, false) == Error::ok);
        ListRule seen;  // role 40 or 30 (a moving role) sees it, and member 5
        seen.everyone = Overwrite::deny;
        seen.roles = {{40, true}};
        seen.members = {{5, true}};
        REQUIRE(g.set_list(7, seen) == Error::ok);
        ListRule hide;  // holders of 20 do not see it
        hide.roles = {{20, false}};
        REQUIRE(g.set_list(8, hide) == Error::ok);
    };
    for (std::uint32_t threshold : {1000u, 100000u}) {
        INFO("offline threshold " << threshold);
        Guild g;
        build(g, 3, 2, 1, threshold);
        // Each step: (positions of 10, 20, 30) after it.
        struct Step {
            std::int32_t a, b, c;
        };
        const Step steps[] = {{2, 3, 1}, {1, 2, 3}, {3, 1, 2}, {3, 2, 1}};
        for (const Step& st : steps) {
            const std::uint64_t ids[] = {10, 20, 30};
            const std::int32_t pos[] = {st.a, st.b, st.c};
            REQUIRE(g.reorder_roles(ids, pos) == Error::ok);
            Guild fresh;
            build(fresh, st.a, st.b, st.c, threshold);
            for (std::uint64_t list : {0, 7, 8}) CHECK(dump(g, list) == dump(fresh, list));
        }
        // One role moved on its own (upsert_role): 30 from the bottom to the top.
        REQUIRE(g.upsert_role({30, 9, true, true, false}) == Error::ok);
        Guild fresh;
        build(fresh, 3, 2, 9, threshold);
        for (std::uint64_t list : {0, 7, 8}) CHECK(dump(g, list) == dump(fresh, list));
    }
}

// The role holder index (a role event visits the role's holders, not every
// member) keeps stale entries lazily: a member that loses a role, or
// leaves, stays listed until the list is compacted. Churn must neither grow
// the index without bound nor let a stale entry (a freed slot, a slot taken
// again by a member without the role, a role lost and gained again) be
// taken for a holder: check_invariants compares the index with a scan, and
// the rows below show who a role event moved.
TEST_CASE("role holder index: churn, reused slots and regained roles") {
    Guild g;
    REQUIRE(g.upsert_role({10, 2, true, false, false}) == Error::ok);
    REQUIRE(g.upsert_role({20, 1, true, false, false}) == Error::ok);
    const roster::Vec<std::uint64_t> r10 = {10}, r20 = {20}, r1020 = {10, 20};
    for (std::uint64_t id = 1; id <= 8; ++id)
        REQUIRE(g.upsert_member(id, std::string(1, static_cast<char>('a' + id)),
                                id <= 4 ? r10 : none, Status::online, false) == Error::ok);
    CHECK(dump(g) == "[r10:4] 1 2 3 4 [on:4] 5 6 7 8");
    const std::size_t before = g.memory_bytes();
    // Member 5 gains and loses role 10 many times; 1 leaves and comes back
    // (its slot is reused) without the role; 2 loses 10 and gains 10 and 20.
    for (int i = 0; i < 5000; ++i) {
        REQUIRE(g.add_member_role(5, 10) == Error::ok);
        REQUIRE(g.remove_member_role(5, 10) == Error::ok);
    }
    REQUIRE(g.remove_member(1) == Error::ok);
    REQUIRE(g.upsert_member(9, "j", none, Status::online, false) == Error::ok);
    REQUIRE(g.remove_member_role(2, 10) == Error::ok);
    REQUIRE(g.set_roles(2, r1020) == Error::ok);
    CHECK(dump(g) == "[r10:3] 2 3 4 [on:5] 5 6 7 8 9");
    // Bounded: 5,000 gains of one role by one member leave a few entries.
    CHECK(g.memory_bytes() < before + 1024);
    // Reordering the roles moves exactly the holders whose top changes:
    // 2 (holds both) goes to 20's section, now above 10's.
    const std::uint64_t ids[] = {10, 20};
    const std::int32_t pos[] = {1, 2};
    REQUIRE(g.reorder_roles(ids, pos) == Error::ok);
    CHECK(dump(g) == "[r20:1] 2 [r10:2] 3 4 [on:5] 5 6 7 8 9");
    // Un-hoisting 10 moves its holders (3, 4), not the rest; removing 20
    // moves its only holder.
    REQUIRE(g.upsert_role({10, 1, false, false, false}) == Error::ok);
    CHECK(dump(g) == "[r20:1] 2 [on:7] 3 4 5 6 7 8 9");
    REQUIRE(g.remove_role(20) == Error::ok);
    CHECK(dump(g) == "[on:8] 2 3 4 5 6 7 8 9");
    // A new role takes the freed slot: it starts with no holders.
    REQUIRE(g.upsert_role({30, 3, true, false, false}) == Error::ok);
    REQUIRE(g.add_member_role(7, 30) == Error::ok);
    CHECK(dump(g) == "[r30:1] 7 [on:7] 2 3 4 5 6 8 9");
}

TEST_CASE("bad input is rejected and changes nothing") {
    Guild g;
    REQUIRE(g.upsert_member(1, "a", none, Status::online, false) == Error::ok);
    const std::string before = dump(g);
    roster::Vec<std::uint64_t> unknown = {55};
    CHECK(g.upsert_member(0, "x", none, Status::online, false) == Error::invalid);
    CHECK(g.upsert_member(2, "", none, Status::online, false) == Error::invalid);
    CHECK(g.upsert_member(2, std::string(129, 'x'), none, Status::online, false) == Error::invalid);
    CHECK(g.upsert_member(2, "\xff", none, Status::online, false) == Error::invalid);
    CHECK(g.upsert_member(2, "\xc0\x80", none, Status::online, false) == Error::invalid);
    CHECK(g.upsert_member(2, "ok", unknown, Status::online, false) == Error::not_found);
    CHECK(g.upsert_member(1, "dup", none, Status::online, false) == Error::exists);
    CHECK(g.upsert_role({group_online, 1, true, false, false}) == Error::invalid);
    CHECK(g.set_status(9, Status::idle) == Error::not_found);
    CHECK(g.set_list(0, ListRule{}) == Error::invalid);
    CHECK(g.remove_list(0) == Error::invalid);
    CHECK(g.remove_list(3) == Error::not_found);
    CHECK(g.remove_role(3) == Error::not_found);
    ListRule dup;
    dup.roles = {{1, true}, {1, false}};
    CHECK(g.set_list(4, dup) == Error::invalid);  // same role twice
    dup.roles.clear();
    dup.members = {{1, true}, {1, true}};
    CHECK(g.set_list(4, dup) == Error::invalid);  // same member twice
    CHECK_FALSE(g.has_list(4));
    CHECK(dump(g) == before);
}

TEST_CASE("change log: moves are remove + insert, in-place changes are touched rows") {
    Guild g;
    roster::Vec<RowEdit> log;
    roster::Vec<std::uint32_t> rows;
    REQUIRE(g.attach_log(0, &log) == Error::ok);
    REQUIRE(g.upsert_member(1, "a", none, Status::online, false) == Error::ok);
    REQUIRE(log.size() == 2);  // header then member
    CHECK((log[0].kind == RowEdit::Kind::insert && log[0].index == 0));
    CHECK((log[1].kind == RowEdit::Kind::insert && log[1].index == 1));
    log.clear();
    REQUIRE(g.take_touched(0, &rows) == Error::ok);
    CHECK(rows.empty());
    // In place: no edit; the member's row comes back from take_touched, as
    // the list stands when it is asked (here, after two more members
    // sorted above it).
    REQUIRE(g.set_status(1, Status::idle) == Error::ok);  // same group
    REQUIRE(g.touch(1) == Error::ok);
    CHECK(log.empty());
    REQUIRE(g.upsert_member(2, "0", none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(3, "00", none, Status::dnd, false) == Error::ok);
    REQUIRE(g.touch(3) == Error::ok);
    REQUIRE(g.take_touched(0, &rows) == Error::ok);
    CHECK(rows == roster::Vec<std::uint32_t>{2, 3});  // 3 at row 2, 1 at row 3: once each
    REQUIRE(g.take_touched(0, &rows) == Error::ok);
    CHECK(rows.empty());  // taken
    // A touched member that leaves, or moves to a hidden group, is left out.
    REQUIRE(g.touch(2) == Error::ok);
    REQUIRE(g.remove_member(2) == Error::ok);
    REQUIRE(g.take_touched(0, &rows) == Error::ok);
    CHECK(rows.empty());
    REQUIRE(g.touch(1) == Error::ok);
    REQUIRE(g.attach_log(0, &log) == Error::ok);  // re-attaching forgets
    REQUIRE(g.take_touched(0, &rows) == Error::ok);
    CHECK(rows.empty());
    log.clear();
    REQUIRE(g.set_status(1, Status::offline) == Error::ok);  // online -> offline group
    REQUIRE(log.size() == 3);  // [on:2] 3 1 -> [on:1] 3 [off:1] 1
    CHECK((log[0].kind == RowEdit::Kind::remove && log[0].index == 2));
    CHECK((log[1].kind == RowEdit::Kind::insert && log[1].index == 2));  // the OFFLINE header
    CHECK((log[2].kind == RowEdit::Kind::insert && log[2].index == 3));
    CHECK(g.take_touched(99, &rows) == Error::not_found);
    CHECK(g.take_touched(0, nullptr) == Error::invalid);
}

TEST_CASE("bulk add equals one-by-one adds; a bad spec rejects the whole batch") {
    Guild a, b;
    for (Guild* g : {&a, &b}) {
        REQUIRE(g->upsert_role({10, 3, true, false, false}) == Error::ok);
        REQUIRE(g->upsert_role({11, 7, true, false, false}) == Error::ok);
    }
    // Pre-existing member so one group already has a tree (insert path).
    REQUIRE(a.upsert_member(500, "mid", none, Status::online, false) == Error::ok);
    REQUIRE(b.upsert_member(500, "mid", none, Status::online, false) == Error::ok);
    roster::Vec<std::string> names;
    roster::Vec<roster::Vec<std::uint64_t>> roles;
    for (int i = 0; i < 300; ++i) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%s%d", i % 3 ? "user" : "User", i % 50);
        names.push_back(buf);
        roles.push_back(i % 4 == 0 ? roster::Vec<std::uint64_t>{10} :
                        i % 4 == 1 ? roster::Vec<std::uint64_t>{10, 11} : roster::Vec<std::uint64_t>{});
    }
    roster::Vec<Guild::MemberSpec> specs;
    for (int i = 0; i < 300; ++i)
        specs.push_back({static_cast<std::uint64_t>(1000 - i), names[i], roles[i],
                         static_cast<Status>(i % 4)});
    REQUIRE(a.add_members(specs) == Error::ok);
    for (const auto& sp : specs)
        REQUIRE(b.upsert_member(sp.id, sp.name, sp.roles, sp.status, false) == Error::ok);
    CHECK(dump(a) == dump(b));
    CHECK(a.member_total() == 301);

    roster::Vec<Guild::MemberSpec> bad = {{2000, "ok", {}, Status::online},
                                          {2001, "ok", {}, Status::online},
                                          {2000, "dup", {}, Status::online}};
    const std::string before = dump(a);
    std::size_t failed = 99;
    CHECK(a.add_members(bad, &failed) == Error::exists);
    CHECK(failed == 2);
    bad[2] = {2002, "\xff", {}, Status::online};
    CHECK(a.add_members(bad) == Error::invalid);
    bad[2] = {500, "taken", {}, Status::online};
    CHECK(a.add_members(bad, &failed) == Error::exists);
    CHECK(failed == 2);
    // The first failing spec decides: the duplicate at 1 before the bad
    // name at 2.
    bad[1] = {2000, "dup", {}, Status::online};
    bad[2] = {2002, "\xff", {}, Status::online};
    CHECK(a.add_members(bad, &failed) == Error::exists);
    CHECK(failed == 1);
    // The same with an id the guild has (found when the batch is indexed,
    // not while its records are written): first in order still decides.
    bad[1] = {500, "taken", {}, Status::online};
    CHECK(a.add_members(bad, &failed) == Error::exists);
    CHECK(failed == 1);
    bad[1] = {2001, "\xff", {}, Status::online};
    bad[2] = {500, "taken", {}, Status::online};
    CHECK(a.add_members(bad, &failed) == Error::invalid);
    CHECK(failed == 1);
    bad[1] = {2001, "ok", {}, Status::online};
    CHECK(dump(a) == before);
    CHECK(a.member_total() == 301);

    // With freed slots to reuse: a duplicate late in the batch undoes the
    // records linked before it, slots included.
    for (std::uint64_t id : {1000, 999, 998}) REQUIRE(a.remove_member(id) == Error::ok);
    const std::string after_removals = dump(a);
    roster::Vec<Guild::MemberSpec> late_dup = {{3000, "p", {}, Status::online},
                                               {3001, "q", {}, Status::offline},
                                               {3002, "r", {}, Status::idle},
                                               {3003, "s", {}, Status::online},
                                               {3001, "dup", {}, Status::online}};
    CHECK(a.add_members(late_dup) == Error::exists);
    CHECK(dump(a) == after_removals);
    CHECK(a.member_total() == 298);
    late_dup.pop_back();
    CHECK(a.add_members(late_dup) == Error::ok);
    CHECK(a.member_total() == 302);
}

TEST_CASE("a large bulk add is indexed in table order; its errors still name the first bad spec") {
    // Batches of 4,096 members or more are inserted into the id table in
    // the order of the table, not of the specs. An id the guild has, or one
    // given twice, must still be reported at the first spec that is bad.
    Guild a, b;
    for (Guild* g : {&a, &b}) {
        REQUIRE(g->upsert_role({10, 3, true, false, false}) == Error::ok);
        for (std::uint64_t id = 1; id <= 50; ++id)
            REQUIRE(g->upsert_member(id * 1000003, "seed", {}, Status::online, false) == Error::ok);
    }
    const roster::Vec<std::uint64_t> hoisted = {10}, none;
    roster::Vec<std::string> names;
    roster::Vec<Guild::MemberSpec> specs;
    for (std::uint64_t i = 0; i < 6000; ++i) {
        // Appended, not "m" + to_string: GCC 12 at -O3 warns (-Wrestrict) on
        // that operator+ by mistake.
        names.emplace_back("m");
        names.back() += std::to_string(i * 7919 % 6000);
    }
    for (std::uint64_t i = 0; i < 6000; ++i)
        specs.push_back({(i + 1) * 7 + (i % 3) * 1000000007ull, names[i], i % 5 ? none : hoisted,
                         static_cast<Status>(i % 4)});
    const std::string before = dump(a);
    std::size_t failed = 0;
    auto saved = specs[4500];
    specs[4500].id = specs[200].id;  // given twice
    CHECK(a.add_members(specs, &failed) == Error::exists);
    CHECK(failed == 4500);
    specs[3000].id = 20 * 1000003;  // the guild has it: reported first
    CHECK(a.add_members(specs, &failed) == Error::exists);
    CHECK(failed == 3000);
    specs[1000].name = "\xff";  // an invalid name before both
    CHECK(a.add_members(specs, &failed) == Error::invalid);
    CHECK(failed == 1000);
    CHECK(dump(a) == before);
    CHECK(a.member_total() == 50);
    std::string why;
    CHECK_MESSAGE(a.check_invariants(&why), why);

    specs[1000].name = names[1000];
    specs[3000].id = 3001 * 7 + (3000 % 3) * 1000000007ull;
    specs[4500] = saved;
    REQUIRE(a.add_members(specs) == Error::ok);
    for (const auto& sp : specs)
        REQUIRE(b.upsert_member(sp.id, sp.name, sp.roles, sp.status, false) == Error::ok);
    CHECK(dump(a) == dump(b));
    CHECK(a.member_total() == 6050);
    CHECK_MESSAGE(a.check_invariants(&why), why);
    for (const auto& sp : specs) {  // every id found
        Guild::MemberView v;
        REQUIRE(a.member(sp.id, &v) == Error::ok);
        CHECK(v.name == sp.name);
    }
}

TEST_CASE("a large bulk add fills every list as one-by-one adds do") {
    // A batch of 4,096 or more is indexed through a scratch buffer that each
    // list's preparation then reuses for its sorted runs: the lists, with
    // their different members and sections, must come out as if every
    // member had been added alone. List 7 hides role 11's holders, list 8
    // shows only role 10's (role 12, not hoisted, grants VIEW); one group
    // of list 0 has a tree already (the insert path beside the built trees).
    Guild a, b;
    for (Guild* g : {&a, &b}) {
        REQUIRE(g->upsert_role({10, 3, true, false, false}) == Error::ok);
        REQUIRE(g->upsert_role({11, 7, true, false, false}) == Error::ok);
        REQUIRE(g->upsert_role({12, 1, false, true, false}) == Error::ok);
        ListRule hide11;
        hide11.roles = {{11, false}};
        REQUIRE(g->set_list(7, hide11) == Error::ok);
        ListRule only10;
        only10.everyone = Overwrite::deny;
        only10.roles = {{10, true}};
        REQUIRE(g->set_list(8, only10) == Error::ok);
        REQUIRE(g->upsert_member(3, "already", none, Status::online, false) == Error::ok);
    }
    const roster::Vec<roster::Vec<std::uint64_t>> role_sets = {{}, {10}, {11}, {10, 11}, {12}, {11, 12}};
    roster::Vec<std::string> names;
    roster::Vec<Guild::MemberSpec> specs;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        names.emplace_back(i % 7 ? "n" : "N");
        names.back() += std::to_string(i * 7919 % 5000 / 3);  // ties in names
    }
    for (std::uint64_t i = 0; i < 5000; ++i)
        specs.push_back({1000 + i * 13, names[i], role_sets[i % role_sets.size()], static_cast<Status>(i % 4)});
    REQUIRE(a.add_members(specs) == Error::ok);
    for (const auto& sp : specs)
        REQUIRE(b.upsert_member(sp.id, sp.name, sp.roles, sp.status, false) == Error::ok);
    for (std::uint64_t list : {0, 7, 8}) {
        CAPTURE(list);
        const std::string rows = dump(a, list);
        CHECK(rows == dump(b, list));
        std::uint32_t len = 0;
        REQUIRE(a.list_length(list, &len) == Error::ok);
        CHECK(len > 100);  // every list holds members
    }
    CHECK(dump(a, 7) != dump(a, 0));
    CHECK(dump(a, 8) != dump(a, 7));
}

TEST_CASE("member storage: short names and two roles inline, the rest in heap blocks") {
    // The record keeps names up to 24 bytes and up to two roles inline;
    // longer names, host sort keys and more roles live in blocks the record
    // owns. Every change across those boundaries must keep data and order.
    Guild g;
    for (std::uint64_t r = 1; r <= 5; ++r)
        REQUIRE(g.upsert_role({r, static_cast<std::int32_t>(r), false, false, false}) == Error::ok);
    const std::string n23(23, 'c'), n24(24, 'b'), n25(25, 'a'), n128(128, 'd');
    REQUIRE(g.upsert_member(1, n24, none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(2, n25, none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(3, n23, none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(4, n128, none, Status::online, false) == Error::ok);
    REQUIRE(g.upsert_member(5, "e", none, Status::online, false) == Error::ok);
    CHECK(dump(g) == "[on:5] 2 1 3 4 5");
    auto name = [&](std::uint64_t id) {
        Guild::MemberView v;
        REQUIRE(g.member(id, &v) == Error::ok);
        return std::string(v.name);
    };
    auto roles = [&](std::uint64_t id) {
        Guild::MemberView v;
        REQUIRE(g.member(id, &v) == Error::ok);
        std::string out;
        for (std::uint64_t r : v.roles) out += std::to_string(r);
        return out;
    };
    CHECK(name(1) == n24);
    CHECK(name(2) == n25);
    CHECK(name(3) == n23);
    CHECK(name(4) == n128);
    CHECK(name(5) == "e");

    // A host key moves an inline name into a block; renames keep the key.
    const std::uint8_t key_z[] = {'z'};
    REQUIRE(g.set_sort_key(3, true, key_z) == Error::ok);
    CHECK(dump(g) == "[on:5] 2 1 4 5 3");
    CHECK(name(3) == n23);
    REQUIRE(g.set_name(3, "A") == Error::ok);
    CHECK(dump(g) == "[on:5] 2 1 4 5 3");
    CHECK(name(3) == "A");
    REQUIRE(g.set_name(3, n128) == Error::ok);
    CHECK(name(3) == n128);
    REQUIRE(g.upsert_member(3, n25, none, Status::idle, true) == Error::ok);
    CHECK(dump(g) == "[on:5] 2 1 4 5 3");
    CHECK(name(3) == n25);
    // Restoring the default key: the name decides again.
    REQUIRE(g.set_sort_key(3, false, {}) == Error::ok);
    CHECK(dump(g) == "[on:5] 2 3 1 4 5");
    REQUIRE(g.set_name(3, "f") == Error::ok);
    CHECK(dump(g) == "[on:5] 2 1 4 5 3");
    CHECK(name(3) == "f");
    // A long name shortened to an inline one and back.
    REQUIRE(g.set_name(4, "bb") == Error::ok);
    CHECK(name(4) == "bb");
    CHECK(dump(g) == "[on:5] 2 4 1 5 3");  // "bb" < "bbb…b"
    REQUIRE(g.set_name(4, n128) == Error::ok);
    CHECK(name(4) == n128);

    // Roles: inline up to two, a block beyond; shrinking keeps them right.
    const roster::Vec<std::uint64_t> r12 = {2, 1}, r1234 = {4, 3, 2, 1};
    REQUIRE(g.set_roles(5, r12) == Error::ok);
    CHECK(roles(5) == "12");
    REQUIRE(g.add_member_role(5, 5) == Error::ok);
    CHECK(roles(5) == "125");
    REQUIRE(g.remove_member_role(5, 2) == Error::ok);
    CHECK(roles(5) == "15");
    REQUIRE(g.set_roles(5, r1234) == Error::ok);
    CHECK(roles(5) == "1234");
    REQUIRE(g.remove_role(3) == Error::ok);  // erased in place from every holder
    CHECK(roles(5) == "124");
    REQUIRE(g.remove_role(1) == Error::ok);
    REQUIRE(g.remove_role(2) == Error::ok);
    CHECK(roles(5) == "4");
    REQUIRE(g.set_roles(5, none) == Error::ok);
    CHECK(roles(5) == "");
    // A removed member's slot is reused with clean storage.
    REQUIRE(g.remove_member(4) == Error::ok);
    const roster::Vec<std::uint64_t> r45 = {4, 5};
    REQUIRE(g.upsert_member(6, "g", r45, Status::offline, false) == Error::ok);
    CHECK(name(6) == "g");
    CHECK(roles(6) == "45");
    CHECK(dump(g) == "[on:4] 2 1 5 3 [off:1] 6");
}

}  // TEST_SUITE
