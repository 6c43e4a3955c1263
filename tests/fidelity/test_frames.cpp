// Hand-written frame cases (docs/frames.md): each edge with the
// exact frames expected, chosen so that the minimal edit script is unique.
// Every frame also goes through the replica checks of the harness.
//
// Frame text (sim::describe): "s<sessions> L<list> <members>/<online>
// {<groups>} <ops>"; member rows are "<user>@<group>", headers
// "[<group>:<count>]".
#include <doctest/doctest.h>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace fid;
using roster::GuildConfig;
using roster::SessionConfig;

namespace {

SessionConfig chunked(std::uint32_t chunk) {
    SessionConfig s;
    s.chunk = chunk;
    return s;
}

std::string nm(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "n%03d", i);
    return buf;
}

// Members first..last, online, named so that id order is row order.
void fill(Harness& h, int first, int last, Status st = Status::online) {
    for (int i = first; i <= last; ++i) REQUIRE(h.add(static_cast<std::uint64_t>(i), nm(i), {}, st) == Error::ok);
}

std::string join(std::vector<std::string> v, bool sort) {
    if (sort) std::sort(v.begin(), v.end());
    std::string s;
    for (const std::string& x : v) s += x + "\n";
    return s;
}

std::string members(int first, int last, const char* group = "on") {
    std::string s;
    for (int i = first; i <= last; ++i)
        s.append(" ").append(std::to_string(i)).append("@").append(group);
    return s;
}

}  // namespace

// Exactly these frames since the last check, in any order.
#define FRAMES(h, ...) CHECK(join((h).take(), true) == join(std::vector<std::string>{__VA_ARGS__}, true))
#define NO_FRAMES(h) CHECK(join((h).take(), true) == "")
#define CLEAN(h)                \
    do {                        \
        INFO((h).report());     \
        CHECK((h).ok());        \
    } while (0)

