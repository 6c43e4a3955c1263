// Tests of the flush's pieces below Subscriptions: the window planner
// (src/window_plan.hpp) against a reference list, the chunk row buffers
// (src/row_window.hpp) and the ops arena (src/pod_buffer.hpp).
//
// The planner test keeps a reference list of rows (id, content stamp),
// applies random edits to it while writing the RowEdit log the guild would
// write, builds the row map, plans every window, and checks the plan
// against the two lists: rows kept are the same rows at both ends, every
// other row is read, exactly the kept rows whose content changed are
// updated, and the script the plan implies turns the old window into the
// new one. A RowWindow follows the same edits, rebuilt from each plan.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pod_buffer.hpp"
#include "row_map.hpp"
#include "row_window.hpp"
#include "window_plan.hpp"

namespace {

using roster::KeptRun;
using roster::PodBuffer;
using roster::Row;
using roster::RowEdit;
using roster::RowMap;
using roster::RowPool;
using roster::RowRun;
using roster::RowWindow;
using roster::WindowPlan;
using roster::WindowPlanner;

struct Ref {
    std::uint64_t id;
    std::uint32_t stamp;
};

Row row_of(const Ref& r) { return Row{1, r.id, 0, r.stamp}; }

std::string text(const roster::Vec<Row>& rows) {
    std::string s;
    for (const Row& r : rows) s += std::to_string(r.user) + "." + std::to_string(r.rev) + " ";
    return s;
}

// One round: random edits on `list` (logged), then every window planned and
// checked. Returns the number of windows checked.
int plan_round(std::mt19937_64& rng, roster::Vec<Ref>& list, std::uint64_t& next_id,
               std::uint32_t& clock, std::uint32_t chunk, int edits,
               roster::Vec<RowWindow*>& windows, RowPool& pool) {
    const roster::Vec<Ref> old = list;
    roster::Vec<RowEdit> log;
    std::set<std::uint64_t> updated;  // ids with an update edit this round
    for (int e = 0; e < edits; ++e) {
        const unsigned kind = static_cast<unsigned>(rng() % 3);
        if (kind == 0 || list.empty()) {
            const auto p = static_cast<std::uint32_t>(rng() % (list.size() + 1));
            list.insert(list.begin() + p, Ref{next_id++, ++clock});
            log.push_back({RowEdit::Kind::insert, p});
        } else if (kind == 1) {
            const auto p = static_cast<std::uint32_t>(rng() % list.size());
            list.erase(list.begin() + p);
            log.push_back({RowEdit::Kind::remove, p});
        } else {
            const auto p = static_cast<std::uint32_t>(rng() % list.size());
            list[p].stamp = ++clock;
            updated.insert(list[p].id);
            log.push_back({RowEdit::Kind::update, p});
        }
    }
    RowMap map;
    REQUIRE(map.build(log, static_cast<std::uint32_t>(old.size())));
    REQUIRE(map.length() == list.size());
    // "Changed headers": a few positions of the new list whose content the
    // caller knows changed without an update edit (headers are never the
    // subject of one).
    roster::Vec<std::uint32_t> headers;
    for (std::uint32_t p = 0; p < list.size(); ++p)
        if (rng() % 23 == 0 && !updated.count(list[p].id)) {
            headers.push_back(p);
            list[p].stamp = ++clock;
        }
    const std::uint32_t len = static_cast<std::uint32_t>(list.size());
    const std::uint32_t old_len = static_cast<std::uint32_t>(old.size());
    const std::uint32_t n_windows = std::max(len, old_len) / chunk + 2;
    while (windows.size() < n_windows) {
        windows.push_back(new RowWindow(pool));
        const std::uint32_t s = static_cast<std::uint32_t>(windows.size() - 1) * chunk;
        roster::Vec<Row> rows;
        for (std::uint32_t i = s; i < std::min(s + chunk, old_len); ++i) rows.push_back(row_of(old[i]));
        windows.back()->assign(rows);
    }
    WindowPlanner planner;
    planner.clear();
    for (std::uint32_t w = 0; w < n_windows; ++w) {
        const std::uint32_t s = w * chunk;
        const std::uint32_t n_old = s < old_len ? std::min(chunk, old_len - s) : 0;
        REQUIRE(windows[w]->size() == n_old);
        CHECK(planner.plan(map, s, chunk, len, n_old, headers) == w);
    }
    // The rows asked for are ascending runs, inside the list.
    std::uint32_t rows = 0, prev_end = 0;
    for (const RowRun& r : planner.runs()) {
        CHECK(r.count > 0);
        CHECK(r.start >= prev_end);
        CHECK(r.start + r.count <= len);
        prev_end = r.start + r.count;
        rows += r.count;
    }
    CHECK(rows == planner.rows());

    for (std::uint32_t w = 0; w < n_windows; ++w) {
        const WindowPlan& p = planner[w];
        const std::uint32_t s = w * chunk;
        INFO("window " << w << " of " << n_windows << ", chunk " << chunk);
        const std::uint32_t n_new = s < len ? std::min(chunk, len - s) : 0;
        REQUIRE(p.start == s);
        REQUIRE(p.n_new == n_new);
        // Kept runs: ascending, disjoint, the same rows at both ends.
        roster::Vec<char> kept_new(n_new, 0), kept_old(p.n_old, 0);
        std::uint32_t stay = 0, at_end = 0, old_end = 0;
        for (const KeptRun& k : planner.kept(p)) {
            REQUIRE(k.len > 0);
            REQUIRE(k.at >= at_end);
            REQUIRE(k.old >= old_end);
            REQUIRE(k.at + k.len <= n_new);
            REQUIRE(k.old + k.len <= p.n_old);
            for (std::uint32_t i = 0; i < k.len; ++i) {
                CHECK(list[s + k.at + i].id == old[s + k.old + i].id);
                kept_new[k.at + i] = kept_old[k.old + i] = 1;
            }
            at_end = k.at + k.len;
            old_end = k.old + k.len;
            stay += k.len;
        }
        CHECK(p.deletes == p.n_old - stay);
        CHECK(p.inserts == n_new - stay);
        // Every row of the new window that was also in the old one is kept
        // (so nothing is deleted and inserted again)...
        std::set<std::uint64_t> old_ids;
        for (std::uint32_t i = 0; i < p.n_old; ++i) old_ids.insert(old[s + i].id);
        std::uint32_t common = 0;
        for (std::uint32_t j = 0; j < n_new; ++j) common += old_ids.count(list[s + j].id);
        CHECK(stay == common);
        // ... exactly the kept rows whose content changed are updated ...
        std::set<std::uint32_t> updates(planner.updates(p).begin(), planner.updates(p).end());
        CHECK(updates.size() == planner.updates(p).size());
        for (const KeptRun& k : planner.kept(p))
            for (std::uint32_t i = 0; i < k.len; ++i)
                CHECK(updates.count(k.at + i) ==
                      (list[s + k.at + i].stamp != old[s + k.old + i].stamp ? 1u : 0u));
        // ... and the rows read are the rows not kept, plus the updated ones.
        std::set<std::uint32_t> need;
        for (const RowRun& r : planner.need(p))
            for (std::uint32_t i = 0; i < r.count; ++i) need.insert(r.start + i - s);
        for (std::uint32_t j = 0; j < n_new; ++j)
            CHECK(need.count(j) == ((!kept_new[j] || updates.count(j)) ? 1u : 0u));
        for (std::uint32_t f : planner.fresh(p)) CHECK((f < n_new && !kept_new[f]));

        // The script (deletes from the highest old row down, inserts
        // ascending, updates) applied to the old window gives the new one.
        roster::Vec<Ref> client;
        for (std::uint32_t i = 0; i < p.n_old; ++i) client.push_back(old[s + i]);
        for (std::uint32_t i = p.n_old; i-- > 0;)
            if (!kept_old[i]) client.erase(client.begin() + i);
        for (std::uint32_t j = 0; j < n_new; ++j)
            if (!kept_new[j]) client.insert(client.begin() + j, list[s + j]);
        for (std::uint32_t u : updates) client[u] = list[s + u];
        REQUIRE(client.size() == n_new);
        for (std::uint32_t j = 0; j < n_new; ++j) {
            CHECK(client[j].id == list[s + j].id);
            CHECK(client[j].stamp == list[s + j].stamp);
        }

        // The cached rows, rebuilt from the plan the way a flush does.
        roster::Vec<Row> fresh_rows;
        for (std::uint32_t j = 0; j < n_new; ++j) fresh_rows.push_back(row_of(list[s + j]));
        RowWindow& win = *windows[w];
        if (p.n_old == 0 || n_new == 0) {
            win.assign(fresh_rows);
        } else {
            RowWindow::Scratch scratch;
            win.prefetch_rebuild(planner.kept(p), n_new);
            win.rebuild(
                planner.kept(p), n_new, [&](std::uint32_t j) { return fresh_rows[j]; }, scratch);
            for (std::uint32_t u : updates) win.at(u) = fresh_rows[u];
        }
        const roster::Vec<Row> got(win.rows().begin(), win.rows().end());
        CHECK(text(got) == text(fresh_rows));
    }
    return static_cast<int>(n_windows);
}

void planner_run(std::uint64_t seed, std::uint32_t chunk, std::uint32_t size, int rounds,
                 int edits, std::size_t stream_from = RowPool::stream_from_default) {
    std::mt19937_64 rng(seed);
    roster::Vec<Ref> list;
    std::uint64_t next_id = 1;
    std::uint32_t clock = 0;
    for (std::uint32_t i = 0; i < size; ++i) list.push_back(Ref{next_id++, ++clock});
    RowPool pool(chunk, stream_from);
    roster::Vec<RowWindow*> windows;
    int checked = 0;
    for (int r = 0; r < rounds; ++r)
        checked += plan_round(rng, list, next_id, clock, chunk, 1 + static_cast<int>(rng() % edits),
                              windows, pool);
    for (RowWindow* w : windows) delete w;
    CHECK(checked > 0);
}

}  // namespace

