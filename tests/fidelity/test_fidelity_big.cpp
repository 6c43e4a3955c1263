// Randomized fidelity at a size where the structures are deep: 200,000
// members (every list tree three levels or more: a B+tree leaf holds at
// most 64 members), 5,000 sessions holding more than 1,000 distinct chunks.
// The harness applies every frame to each session's replica and, after
// every flush, compares every subscribed range of every session with the
// guild's true rows (tests/fidelity/harness.hpp). Events: presence, names,
// roles (the holder index), joins and leaves, role reorders and hoist
// toggles that move thousands of members at once, and sessions moving
// their ranges; in batches of 1-200 events and one by one. Fixed seed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace fid;

namespace {

class BigRun {
public:
    static constexpr std::uint64_t members = 200000;
    static constexpr std::uint64_t sessions = 5000;
    static constexpr std::uint64_t roles = 24;

    explicit BigRun(std::uint64_t seed) : rng_(seed), h_(guild_config(), session_config()) {
        h_.record = false;
        h_.context = "big seed " + std::to_string(seed);
    }

    std::string go(std::uint64_t flushes) {
        load();
        subscribe_all();
        held_ = h_.engine().stats(false).chunks_held;
        for (std::uint64_t f = 0; f < flushes && h_.ok(); ++f) {
            if (below(4) == 0) {
                step();  // one event, flushed on its own
            } else {
                const auto k = 1 + below(200);
                h_.begin();
                for (std::uint64_t i = 0; i < k; ++i) step();
                h_.commit();
            }
            if (f % 25 == 24) h_.invariants();
        }
        h_.invariants();
        return h_.ok() ? "" : h_.report();
    }

    std::uint64_t held() const { return held_; }
    std::uint32_t length() {
        std::uint32_t n = 0;
        REQUIRE(h_.engine().guild().list_length(0, &n) == Error::ok);
        return n;
    }
    const Harness& harness() const { return h_; }

private:
    static roster::GuildConfig guild_config() {
        roster::GuildConfig g;
        g.max_members = 400000;
        return g;
    }
    static roster::SessionConfig session_config() {
        roster::SessionConfig s;
        s.max_sessions = sessions + 10;
        return s;
    }

    std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_); }
    std::string name() {
        std::string s(4 + below(10), 'a');
        for (char& c : s) c = static_cast<char>('a' + below(26));
        return s;
    }
    std::vector<std::uint64_t> some_roles() {
        std::vector<std::uint64_t> r;
        const auto k = below(4);
        for (std::uint64_t i = 0; i < k; ++i) r.push_back(1 + below(roles));
        std::sort(r.begin(), r.end());
        r.erase(std::unique(r.begin(), r.end()), r.end());
        return r;
    }
    Status status() { return below(10) < 3 ? Status::online : static_cast<Status>(below(4)); }

    void load() {
        for (std::uint64_t r = 1; r <= roles; ++r) {
            position_[r] = static_cast<std::int32_t>(r);
            REQUIRE(h_.event([&](Guild& g) {
                return g.upsert_role({r, position_[r], r % 3 != 0, false, false});
            }) == Error::ok);
        }
        std::vector<std::string> names;
        std::vector<std::vector<std::uint64_t>> rs;
        std::vector<Guild::MemberSpec> specs;
        std::vector<std::uint64_t> ids;
        for (std::uint64_t i = 1; i <= members; ++i) {
            names.push_back(name());
            rs.push_back(some_roles());
            ids.push_back(i);
        }
        for (std::uint64_t i = 0; i < members; ++i)
            specs.push_back({ids[i], names[i], rs[i], status()});
        REQUIRE(h_.event([&](Guild& g) { return g.add_members(specs); }, ids) == Error::ok);
        live_ = ids;
        next_id_ = members + 1;
    }

    // A session: [0,99] and one more chunk, half of them log-uniform in
    // depth (most near the top, as clients scroll), half uniform (so that
    // more than 1,000 distinct chunks are held).
    roster::Vec<roster::Range> ranges() {
        const std::uint32_t chunks = std::max<std::uint32_t>(2, (length() + 99) / 100);
        const std::uint32_t k =
            below(2) ? static_cast<std::uint32_t>(1 + below(chunks - 1))
                     : std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::floor(std::pow(
                                                      double(chunks), std::uniform_real_distribution<double>(
                                                                          0, 1)(rng_)))) -
                                                      1);
        return {{0, 99}, {k * 100, k * 100 + 99}};
    }
    void subscribe_all() {
        h_.begin();
        for (std::uint64_t s = 1; s <= sessions; ++s) REQUIRE(h_.subscribe(s, 0, ranges()) == Error::ok);
        h_.commit();
    }

    std::uint64_t live_member() { return live_[below(live_.size())]; }

    void step() {
        const auto x = below(1000);
        if (x < 600) {
            h_.status(live_member(), status());
        } else if (x < 700) {
            h_.rename(live_member(), name());
        } else if (x < 800) {
            const std::uint64_t id = live_member();
            const auto r = some_roles();
            h_.event([&](Guild& g) { return g.set_roles(id, r); }, {id});
        } else if (x < 850) {
            const std::uint64_t id = live_member();
            const std::uint64_t r = 1 + below(roles);
            const bool add = below(2);
            h_.event([&](Guild& g) { return add ? g.add_member_role(id, r) : g.remove_member_role(id, r); },
                     {id});
        } else if (x < 900) {
            const std::uint64_t id = next_id_++;
            if (h_.add(id, name(), some_roles(), status()) == Error::ok) live_.push_back(id);
        } else if (x < 950) {
            const std::size_t i = below(live_.size());
            if (h_.remove(live_[i]) == Error::ok) {
                live_[i] = live_.back();
                live_.pop_back();
            }
        } else if (x < 985) {
            const std::uint64_t s = 1 + below(sessions);
            h_.subscribe(s, 0, ranges());
        } else if (x < 995) {
            // Two roles swap places: their holders re-section.
            const std::uint64_t a = 1 + below(roles), b = 1 + below(roles);
            if (a == b) return;
            std::swap(position_[a], position_[b]);
            const std::uint64_t ids[] = {a, b};
            const std::int32_t pos[] = {position_[a], position_[b]};
            h_.event([&](Guild& g) { return g.reorder_roles(ids, pos); });
        } else {
            // A role's hoist flag flips: its holders move, nobody else.
            const std::uint64_t r = 1 + below(roles);
            hoist_flip_[r] = !hoist_flip_[r];
            const bool hoist = (r % 3 != 0) != hoist_flip_[r];
            h_.event([&](Guild& g) { return g.upsert_role({r, position_[r], hoist, false, false}); });
        }
    }

    std::mt19937_64 rng_;
    Harness h_;
    std::vector<std::uint64_t> live_;
    std::uint64_t next_id_ = 0;
    std::int32_t position_[roles + 1] = {};
    bool hoist_flip_[roles + 1] = {};
    std::uint64_t held_ = 0;
};

}  // namespace

TEST_SUITE("fidelity_big") {
TEST_CASE("randomized fidelity at 200k members and 5k sessions (deep trees, >1,000 held chunks)") {
    BigRun run(7);
    const std::string failure = run.go(300);
    CHECK_MESSAGE(failure.empty(), failure);
    const Harness& h = run.harness();
    MESSAGE("big: " << h.flushes() << " flushes, " << h.frames() << " frames, " << h.ops() << " ops, "
                    << run.held() << " chunks held after subscribing");
    CHECK(run.held() > 1000);
    CHECK(h.flushes() >= 300);
}
}