TEST_SUITE("fidelity") {

TEST_CASE("a list shorter than a chunk") {
    Harness h({}, chunked(10));
    fill(h, 1, 3);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    FRAMES(h, "s1 L0 3/3 {on:3} SYNC 0-9 [on:3] 1@on 2@on 3@on");
    REQUIRE(h.add(4, nm(4)) == Error::ok);
    FRAMES(h, "s1 L0 4/4 {on:4} INSERT 4 4@on; UPDATE 0 [on:4]");
    REQUIRE(h.remove(2) == Error::ok);
    FRAMES(h, "s1 L0 3/3 {on:3} DELETE 2; UPDATE 0 [on:3]");
    CLEAN(h);
}

TEST_CASE("a window starting exactly at the last row") {
    Harness h({}, chunked(5));
    fill(h, 1, 5);  // rows 0..5: the last row starts chunk 1
    REQUIRE(h.subscribe(1, 0, {{5, 5}}) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} SYNC 5-9 5@on");
    REQUIRE(h.touch(5) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 5 5@on");
    REQUIRE(h.remove(5) == Error::ok);  // the chunk empties: the resize drops it
    FRAMES(h, "s1 L0 4/4 {on:4}");
    REQUIRE(h.add(6, nm(6)) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} SYNC 5-9 6@on");
    CLEAN(h);
}

TEST_CASE("deleting the last row") {
    Harness h({}, chunked(5));
    fill(h, 1, 7);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    FRAMES(h, "s1 L0 7/7 {on:7} SYNC 0-9 [on:7]" + members(1, 7));
    // The last row goes: the resize drops it (no DELETE: it leaves at the
    // bottom of the session's last chunk).
    REQUIRE(h.remove(7) == Error::ok);
    FRAMES(h, "s1 L0 6/6 {on:6} UPDATE 0 [on:6]");
    REQUIRE(h.remove(6) == Error::ok);  // chunk 1 keeps one row
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 0 [on:5]");
    REQUIRE(h.remove(5) == Error::ok);  // chunk 1 becomes empty: the resize drops it
    FRAMES(h, "s1 L0 4/4 {on:4} UPDATE 0 [on:4]");
    CLEAN(h);
}

TEST_CASE("changes above a range are expressed at its edges") {
    Harness h({}, chunked(5));
    fill(h, 1, 12);
    REQUIRE(h.subscribe(1, 0, {{5, 9}}) == Error::ok);
    FRAMES(h, "s1 L0 12/12 {on:12} SYNC 5-9" + members(5, 9));
    // Member 2 moves from above the range to below it.
    REQUIRE(h.rename(2, "zz") == Error::ok);
    FRAMES(h, "s1 L0 12/12 {on:12} DELETE 5; INSERT 9 10@on");
    REQUIRE(h.remove(1) == Error::ok);
    FRAMES(h, "s1 L0 11/11 {on:11} DELETE 5; INSERT 9 11@on");
    // A row inserted above shifts one in at the start; the one pushed out
    // at the end goes past the session's last range, so it is not deleted.
    REQUIRE(h.add(13, "a") == Error::ok);
    FRAMES(h, "s1 L0 12/12 {on:12} INSERT 5 6@on");
    CLEAN(h);
}

TEST_CASE("rows pushed past a session's last range are not deleted; past another range they are") {
    Harness h({}, chunked(5));
    fill(h, 1, 20);
    REQUIRE(h.subscribe(1, 0, {{5, 14}}) == Error::ok);  // chunks 1 and 2
    REQUIRE(h.subscribe(2, 0, {{10, 14}}) == Error::ok);  // chunk 2 alone
    h.take();
    // A row inserted above everything: chunk 1 is followed by chunk 2 in
    // s1's view, so its bottom row is deleted to keep chunk 2 in place;
    // chunk 2 is the last range of every session holding it.
    REQUIRE(h.add(30, "a") == Error::ok);
    FRAMES(h, "s1 L0 21/21 {on:21} DELETE 9; INSERT 5 4@on; INSERT 10 9@on",
           "s2 L0 21/21 {on:21} INSERT 10 9@on");
    // Once a session holds chunk 3 as well, chunk 2 is not last for all of
    // its holders: its ops keep the rows below it in place, for everyone.
    REQUIRE(h.subscribe(3, 0, {{10, 19}}) == Error::ok);
    h.take();
    REQUIRE(h.add(31, "b") == Error::ok);
    FRAMES(h, "s1 L0 22/22 {on:22} DELETE 9; INSERT 5 3@on; DELETE 14; INSERT 10 8@on",
           "s2 L0 22/22 {on:22} DELETE 14; INSERT 10 8@on",
           "s3 L0 22/22 {on:22} DELETE 14; INSERT 10 8@on; INSERT 15 13@on");
    CLEAN(h);
}

// Tail deletes (docs/frames.md §10): each harness also keeps, per session,
// a client that never resizes; it must hold the true rows and nothing past
// the end of the list.
SessionConfig tail_deletes(std::uint32_t chunk) {
    SessionConfig s = chunked(chunk);
    s.tail_deletes = true;
    return s;
}

TEST_CASE("without tail deletes, a client that does not resize keeps rows past the end") {
    Harness h({}, chunked(5));
    h.flat_clients = true;
    fill(h, 1, 12);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    h.take();
    REQUIRE(h.add(30, "a") == Error::ok);  // pushes member 4 past the range: no DELETE
    FRAMES(h, "s1 L0 13/13 {on:13} INSERT 1 30@on; UPDATE 0 [on:13]");
    CHECK(h.ok());  // row 5 is stale, but still inside the list
    h.begin();
    for (int i = 4; i <= 12; ++i) REQUIRE(h.remove(static_cast<std::uint64_t>(i)) == Error::ok);
    h.commit();  // 5 rows: the client still holds member 4 at row 5
    FRAMES(h, "s1 L0 4/4 {on:4} UPDATE 0 [on:4]");
    CHECK_FALSE(h.ok());
    CHECK(h.report().find("row 5 (4@on) held past the end (5 rows)") != std::string::npos);
}

TEST_CASE("tail deletes: rows pushed off the bottom of a session's last chunk are deleted") {
    Harness h({}, tail_deletes(5));
    h.flat_clients = true;
    fill(h, 1, 12);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    h.take();
    REQUIRE(h.add(30, "a") == Error::ok);
    FRAMES(h, "s1 L0 13/13 {on:13} DELETE 4; INSERT 1 30@on; UPDATE 0 [on:13]");
    h.begin();
    for (int i = 4; i <= 12; ++i) REQUIRE(h.remove(static_cast<std::uint64_t>(i)) == Error::ok);
    h.commit();
    FRAMES(h, "s1 L0 4/4 {on:4} UPDATE 0 [on:4]");
    CLEAN(h);
}

TEST_CASE("tail deletes: the last rows leave one by one, then the chunk empties") {
    Harness h({}, tail_deletes(5));
    h.flat_clients = true;
    fill(h, 1, 7);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    FRAMES(h, "s1 L0 7/7 {on:7} SYNC 0-9 [on:7]" + members(1, 7));
    REQUIRE(h.remove(7) == Error::ok);
    FRAMES(h, "s1 L0 6/6 {on:6} UPDATE 0 [on:6]; DELETE 7");
    REQUIRE(h.remove(6) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 0 [on:5]; DELETE 6");
    // Chunk 1 empties: its DELETE comes before chunk 0's ops.
    REQUIRE(h.remove(5) == Error::ok);
    FRAMES(h, "s1 L0 4/4 {on:4} DELETE 5; UPDATE 0 [on:4]");
    REQUIRE(h.add(8, nm(8)) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 0 [on:5]; SYNC 5-9 8@on");
    CLEAN(h);
}

TEST_CASE("tail deletes: chunks past the new end are deleted first, from the bottom up") {
    Harness h({}, tail_deletes(5));
    h.flat_clients = true;
    fill(h, 1, 12);  // rows 0..12
    REQUIRE(h.subscribe(1, 0, {{5, 14}}) == Error::ok);  // chunks 1 and 2
    REQUIRE(h.subscribe(2, 0, {{10, 14}}) == Error::ok);  // chunk 2 alone
    h.take();
    // The end moves from chunk 2 into chunk 1: chunk 2's rows go first, at
    // their old places, then chunk 1's last row.
    h.begin();
    for (int i = 9; i <= 12; ++i) REQUIRE(h.remove(static_cast<std::uint64_t>(i)) == Error::ok);
    h.commit();
    FRAMES(h, "s1 L0 8/8 {on:8} DELETE 12; DELETE 11; DELETE 10; DELETE 9",
           "s2 L0 8/8 {on:8} DELETE 12; DELETE 11; DELETE 10");
    CLEAN(h);
}

TEST_CASE("tail deletes: a list emptied, then filled again") {
    Harness h({}, tail_deletes(5));
    h.flat_clients = true;
    fill(h, 1, 3);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    h.take();
    h.begin();
    for (int i = 1; i <= 3; ++i) REQUIRE(h.remove(static_cast<std::uint64_t>(i)) == Error::ok);
    h.commit();
    FRAMES(h, "s1 L0 0/0 {} DELETE 3; DELETE 2; DELETE 1; DELETE 0");
    REQUIRE(h.add(4, nm(4)) == Error::ok);
    FRAMES(h, "s1 L0 1/1 {on:1} SYNC 0-4 [on:1] 4@on");
    CLEAN(h);
}

TEST_CASE("tail deletes survive a hand-off") {
    Harness h({}, tail_deletes(5));
    h.flat_clients = true;
    fill(h, 1, 7);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    h.take();
    CHECK(h.handoff() > 0);
    CHECK(h.engine().session_config().tail_deletes);
    REQUIRE(h.remove(7) == Error::ok);
    FRAMES(h, "s1 L0 6/6 {on:6} UPDATE 0 [on:6]; DELETE 7");
    CLEAN(h);
}

TEST_CASE("changes below every range: counts only, or nothing") {
    Harness h({}, chunked(5));
    fill(h, 1, 12);
    REQUIRE(h.subscribe(1, 0, {{5, 9}}) == Error::ok);
    h.take();
    REQUIRE(h.remove(12) == Error::ok);
    FRAMES(h, "s1 L0 11/11 {on:11}");
    REQUIRE(h.touch(11) == Error::ok);
    NO_FRAMES(h);
    REQUIRE(h.rename(11, "n011x") == Error::ok);
    NO_FRAMES(h);
    REQUIRE(h.status(11, Status::idle) == Error::ok);  // still counted online
    NO_FRAMES(h);
    REQUIRE(h.status(11, Status::offline) == Error::ok);
    FRAMES(h, "s1 L0 11/10 {on:10,off:1}");
    CLEAN(h);
}

TEST_CASE("a move inside a chunk is DELETE + INSERT") {
    Harness h({}, chunked(10));
    fill(h, 1, 5);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    h.take();
    REQUIRE(h.rename(2, "n004x") == Error::ok);  // order 1 3 4 2 5
    FRAMES(h, "s1 L0 5/5 {on:5} DELETE 2; INSERT 4 2@on");
    CLEAN(h);
}

TEST_CASE("a status change within the group and a touch are UPDATEs") {
    Harness h({}, chunked(10));
    fill(h, 1, 5);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    h.take();
    REQUIRE(h.status(3, Status::dnd) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 3 3@on");
    REQUIRE(h.status(3, Status::idle) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 3 3@on");
    REQUIRE(h.touch(4) == Error::ok);
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 4 4@on");
    CLEAN(h);
}

TEST_CASE("header counts are UPDATEs of the header row") {
    SUBCASE("the change itself is outside the range") {
        Harness h({}, chunked(5));
        fill(h, 1, 7);
        REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
        h.take();
        REQUIRE(h.remove(7) == Error::ok);
        FRAMES(h, "s1 L0 6/6 {on:6} UPDATE 0 [on:6]");
        CLEAN(h);
    }
    SUBCASE("two groups") {
        Harness h({}, chunked(10));
        REQUIRE(h.event([](Guild& g) { return g.upsert_role({10, 1, true, false, false}); }) == Error::ok);
        REQUIRE(h.add(1, "b1", {10}) == Error::ok);
        REQUIRE(h.add(2, "b2", {10}) == Error::ok);
        REQUIRE(h.add(3, "a3") == Error::ok);
        REQUIRE(h.add(4, "c4") == Error::ok);
        REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
        FRAMES(h, "s1 L0 4/4 {r10:2,on:2} SYNC 0-9 [r10:2] 1@r10 2@r10 [on:2] 3@on 4@on");
        // Member 3 moves into r10, ahead of 1 and 2.
        REQUIRE(h.event([](Guild& g) { return g.add_member_role(3, 10); }, {3}) == Error::ok);
        FRAMES(h, "s1 L0 4/4 {r10:3,on:1} DELETE 4; INSERT 1 3@r10; UPDATE 0 [r10:3]; UPDATE 4 [on:1]");
        REQUIRE(h.remove(4) == Error::ok);  // the online group disappears: the resize drops it
        FRAMES(h, "s1 L0 3/3 {r10:3}");
        CLEAN(h);
    }
}

TEST_CASE("adjacent chunks, far-apart ranges and reversed ends") {
    Harness h({}, chunked(5));
    fill(h, 1, 30);
    REQUIRE(h.subscribe(1, 0, {{0, 4}, {5, 9}, {22, 20}}) == Error::ok);
    FRAMES(h, "s1 L0 30/30 {on:30} SYNC 0-9 [on:30]" + members(1, 9) + "; SYNC 20-24" + members(20, 24));
    REQUIRE(h.subscribe(2, 0, {{9, 3}}) == Error::ok);
    FRAMES(h, "s2 L0 30/30 {on:30} SYNC 0-9 [on:30]" + members(1, 9));
    roster::Vec<Range> r;
    REQUIRE(h.engine().session_ranges(1, 0, &r) == Error::ok);
    CHECK(r == roster::Vec<Range>{{0, 9}, {20, 24}});
    REQUIRE(h.engine().session_ranges(2, 0, &r) == Error::ok);
    CHECK(r == roster::Vec<Range>{{0, 9}});
    REQUIRE(h.remove(1) == Error::ok);
    FRAMES(h,
           "s1 L0 29/29 {on:29} DELETE 1; INSERT 4 5@on; UPDATE 0 [on:29]; DELETE 5; INSERT 9 10@on; "
           "DELETE 20; INSERT 24 25@on",
           "s2 L0 29/29 {on:29} DELETE 1; INSERT 4 5@on; UPDATE 0 [on:29]; DELETE 5; INSERT 9 10@on");
    CLEAN(h);
}

TEST_CASE("range changes: kept chunks get nothing, dropped INVALIDATE, new SYNC") {
    Harness h({}, chunked(5));
    fill(h, 1, 30);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    h.take();
    REQUIRE(h.subscribe(1, 0, {{5, 14}}) == Error::ok);
    FRAMES(h, "s1 L0 30/30 {on:30} INVALIDATE 0-4; SYNC 10-14" + members(10, 14));
    REQUIRE(h.subscribe(1, 0, {{0, 4}, {20, 24}}) == Error::ok);
    FRAMES(h, "s1 L0 30/30 {on:30} INVALIDATE 5-14; SYNC 0-4 [on:30]" + members(1, 4) + "; SYNC 20-24" +
                  members(20, 24));
    REQUIRE(h.subscribe(1, 0, {{24, 20}, {3, 1}}) == Error::ok);  // the same chunks
    NO_FRAMES(h);
    // A range change and a guild change in one batch: one frame.
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.subscribe(1, 0, {{0, 4}, {5, 9}}) == Error::ok);
    REQUIRE(h.remove(2) == Error::ok);
    NO_FRAMES(h);
    REQUIRE(h.commit() == Error::ok);
    FRAMES(h, "s1 L0 29/29 {on:29} INVALIDATE 20-24; DELETE 2; INSERT 4 5@on; UPDATE 0 [on:29]; SYNC 5-9" +
                  members(6, 10));
    CLEAN(h);
}

TEST_CASE("unsubscribe") {
    Harness h({}, chunked(5));
    fill(h, 1, 30);
    REQUIRE(h.subscribe(1, 0, {{0, 4}, {20, 24}, {5, 9}}) == Error::ok);
    h.take();
    REQUIRE(h.subscribe(1, 0, {}) == Error::ok);
    FRAMES(h, "s1 L0 30/30 {on:30} INVALIDATE 0-9; INVALIDATE 20-24");
    CHECK(h.engine().session_count() == 1);  // the session stays, with no lists
    roster::Vec<Range> r{{1, 1}};
    REQUIRE(h.engine().session_ranges(1, 0, &r) == Error::ok);
    CHECK(r.empty());
    REQUIRE(h.remove(1) == Error::ok);
    NO_FRAMES(h);
    CLEAN(h);
}

// Unsubscribing invalidates the chunks the session held. A row pushed past
// its last chunk (no DELETE, docs/frames.md section 7) is outside every
// range and stays in the client; with tail deletes there is no such row,
// and the client is left holding nothing. (A range set and dropped inside
// one batch was never sent, so it does not widen the INVALIDATE.)
TEST_CASE("unsubscribing after a row was pushed past the last chunk") {
    for (const bool tail : {false, true}) {
        CAPTURE(tail);
        Harness h({}, tail ? tail_deletes(4) : chunked(4));
        fill(h, 1, 7);  // rows 0-7: chunks 0 and 1, the whole list
        REQUIRE(h.subscribe(1, 0, {{0, 6}}) == Error::ok);
        FRAMES(h, "s1 L0 7/7 {on:7} SYNC 0-7 [on:7]" + members(1, 7));
        REQUIRE(h.add(30, "a") == Error::ok);  // at row 1: member 7 leaves chunk 1 at its bottom
        FRAMES(h, tail ? "s1 L0 8/8 {on:8} DELETE 3; INSERT 1 30@on; UPDATE 0 [on:8]; DELETE 7; INSERT 4 3@on"
                       : "s1 L0 8/8 {on:8} DELETE 3; INSERT 1 30@on; UPDATE 0 [on:8]; INSERT 4 3@on");
        const sim::Replica* rep = h.replica(1, 0);
        REQUIRE(rep != nullptr);
        REQUIRE(rep->size() == 9);
        CHECK((rep->at(8) != nullptr) == !tail);  // member 7, pushed to row 8
        REQUIRE(h.begin() == Error::ok);
        REQUIRE(h.subscribe(1, 0, {{0, 15}}) == Error::ok);
        REQUIRE(h.subscribe(1, 0, {}) == Error::ok);
        REQUIRE(h.commit() == Error::ok);
        FRAMES(h, "s1 L0 8/8 {on:8} INVALIDATE 0-7");
        rep = h.replica(1, 0);
        REQUIRE(rep != nullptr);
        for (std::size_t i = 0; i < 8; ++i) CHECK(rep->at(i) == nullptr);
        CHECK((rep->at(8) != nullptr) == !tail);
        CLEAN(h);
    }
}

TEST_CASE("a subscription made and dropped within one batch sends nothing") {
    Harness h({}, chunked(5));
    fill(h, 1, 3);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(1, 0, {}) == Error::ok);
    FRAMES(h, "s1 L0 3/3 {on:3} SYNC 0-4 [on:3] 1@on 2@on 3@on", "s1 L0 3/3 {on:3} INVALIDATE 0-4");
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(1, 0, {}) == Error::ok);
    REQUIRE(h.subscribe(2, 0, {{5, 9}}) == Error::ok);  // a session never seen before
    REQUIRE(h.subscribe(2, 0, {}) == Error::ok);
    REQUIRE(h.commit() == Error::ok);
    NO_FRAMES(h);
    CLEAN(h);
}

TEST_CASE("a range past the end fills as the list grows") {
    Harness h({}, chunked(5));
    fill(h, 1, 3);
    REQUIRE(h.subscribe(1, 0, {{10, 12}}) == Error::ok);
    FRAMES(h, "s1 L0 3/3 {on:3} SYNC 10-14");
    REQUIRE(h.add(4, nm(4)) == Error::ok);
    FRAMES(h, "s1 L0 4/4 {on:4}");
    REQUIRE(h.begin() == Error::ok);
    fill(h, 5, 10);
    REQUIRE(h.commit() == Error::ok);
    FRAMES(h, "s1 L0 10/10 {on:10} SYNC 10-14 10@on");
    REQUIRE(h.add(11, nm(11)) == Error::ok);
    FRAMES(h, "s1 L0 11/11 {on:11} INSERT 11 11@on");
    REQUIRE(h.remove(1) == Error::ok);
    FRAMES(h, "s1 L0 10/10 {on:10} DELETE 10");
    CLEAN(h);
}

TEST_CASE("removing a list with subscribers") {
    Harness h({}, chunked(5));
    fill(h, 1, 3);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.subscribe(1, 7, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(2, 0, {{0, 4}}) == Error::ok);
    FRAMES(h, "s1 L7 3/3 {on:3} SYNC 0-4 [on:3] 1@on 2@on 3@on", "s2 L0 3/3 {on:3} SYNC 0-4 [on:3] 1@on 2@on 3@on");
    REQUIRE(h.remove_list(7) == Error::ok);
    FRAMES(h, "s1 L7 0/0 {} INVALIDATE 0-4");
    roster::Vec<Range> r{{1, 1}};
    REQUIRE(h.engine().session_ranges(1, 7, &r) == Error::ok);
    CHECK(r.empty());
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    NO_FRAMES(h);  // the subscription was dropped with the list
    REQUIRE(h.add(4, nm(4)) == Error::ok);
    FRAMES(h, "s2 L0 4/4 {on:4} INSERT 4 4@on; UPDATE 0 [on:4]");
    CLEAN(h);
}

TEST_CASE("a list removed and created again within one batch drops its subscriptions") {
    Harness h({}, chunked(5));
    fill(h, 1, 3);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.subscribe(1, 7, {{0, 4}}) == Error::ok);
    h.take();
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.remove_list(7) == Error::ok);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.commit() == Error::ok);
    // The session held chunk 0 and holds nothing now: it must forget it,
    // whether the frame speaks of the removed list or of the new one.
    const std::vector<std::string> got = h.take();
    CHECK(join(got, true) != "");
    for (const std::string& f : got) CHECK(f.find("INVALIDATE 0-4") != std::string::npos);
    roster::Vec<Range> r{{1, 1}};
    REQUIRE(h.engine().session_ranges(1, 7, &r) == Error::ok);
    CHECK(r.empty());
    REQUIRE(h.touch(1) == Error::ok);
    NO_FRAMES(h);
    roster::ListRule deny;
    deny.everyone = roster::Overwrite::deny;
    REQUIRE(h.event([&](Guild& g) { return g.set_list(7, deny); }) == Error::ok);
    NO_FRAMES(h);
    CLEAN(h);
}