TEST_SUITE("window_plan") {

TEST_CASE("a pure shift: the kept rows stay, the rows coming in are read") {
    // 30 rows, window [10, 19]; three rows inserted at the top.
    roster::Vec<RowEdit> log = {{RowEdit::Kind::insert, 0}, {RowEdit::Kind::insert, 0},
                                {RowEdit::Kind::insert, 0}};
    RowMap map;
    REQUIRE(map.build(log, 30));
    WindowPlanner planner;
    planner.clear();
    const WindowPlan& p = planner[planner.plan(map, 10, 10, 33, 10, {})];
    REQUIRE(planner.kept(p).size() == 1);
    CHECK(planner.kept(p)[0].at == 3);
    CHECK(planner.kept(p)[0].old == 0);
    CHECK(planner.kept(p)[0].len == 7);
    CHECK(p.deletes == 3);
    CHECK(p.inserts == 3);
    REQUIRE(planner.runs().size() == 1);
    CHECK(planner.runs()[0].start == 10);
    CHECK(planner.runs()[0].count == 3);
    CHECK(planner.fresh(p).empty());  // the rows coming in existed before
}

TEST_CASE("rows coming in from a kept run that ends above the old window") {
    // 30 rows, window [10, 19]; three rows inserted at the top and old row
    // 9 removed: new rows 10, 11 are old rows 7, 8, the tail of a run that
    // ends before the old window starts (its old end, 9, is below 10).
    roster::Vec<RowEdit> log = {{RowEdit::Kind::insert, 0}, {RowEdit::Kind::insert, 0},
                                {RowEdit::Kind::insert, 0}, {RowEdit::Kind::remove, 12}};
    RowMap map;
    REQUIRE(map.build(log, 30));
    WindowPlanner planner;
    planner.clear();
    const WindowPlan& p = planner[planner.plan(map, 10, 10, 32, 10, {})];
    REQUIRE(planner.kept(p).size() == 1);
    CHECK(planner.kept(p)[0].at == 2);
    CHECK(planner.kept(p)[0].old == 0);
    CHECK(planner.kept(p)[0].len == 8);
    CHECK(p.deletes == 2);
    CHECK(p.inserts == 2);
    REQUIRE(planner.runs().size() == 1);
    CHECK(planner.runs()[0].start == 10);
    CHECK(planner.runs()[0].count == 2);
    CHECK(planner.rows() == 2);
}

TEST_CASE("a window past the end, and one the clients held nothing of") {
    roster::Vec<RowEdit> log = {{RowEdit::Kind::remove, 4}};
    RowMap map;
    REQUIRE(map.build(log, 12));
    WindowPlanner planner;
    planner.clear();
    const WindowPlan& gone = planner[planner.plan(map, 20, 10, 11, 0, {})];
    CHECK(gone.n_new == 0);
    CHECK(planner.need(gone).empty());
    const WindowPlan& all = planner[planner.plan(map, 0, 10, 11, 0, {})];
    CHECK(all.n_new == 10);
    REQUIRE(planner.need(all).size() == 1);
    CHECK(planner.need(all)[0].count == 10);
    CHECK(planner.rows() == 10);
}

TEST_CASE("randomized plans against a reference list") {
    planner_run(0x91a0001, 5, 40, 400, 12);
    planner_run(0x91a0002, 10, 200, 300, 40);
    planner_run(0x91a0003, 100, 2000, 60, 400);  // deep shifts, like a busy flush
    planner_run(0x91a0004, 3, 0, 300, 6);        // a list growing from empty
}

TEST_CASE("randomized plans against a reference list, windows written past the cache") {
    // A large pool's windows write their rows with non-temporal stores;
    // this pool does from its first byte.
    planner_run(0x91a0011, 5, 40, 400, 12, 0);
    planner_run(0x91a0013, 100, 2000, 60, 400, 0);
    planner_run(0x91a0014, 3, 0, 300, 6, 0);
}

TEST_CASE("copy_past_cache copies every length at every offset, and nothing else") {
    // Rows are 24 bytes: over 8 offsets a copy starts at every position in
    // a cache line, and the rows around it must stay as they were.
    std::vector<Row> src, dst;
    for (std::uint64_t i = 0; i < 80; ++i)
        src.push_back(Row{i + 1, (i + 1) << 20, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i * 3)});
    const Row guard{0xAAAA, 0xBBBB, 0xCC, 0xDD};
    int bad = 0;
    for (std::size_t off = 0; off < 16; ++off)
        for (std::size_t n = 0; n <= 64; ++n) {
            dst.assign(96, guard);
            roster::detail::copy_past_cache(dst.data() + off, src.data() + n % 7, n);
            roster::detail::stream_fence();
            for (std::size_t i = 0; i < dst.size(); ++i) {
                const Row& want = i >= off && i < off + n ? src[n % 7 + (i - off)] : guard;
                if (dst[i].group != want.group || dst[i].user != want.user ||
                    dst[i].count != want.count || dst[i].rev != want.rev)
                    ++bad;
            }
        }
    CHECK(bad == 0);
}

