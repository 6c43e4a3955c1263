// The C header compiles as C++ (-pedantic -Werror), and the RAII wrapper
// roster.hpp works: a small scenario, errors as exceptions, moves.
#include <roster/roster.h>
#include <roster/roster.hpp>

#include <cstdio>
#include <cstring>
#include <utility>

static int failures = 0;
#define CHECK(c)                                                   \
    do {                                                           \
        if (!(c)) {                                                \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
            ++failures;                                            \
        }                                                          \
    } while (0)

int main() {
    static_assert(ROSTER_OK == 0, "ok is zero");
    CHECK(std::strcmp(roster_status_str(ROSTER_ENOMEM), "out of memory") == 0);

    roster::Guild g;
    g.upsert_role(10, 1, ROSTER_ROLE_HOIST);
    g.add_member(1, "ann", {10}, roster::Presence::online);
    g.add_member(2, "bob", {}, roster::Presence::idle);
    CHECK(g.length(0) == 4);
    CHECK(g.index_of(0, 2) == 3);
    CHECK(g.index_of(0, 99) == -1);
    auto rows = g.rows(0, 0, 100);
    CHECK(rows.size() == 4 && rows[0].group == 10 && rows[3].user == 2);
    CHECK(g.member(1).name == "ann" && g.member(1).roles.size() == 1);
    bool threw = false;
    try {
        g.add_member(1, "again", {}, roster::Presence::online);
    } catch (const roster::Error& e) {
        threw = e.status() == ROSTER_EEXIST;
    }
    CHECK(threw);
    roster::Guild moved = std::move(g);
    CHECK(moved.member_count() == 2);
    CHECK(g.get() == nullptr);
    roster::ListRule rule;
    rule.everyone = ROSTER_OVERWRITE_DENY;
    rule.members = {{2, true}};
    moved.set_list(5, rule);
    CHECK(moved.length(5) == 2);
    CHECK(moved.counts(5).first == 1);
    return failures ? 1 : 0;
}