TEST_CASE("a subscription to a list created again within one batch stands") {
    Harness h({}, chunked(5));
    fill(h, 1, 3);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.subscribe(1, 7, {{0, 4}}) == Error::ok);
    h.take();
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.remove_list(7) == Error::ok);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.subscribe(2, 7, {{0, 4}}) == Error::ok);
    REQUIRE(h.commit() == Error::ok);
    const std::vector<std::string> got = h.take();
    CHECK(std::find(got.begin(), got.end(), "s2 L7 3/3 {on:3} SYNC 0-4 [on:3] 1@on 2@on 3@on") != got.end());
    roster::Vec<Range> r;
    REQUIRE(h.engine().session_ranges(2, 7, &r) == Error::ok);
    CHECK(r == roster::Vec<Range>{{0, 4}});
    REQUIRE(h.touch(1) == Error::ok);
    FRAMES(h, "s2 L7 3/3 {on:3} UPDATE 1 1@on");
    CLEAN(h);
}

TEST_CASE("fan-out: identical subscriptions share one frame") {
    Harness h({}, chunked(5));
    fill(h, 1, 12);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(2, 0, {{4, 0}}) == Error::ok);
    REQUIRE(h.subscribe(3, 0, {{5, 9}}) == Error::ok);
    REQUIRE(h.subscribe(4, 0, {{20, 24}}) == Error::ok);
    FRAMES(h, "s1 L0 12/12 {on:12} SYNC 0-4 [on:12]" + members(1, 4),
           "s2 L0 12/12 {on:12} SYNC 0-4 [on:12]" + members(1, 4), "s3 L0 12/12 {on:12} SYNC 5-9" + members(5, 9),
           "s4 L0 12/12 {on:12} SYNC 20-24");
    REQUIRE(h.touch(1) == Error::ok);
    FRAMES(h, "s1,2 L0 12/12 {on:12} UPDATE 1 1@on");
    REQUIRE(h.remove(2) == Error::ok);
    FRAMES(h, "s1,2 L0 11/11 {on:11} DELETE 2; INSERT 4 5@on; UPDATE 0 [on:11]",
           "s3 L0 11/11 {on:11} DELETE 5; INSERT 9 10@on", "s4 L0 11/11 {on:11}");
    CLEAN(h);
}