TEST_CASE("a row window drifts and recenters without losing rows") {
    // Shifting the same way every time walks the window to the edge of its
    // buffer; the rebuild then copies it back to the middle. In a pool
    // written through the cache and in one written past it; by 2 rows of
    // 10, and by 70 of 100 (more new rows than one batch of the stores).
    struct Case {
        std::uint32_t chunk, shift;
    };
    for (const std::size_t stream_from : {RowPool::stream_from_default, std::size_t{0}})
        for (const Case c : {Case{10, 2}, Case{100, 70}}) {
            CAPTURE(stream_from);
            CAPTURE(c.chunk);
            RowPool pool(c.chunk, stream_from);
            RowWindow win(pool);
            roster::Vec<Row> rows;
            for (std::uint64_t i = 1; i <= c.chunk; ++i) rows.push_back(Row{1, i, 0, 0});
            win.assign(rows);
            RowWindow::Scratch scratch;
            std::uint64_t next = 1000;
            for (int step = 0; step < 50; ++step) {
                // `shift` rows leave at the bottom, as many come in at the top.
                const KeptRun kept[] = {{c.shift, 0, c.chunk - c.shift}};
                roster::Vec<Row> fresh;
                for (std::uint32_t i = 0; i < c.shift; ++i) fresh.push_back(Row{1, next++, 0, i});
                win.rebuild(kept, c.chunk, [&](std::uint32_t j) { return fresh[j]; }, scratch);
                rows.resize(c.chunk - c.shift);
                rows.insert(rows.begin(), fresh.begin(), fresh.end());
                REQUIRE(win.size() == c.chunk);
                const roster::Vec<Row> got(win.rows().begin(), win.rows().end());
                REQUIRE(text(got) == text(rows));
            }
        }
}

TEST_CASE("row pool: freed blocks are reused, windows keep their rows as the pool grows") {
    RowPool pool(4);
    roster::Vec<RowWindow*> wins;
    for (std::uint64_t w = 0; w < 100; ++w) {
        wins.push_back(new RowWindow(pool));
        roster::Vec<Row> rows;
        for (std::uint64_t i = 0; i < 4; ++i) rows.push_back(Row{w, w * 10 + i + 1, 0, 0});
        wins.back()->assign(rows);
    }
    for (std::uint64_t w = 0; w < 100; ++w) {
        REQUIRE(wins[w]->size() == 4);
        CHECK(wins[w]->rows()[3].user == w * 10 + 4);
    }
    const std::uint32_t a = pool.allocate();
    pool.free(a);
    CHECK(pool.allocate() == a);  // last freed, first reused
    pool.free(a);
    for (RowWindow* w : wins) delete w;
}

TEST_CASE("pod buffer: extend keeps the contents, clear keeps the memory") {
    PodBuffer<std::uint64_t> b;
    CHECK(b.empty());
    for (std::uint64_t i = 0; i < 100000; ++i) *b.extend(1) = i;
    REQUIRE(b.size() == 100000);
    bool same = true;
    for (std::uint64_t i = 0; i < 100000; ++i) same = same && b.data()[i] == i;
    CHECK(same);
    std::uint64_t* many = b.extend(3);
    many[0] = 7;
    many[2] = 9;
    CHECK(b.size() == 100003);
    b.shrink(3);
    CHECK(b.size() == 100000);
    CHECK(b.view(99998, 2)[1] == 99999);
    const std::uint64_t* before = b.data();
    b.clear();
    CHECK(b.empty());
    b.extend(10);
    CHECK(b.data() == before);
}

}  // TEST_SUITE