TEST_CASE("bulk role reorder falls back to INVALIDATE + SYNC") {
    Harness h({}, chunked(10));
    for (std::uint64_t r : {10, 11, 12})
        REQUIRE(h.event([&](Guild& g) { return g.upsert_role({r, static_cast<std::int32_t>(13 - r), true, false, false}); }) ==
                Error::ok);
    for (int i = 1; i <= 6; ++i) REQUIRE(h.add(static_cast<std::uint64_t>(i), nm(i), {static_cast<std::uint64_t>(10 + (i - 1) / 2)}) == Error::ok);
    REQUIRE(h.subscribe(1, 0, {{0, 9}}) == Error::ok);
    FRAMES(h, "s1 L0 6/6 {r10:2,r11:2,r12:2} SYNC 0-9 [r10:2] 1@r10 2@r10 [r11:2] 3@r11 4@r11 [r12:2] 5@r12 6@r12");
    // Reversing three sections moves 6 of 9 rows: 6 DELETEs + 6 INSERTs cost
    // 30, re-sending costs 2 + 3 * 9 = 29.
    const std::vector<std::uint64_t> ids{10, 11, 12};
    const std::vector<std::int32_t> pos{1, 2, 3};
    REQUIRE(h.event([&](Guild& g) { return g.reorder_roles(ids, pos); }) == Error::ok);
    FRAMES(h,
           "s1 L0 6/6 {r12:2,r11:2,r10:2} INVALIDATE 0-9; SYNC 0-9 [r12:2] 5@r12 6@r12 [r11:2] 3@r11 4@r11 [r10:2] "
           "1@r10 2@r10");
    CLEAN(h);
}

TEST_CASE("the offline threshold flipping both ways") {
    GuildConfig gc;
    gc.offline_threshold = 19;
    Harness h(gc, chunked(10));
    fill(h, 1, 10);
    fill(h, 11, 19, Status::offline);  // 19 members: offline hidden
    REQUIRE(h.subscribe(1, 0, {{10, 19}}) == Error::ok);
    REQUIRE(h.subscribe(2, 0, {{0, 9}}) == Error::ok);
    FRAMES(h, "s1 L0 19/10 {on:10} SYNC 10-19 10@on", "s2 L0 19/10 {on:10} SYNC 0-9 [on:10]" + members(1, 9));
    // Shown: 9 INSERTs cost 36 against 2 + 3 * 10 = 32 for re-sending.
    REQUIRE(h.event([](Guild& g) { return g.set_offline_threshold(20); }) == Error::ok);
    FRAMES(h, "s1 L0 19/10 {on:10,off:9} INVALIDATE 10-19; SYNC 10-19 10@on [off:9]" + members(11, 18, "off"),
           "s2 L0 19/10 {on:10,off:9}");
    // Hidden again: 9 DELETEs cost 9 against 2 + 3 * 1 = 5.
    REQUIRE(h.event([](Guild& g) { return g.set_offline_threshold(19); }) == Error::ok);
    FRAMES(h, "s1 L0 19/10 {on:10} INVALIDATE 10-19; SYNC 10-19 10@on", "s2 L0 19/10 {on:10}");
    CLEAN(h);
}

TEST_CASE("a batch is one frame per session at the outermost commit") {
    Harness h({}, chunked(5));
    fill(h, 1, 12);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    h.take();
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.remove(2) == Error::ok);
    REQUIRE(h.touch(3) == Error::ok);
    REQUIRE(h.add(13, nm(13)) == Error::ok);
    NO_FRAMES(h);
    REQUIRE(h.commit() == Error::ok);
    FRAMES(h, "s1 L0 12/12 {on:12} DELETE 2; INSERT 4 5@on; UPDATE 2 3@on");
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.touch(1) == Error::ok);
    REQUIRE(h.commit() == Error::ok);
    NO_FRAMES(h);
    REQUIRE(h.commit() == Error::ok);
    FRAMES(h, "s1 L0 12/12 {on:12} UPDATE 1 1@on");
    CHECK(h.engine().commit() == Error::invalid);  // no batch open
    // Added and removed within one batch: nothing visible happened.
    REQUIRE(h.begin() == Error::ok);
    REQUIRE(h.add(14, "a") == Error::ok);
    REQUIRE(h.remove(14) == Error::ok);
    REQUIRE(h.commit() == Error::ok);
    NO_FRAMES(h);
    CLEAN(h);
}

TEST_CASE("inside the sink: guild mutations and subscribes are busy") {
    Harness h({}, chunked(5));
    fill(h, 1, 3);
    int calls = 0;
    h.hook = [&](const roster_frame& f, std::span<const std::uint64_t>) {
        ++calls;
        Engine& e = h.engine();
        CHECK(e.apply([](Guild& g) { return g.upsert_member(99, "x", {}, Status::online, false); }) == Error::busy);
        CHECK(e.apply([](Guild& g) { return g.touch(1); }) == Error::busy);
        const roster::Vec<Range> r{{0, 4}};
        CHECK(e.subscribe(2, 0, r) == Error::busy);
        CHECK(e.subscribe(1, 0, roster::Vec<Range>{{0, 9}}) == Error::busy);
        CHECK(e.set_sink({}) == Error::busy);
        CHECK(e.begin() == Error::busy);
        // Queries see the guild as of this flush.
        std::uint32_t len = 0;
        REQUIRE(e.guild().list_length(0, &len) == Error::ok);
        std::uint32_t want = 0;
        for (std::size_t g = 0; g < f.group_count; ++g) want += f.groups[g].count + 1;
        CHECK(len == want);
    };
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    REQUIRE(h.add(4, nm(4)) == Error::ok);
    CHECK(calls == 2);
    h.hook = {};
    FRAMES(h, "s1 L0 3/3 {on:3} SYNC 0-4 [on:3] 1@on 2@on 3@on", "s1 L0 4/4 {on:4} INSERT 4 4@on; UPDATE 0 [on:4]");
    // Nothing the busy calls attempted happened.
    roster::Guild::MemberView v;
    CHECK(h.engine().guild().member(99, &v) == Error::not_found);
    CHECK(h.engine().session_count() == 1);
    CHECK(h.engine().batch_depth() == 0);
    REQUIRE(h.add(5, nm(5)) == Error::ok);  // the sink still works; row 5 is past chunk 0
    FRAMES(h, "s1 L0 5/5 {on:5} UPDATE 0 [on:5]");
    CLEAN(h);
}

TEST_CASE("inside the sink: remove_session is allowed and ends that session's frames") {
    Harness h({}, chunked(5));
    fill(h, 1, 12);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(1, 7, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(2, 7, {{5, 9}}) == Error::ok);
    REQUIRE(h.subscribe(3, 0, {{5, 9}}) == Error::ok);
    h.take();
    bool done = false;
    h.hook = [&](const roster_frame& f, std::span<const std::uint64_t> ids) {
        if (done || f.list_id != 0 || std::find(ids.begin(), ids.end(), 1u) == ids.end()) return;
        done = true;
        CHECK(h.remove_session(1) == Error::ok);  // the session being served
        CHECK(h.remove_session(2) == Error::ok);  // one not served yet
    };
    REQUIRE(h.add(20, "a") == Error::ok);
    CHECK(done);
    h.hook = {};
    FRAMES(h, "s1 L0 13/13 {on:13} INSERT 1 20@on; UPDATE 0 [on:13]",
           "s3 L0 13/13 {on:13} INSERT 5 4@on");
    CHECK(h.engine().session_count() == 1);
    REQUIRE(h.touch(20) == Error::ok);
    NO_FRAMES(h);
    CLEAN(h);
}

TEST_CASE("inside the sink: unsubscribing is allowed; its INVALIDATE comes in the same flush") {
    Harness h({}, chunked(5));
    fill(h, 1, 12);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(1, 7, {{0, 4}}) == Error::ok);
    h.take();
    SUBCASE("from a list not served yet") {
        bool done = false;
        h.hook = [&](const roster_frame& f, std::span<const std::uint64_t>) {
            if (done || f.list_id != 0) return;
            done = true;
            CHECK(h.subscribe(1, 7, {}) == Error::ok);
        };
        REQUIRE(h.add(20, "a") == Error::ok);
        CHECK(done);
        FRAMES(h, "s1 L0 13/13 {on:13} INSERT 1 20@on; UPDATE 0 [on:13]",
               "s1 L7 13/13 {on:13} INVALIDATE 0-4");
    }
    SUBCASE("from the list being served") {
        bool done = false;
        h.hook = [&](const roster_frame& f, std::span<const std::uint64_t>) {
            if (done || f.list_id != 0) return;
            done = true;
            CHECK(h.subscribe(1, 0, {}) == Error::ok);
        };
        REQUIRE(h.add(20, "a") == Error::ok);
        CHECK(done);
        FRAMES(h, "s1 L0 13/13 {on:13} INSERT 1 20@on; UPDATE 0 [on:13]",
               "s1 L0 13/13 {on:13} INVALIDATE 0-4",
               "s1 L7 13/13 {on:13} INSERT 1 20@on; UPDATE 0 [on:13]");
    }
    h.hook = {};
    CLEAN(h);
}

// A flush whose ops fit in its arenas sends the audiences' frames once
// all its ops are done, in the order the audiences were made; one whose
// ops do not fit (here: arenas of no room at all) sends each audience's
// frame as soon as its last chunk's ops are done: by last chunk, those
// with the same last chunk in the order they were made. An audience that
// empties leaves a hole in the list's audience order, closed once holes
// are half of it: the orders stay, before and after the holes are closed.
TEST_CASE("sessions leaving many audiences: frames keep the audiences' order, or go by last chunk") {
    for (const bool by_last : {false, true}) {
        CAPTURE(by_last);
        SessionConfig sc = chunked(1);
        if (by_last) sc.ops_compact_from = 0;
        Harness h({}, sc);
        fill(h, 1, 14);
        // session s alone on row s: ten audiences, made in order 1..10
        for (std::uint64_t s = 1; s <= 10; ++s) {
            const std::uint32_t row = static_cast<std::uint32_t>(s);
            REQUIRE(h.subscribe(s, 0, {{row, row}}) == Error::ok);
        }
        h.take();
        std::vector<std::vector<std::uint64_t>> order;
        h.hook = [&](const roster_frame&, std::span<const std::uint64_t> ids) {
            order.emplace_back(ids.begin(), ids.end());
        };
        using Got = std::vector<std::vector<std::uint64_t>>;
        // Removing member 14 (the last row) changes the counts of every
        // session's frame: one frame per audience.
        int next = 14;
        auto delivered = [&] {
            order.clear();
            REQUIRE(h.remove(static_cast<std::uint64_t>(next--)) == Error::ok);
            h.take();
            return order;
        };
        // five of ten leave: holes, not yet closed
        for (std::uint64_t s : {2, 4, 5, 7, 9}) REQUIRE(h.remove_session(s) == Error::ok);
        CHECK(delivered() == Got{{1}, {3}, {6}, {8}, {10}});
        // a sixth: the holes are closed
        REQUIRE(h.remove_session(6) == Error::ok);
        CHECK(delivered() == Got{{1}, {3}, {8}, {10}});
        // a new audience; a session on a row held already joins that
        // row's audience, in its place
        REQUIRE(h.subscribe(11, 0, {{2, 2}}) == Error::ok);
        REQUIRE(h.subscribe(12, 0, {{8, 8}}) == Error::ok);
        h.take();
        CHECK(delivered() == (by_last ? Got{{1}, {11}, {3}, {8, 12}, {10}}
                                      : Got{{1}, {3}, {8, 12}, {10}, {11}}));
        // audiences ending on the same chunk
        REQUIRE(h.subscribe(13, 0, {{0, 0}, {8, 8}}) == Error::ok);
        REQUIRE(h.subscribe(14, 0, {{5, 5}, {8, 8}}) == Error::ok);
        REQUIRE(h.subscribe(15, 0, {{1, 1}, {8, 8}}) == Error::ok);
        h.take();
        CHECK(delivered() == (by_last ? Got{{1}, {11}, {3}, {8, 12}, {13}, {14}, {15}, {10}}
                                      : Got{{1}, {3}, {8, 12}, {10}, {11}, {13}, {14}, {15}}));
        // the one made first and another leave: the others keep their places
        REQUIRE(h.remove_session(8) == Error::ok);
        REQUIRE(h.remove_session(12) == Error::ok);
        REQUIRE(h.remove_session(14) == Error::ok);
        CHECK(delivered() == (by_last ? Got{{1}, {11}, {3}, {13}, {15}, {10}}
                                      : Got{{1}, {3}, {10}, {11}, {13}, {15}}));
        h.hook = {};
        CHECK(h.engine().session_count() == 6);
        CLEAN(h);
    }
}

TEST_CASE("subscribe and remove_session: limits and bad input change nothing") {
    SessionConfig sc = chunked(5);
    sc.max_ranges = 2;
    sc.max_span = 10;
    sc.max_lists = 2;
    sc.max_sessions = 2;
    Harness h({}, sc);
    fill(h, 1, 12);
    REQUIRE(h.event([](Guild& g) { return g.set_list(7, {}); }) == Error::ok);
    REQUIRE(h.event([](Guild& g) { return g.set_list(8, {}); }) == Error::ok);
    REQUIRE(h.subscribe(1, 0, {{0, 4}}) == Error::ok);
    REQUIRE(h.subscribe(1, 7, {{0, 9}}) == Error::ok);  // a span of exactly max_span
    h.take();

    CHECK(h.subscribe(0, 0, {{0, 4}}) == Error::invalid);
    CHECK(h.subscribe(1, 99, {{0, 4}}) == Error::not_found);
    CHECK(h.subscribe(2, 99, {{0, 4}}) == Error::not_found);
    CHECK(h.subscribe(1, 0, {{0, 1}, {5, 6}, {10, 11}}) == Error::limit);  // 3 ranges > 2
    CHECK(h.subscribe(1, 0, {{0, 10}}) == Error::limit);                   // 11 rows > 10
    CHECK(h.subscribe(1, 0, {{10, 0}}) == Error::limit);                   // reversed, too
    CHECK(h.subscribe(1, 0, {{0, std::numeric_limits<std::uint32_t>::max()}}) == Error::limit);
    CHECK(h.subscribe(1, 8, {{0, 4}}) == Error::limit);  // a third list
    REQUIRE(h.subscribe(2, 0, {{5, 9}}) == Error::ok);
    h.take();
    CHECK(h.subscribe(3, 0, {{0, 4}}) == Error::limit);  // a third session
    CHECK(h.remove_session(0) == Error::invalid);
    CHECK(h.remove_session(42) == Error::not_found);
    roster::Vec<Range> r;
    CHECK(h.engine().session_ranges(42, 0, &r) == Error::not_found);
    NO_FRAMES(h);
    CHECK(h.engine().session_count() == 2);
    REQUIRE(h.engine().session_ranges(1, 0, &r) == Error::ok);
    CHECK(r == roster::Vec<Range>{{0, 4}});
    // The state is intact: a change reaches both sessions as before.
    REQUIRE(h.touch(1) == Error::ok);
    FRAMES(h, "s1 L0 12/12 {on:12} UPDATE 1 1@on", "s1 L7 12/12 {on:12} UPDATE 1 1@on");
    // Replacing a subscription is not a new list; a removed session frees its slot.
    CHECK(h.subscribe(1, 0, {{5, 9}}) == Error::ok);
    CHECK(h.remove_session(2) == Error::ok);
    CHECK(h.subscribe(3, 0, {{0, 4}}) == Error::ok);
    CHECK(h.invariants());
    CLEAN(h);
}

TEST_CASE("absurd ranges near UINT32_MAX do not wrap") {
    Harness h({}, chunked(100));
    fill(h, 1, 3);
    const std::uint32_t top = std::numeric_limits<std::uint32_t>::max();
    const roster::Range r{top - 1, top};
    const Error e = h.engine().subscribe(1, 0, std::span<const Range>(&r, 1));
    CHECK((e == Error::ok || e == Error::limit || e == Error::invalid));
    h.take();
    if (e == Error::ok) {
        roster::Vec<Range> got;
        REQUIRE(h.engine().session_ranges(1, 0, &got) == Error::ok);
        REQUIRE(got.size() == 1);
        CHECK(got[0].start <= top - 1);
        CHECK(got[0].end == top);
        CHECK(got[0].start <= got[0].end);
        REQUIRE(h.engine().remove_session(1) == Error::ok);
    }
    CHECK(h.invariants());
}

}  // TEST_SUITE
