// Drives a roster::Engine and checks every frame it emits against client
// replicas (examples/sim/replica.hpp), for the hand-written and the
// randomized fidelity tests.
//
// Every call that can flush goes through the harness, so it knows where a
// flush starts and ends. During a flush the sink applies each frame to the
// replica of each (session, list) it is for and checks the frame's own
// rules (clipping, one frame per session and list, lists ascending, no
// frame without news). After the flush every subscribed range of every
// session is compared with the guild's true rows, and each member row with
// the stamp of the member's latest change. With flat clients on, every
// (session, list) also has a replica that never resizes (docs/frames.md
// §10), held to the same rows and to holding nothing past the list's end.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine.hpp"
#include "replica.hpp"
#include "snapshot_io.hpp"

namespace fid {

using roster::Engine;
using roster::Error;
using roster::Guild;
using roster::Range;
using roster::Status;

inline roster_row to_c(const roster::Row& r) {
    return roster_row{r.header() ? ROSTER_ROW_HEADER : ROSTER_ROW_MEMBER, r.header() ? r.count : 0u,
                      r.group, r.header() ? 0u : r.user};
}

inline std::string ranges_text(std::span<const roster_range> rs) {
    std::string s;
    for (const roster_range& r : rs)
        s.append("[").append(std::to_string(r.start)).append(",").append(std::to_string(r.end))
            .append("]");
    return s.empty() ? "none" : s;
}

class Harness {
public:
    using Hook = std::function<void(const roster_frame&, std::span<const std::uint64_t>)>;

    explicit Harness(const roster::GuildConfig& g = {}, const roster::SessionConfig& s = {})
        : engine_(std::make_unique<Engine>(g, s)) {
        set_sink();
    }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    // The engine under test: another one after each handoff().
    Engine& engine() { return *engine_; }
    const Engine& engine() const { return *engine_; }
    // Called after each frame has been applied and checked: lets a test act
    // from inside the sink.
    Hook hook;
    // Frames are also kept as text (see take()) unless this is cleared.
    bool record = true;
    // Prefixed to failure messages (e.g. the seed and event number).
    std::string context;
    // Also keep, and check, a client that never resizes per (session,
    // list). Set before the first frame.
    bool flat_clients = false;

    bool ok() const { return failures_.empty(); }
    std::string report() const {
        std::string s;
        for (const std::string& f : failures_) s += f + "\n";
        return s;
    }

    // The frames recorded since the last take(), sorted, each as
    // "s<ids> " + sim::describe(frame).
    std::vector<std::string> take() {
        std::vector<std::string> out;
        out.swap(recorded_);
        std::sort(out.begin(), out.end());
        return out;
    }

    // ---- guild events: `changed` are the members whose data the event
    // changes (for the latest-data rule).
    template <class F>
    Error event(F&& f, std::span<const std::uint64_t> changed) {
        const bool outer = start_call();
        ++stamp_;
        const Error e = engine().apply(f);
        mirror(e, f);
        if (e == Error::ok)
            for (std::uint64_t m : changed) latest_[m] = stamp_;
        end_call(outer, e);
        return e;
    }
    template <class F>
    Error event(F&& f, std::initializer_list<std::uint64_t> changed = {}) {
        return event(std::forward<F>(f), std::span<const std::uint64_t>(changed.begin(), changed.size()));
    }

    Error add(std::uint64_t id, std::string name, std::vector<std::uint64_t> roles = {},
              Status st = Status::online) {
        return event([&](Guild& g) { return g.upsert_member(id, name, roles, st, false); }, {id});
    }
    Error remove(std::uint64_t id) {
        return event([&](Guild& g) { return g.remove_member(id); });
    }
    Error status(std::uint64_t id, Status st) {
        return event([&](Guild& g) { return g.set_status(id, st); }, {id});
    }
    Error rename(std::uint64_t id, std::string name) {
        return event([&](Guild& g) { return g.set_name(id, name); }, {id});
    }
    Error touch(std::uint64_t id) {
        return event([&](Guild& g) { return g.touch(id); }, {id});
    }
    Error remove_list(std::uint64_t list) {
        const bool outer = start_call();
        ++stamp_;
        const auto saved = subs_;
        for (auto& [s, lists] : subs_) {
            lists.erase(list);  // the subscription is dropped
            touched_.insert({s, list});
        }
        auto f = [&](Guild& g) { return g.remove_list(list); };
        const Error e = engine().apply(f);
        mirror(e, f);
        if (e != Error::ok) subs_ = saved;
        end_call(outer, e);
        return e;
    }

    // ---- sessions
    // The model changes before the call: the frames it flushes must already
    // be judged by the new subscription. A rejected call restores it.
    Error subscribe(std::uint64_t session, std::uint64_t list, roster::Vec<Range> ranges) {
        const bool outer = start_call();
        const auto saved = subs_;
        touched_.insert({session, list});
        auto& lists = subs_[session];
        if (ranges.empty()) {
            lists.erase(list);
            if (flushing_) {
                // Its INVALIDATE frame is due within this same flush.
                seen_.erase({session, list});
                unordered_flush_ = true;
            }
        } else {
            std::vector<roster_range> raw;
            for (const Range& r : ranges) raw.push_back({r.start, r.end});
            lists[list] = sim::normalise_ranges(raw, engine().session_config().chunk);
        }
        const Error e = engine().subscribe(session, list, ranges);
        if (e != Error::ok) subs_ = saved;
        end_call(outer, e);
        return e;
    }
    Error remove_session(std::uint64_t session) {
        const bool outer = start_call();
        const auto saved = subs_;
        subs_.erase(session);
        const Error e = engine().remove_session(session);
        if (e == Error::ok) {
            for (auto it = replicas_.begin(); it != replicas_.end();)
                it = it->first.first == session ? replicas_.erase(it) : std::next(it);
            for (auto it = flat_.begin(); it != flat_.end();)
                it = it->first.first == session ? flat_.erase(it) : std::next(it);
        } else {
            subs_ = saved;
        }
        end_call(outer, e);
        return e;
    }

    // ---- hand-off (docs/snapshot.md)
    // Saves the engine with its sessions, destroys it and goes on with the
    // one loaded from the bytes. Nothing may be delivered by either step;
    // the replicas are kept: the clients must not notice. Returns the
    // snapshot's size (0 on failure, reported).
    std::size_t handoff() {
        std::vector<unsigned char> bytes;
        roster::snapshot::Writer w(
            [](void* u, const void* d, std::size_t n) {
                auto* v = static_cast<std::vector<unsigned char>*>(u);
                v->insert(v->end(), static_cast<const unsigned char*>(d),
                          static_cast<const unsigned char*>(d) + n);
                return true;
            },
            &bytes);
        const std::uint64_t frames_before = frames_;
        if (const Error e = engine().save(w, true); e != Error::ok) {
            fail(std::string("save: ") + roster::error_name(e));
            return 0;
        }
        if (frames_ != frames_before) fail("save delivered frames");
        roster::GuildConfig gc = engine().guild().config();
        roster::SessionConfig sc = engine().session_config();
        roster::snapshot::Reader r(bytes);
        bool with_sessions = false;
        Error e = Engine::load_settings(r, &gc, &sc, &with_sessions);
        auto loaded = e == Error::ok ? std::make_unique<Engine>(gc, sc) : nullptr;
        if (loaded) e = loaded->load(r, with_sessions);
        if (e != Error::ok || !with_sessions) {
            fail(std::string("load: ") + roster::error_name(e));
            return 0;
        }
        engine_ = std::move(loaded);
        set_sink();
        ++handoffs_;
        invariants();
        verify();
        return bytes.size();
    }
    std::uint64_t handoffs() const { return handoffs_; }

    // ---- the twin: a Guild fed the same guild events, never moved, whose
    // lists must equal the engine's after every flush (lists 0..max_list).
    void attach_twin(std::uint64_t max_list) {
        twin_ = std::make_unique<Guild>(engine().guild().config());
        twin_lists_ = max_list;
    }

    Error begin() {
        const Error e = engine().begin();
        if (e == Error::ok) ++depth_;
        return e;
    }
    Error commit() {
        const bool outer = depth_ == 1 && !flushing_;
        if (outer) start_flush();
        const Error e = engine().commit();
        if (e == Error::ok && depth_ > 0) --depth_;
        if (outer) {
            end_flush();
            if (e == Error::ok) verify();
        }
        return e;
    }
    std::uint32_t depth() const { return depth_; }

    bool invariants() {
        std::string why;
        if (!engine().check_invariants(&why)) {
            fail("check_invariants: " + why);
            return false;
        }
        return true;
    }

    // The model: the normalised ranges each session holds per list.
    const std::map<std::uint64_t, std::map<std::uint64_t, std::vector<roster_range>>>& subs() const {
        return subs_;
    }
    bool has_session(std::uint64_t s) const { return subs_.count(s) != 0; }
    const sim::Replica* replica(std::uint64_t session, std::uint64_t list) const {
        auto it = replicas_.find({session, list});
        return it == replicas_.end() ? nullptr : &it->second;
    }
    // The client that does not resize (flat_clients), or nullptr.
    const sim::Replica* flat_replica(std::uint64_t session, std::uint64_t list) const {
        auto it = flat_.find({session, list});
        return it == flat_.end() ? nullptr : &it->second;
    }
    std::uint64_t frames() const { return frames_; }
    std::uint64_t ops() const { return ops_; }
    std::uint64_t flushes() const { return flushes_; }
    std::uint64_t stray_frames() const { return stray_frames_; }
    // Ops seen by kind (ROSTER_OP_*; [5] counts unknown kinds), and chunks
    // re-sent as INVALIDATE + SYNC of the same range.
    const std::uint64_t* op_kinds() const { return op_kinds_; }
    std::uint64_t resends() const { return resends_; }

    void fail(const std::string& what) {
        if (failures_.size() < 20) failures_.push_back(context + (context.empty() ? "" : ": ") + what);
    }

    // Compares every subscribed range of every session with the guild.
    void verify() {
        if (twin_) compare_twin();
        const Guild& g = engine().guild();
        if (engine().session_count() != subs_.size())
            fail("session_count " + std::to_string(engine().session_count()) + ", expected " +
                 std::to_string(subs_.size()));
        truth_.clear();
        const sim::LatestFn latest = [this](std::uint64_t user) -> std::uint64_t {
            auto it = latest_.find(user);
            return it == latest_.end() ? 0 : it->second;
        };
        for (const auto& [s, lists] : subs_) {
            for (const auto& [l, chunks] : lists) {
                const std::string who = "session " + std::to_string(s) + " list " + std::to_string(l);
                roster::Vec<Range> got;
                if (engine().session_ranges(s, l, &got) != Error::ok) {
                    fail(who + ": session_ranges failed");
                    continue;
                }
                std::vector<roster_range> got_c;
                for (const Range& r : got) got_c.push_back({r.start, r.end});
                if (ranges_text(got_c) != ranges_text(chunks))
                    fail(who + ": session_ranges " + ranges_text(got_c) + ", expected " +
                         ranges_text(chunks));
                const sim::Replica* rep = replica(s, l);
                if (!rep) {
                    fail(who + ": subscribed but never received a frame");
                    continue;
                }
                std::uint32_t mc = 0, oc = 0;
                roster::Vec<roster::GroupCount> gs;
                if (g.counts(l, &mc, &oc) != Error::ok || g.groups(l, &gs) != Error::ok) {
                    fail(who + ": subscribed to a list the guild does not have");
                    continue;
                }
                std::vector<roster_group> gc;
                for (const auto& x : gs) gc.push_back({x.id, x.count});
                if (std::string d = rep->check_counts(mc, oc, gc); !d.empty()) fail(who + ": " + d);
                for (const roster_range& r : chunks) {
                    const std::vector<roster_row>& rows = truth(l, r);
                    if (std::string d = rep->check_range(r, rows, latest); !d.empty())
                        fail(who + " " + ranges_text(chunks) + ": " + d);
                }
                if (!flat_clients) continue;
                const sim::Replica* flat = flat_replica(s, l);
                if (!flat) {
                    fail(who + ": no client that does not resize");
                    continue;
                }
                if (std::string d = flat->check_counts(mc, oc, gc); !d.empty())
                    fail(who + " (does not resize): " + d);
                for (const roster_range& r : chunks)
                    if (std::string d = flat->check_range(r, truth(l, r), latest); !d.empty())
                        fail(who + " (does not resize) " + ranges_text(chunks) + ": " + d);
            }
        }
    }

private:
    void set_sink() {
        const Error e = engine().set_sink(
            [this](const roster_frame& f, std::span<const std::uint64_t> ids) { on_frame(f, ids); });
        if (e != Error::ok) fail("set_sink failed");
    }
    // The twin takes the event the engine took (busy: the engine did not
    // run it, from inside the sink) and must answer the same.
    template <class F>
    void mirror(Error e, F& f) {
        if (!twin_ || e == Error::busy) return;
        const Error t = f(*twin_);
        if (t != e)
            fail(std::string("the twin answered ") + roster::error_name(t) + ", the engine " +
                 roster::error_name(e));
    }
    void compare_twin() {
        const Guild& a = engine().guild();
        const Guild& b = *twin_;
        if (a.member_total() != b.member_total()) fail("twin: member totals differ");
        for (std::uint64_t l = 0; l <= twin_lists_; ++l) {
            if (a.has_list(l) != b.has_list(l)) {
                fail("twin: list " + std::to_string(l) + " exists in one only");
                continue;
            }
            if (!a.has_list(l)) continue;
            std::uint32_t na = 0, nb = 0, ma = 0, mb = 0, oa = 0, ob = 0;
            a.list_length(l, &na);
            b.list_length(l, &nb);
            a.counts(l, &ma, &oa);
            b.counts(l, &mb, &ob);
            roster::Vec<roster::Row> ra, rb;
            if (na) a.rows(l, 0, na - 1, &ra);
            if (nb) b.rows(l, 0, nb - 1, &rb);
            bool same = na == nb && ma == mb && oa == ob && ra.size() == rb.size();
            for (std::size_t i = 0; same && i < ra.size(); ++i)
                same = ra[i].group == rb[i].group && ra[i].user == rb[i].user &&
                       ra[i].count == rb[i].count && ra[i].rev == rb[i].rev;
            if (!same) fail("twin: list " + std::to_string(l) + " differs");
        }
    }

    // True when this call is the outermost one and will flush.
    bool start_call() {
        const bool outer = !flushing_ && depth_ == 0;
        if (outer) start_flush();
        return outer;
    }
    void end_call(bool outer, Error e) {
        if (!outer) return;
        end_flush();
        if (e != Error::ok && frames_this_flush_ != 0)
            fail("a rejected call (" + std::string(roster::error_name(e)) + ") emitted frames");
        verify();
    }
    void start_flush() {
        flushing_ = true;
        seen_.clear();
        last_list_ = 0;
        frames_this_flush_ = 0;
        unordered_flush_ = false;
    }
    void end_flush() {
        flushing_ = false;
        touched_.clear();
        ++flushes_;
    }

    void on_frame(const roster_frame& f, std::span<const std::uint64_t> ids) {
        ++frames_;
        ++frames_this_flush_;
        ops_ += f.op_count;
        for (std::size_t k = 0; k < f.op_count; ++k) {
            ++op_kinds_[std::min<std::uint32_t>(f.ops[k].kind, 5)];
            if (k > 0 && f.ops[k].kind == ROSTER_OP_SYNC && f.ops[k - 1].kind == ROSTER_OP_INVALIDATE &&
                f.ops[k].index == f.ops[k - 1].index && f.ops[k].end == f.ops[k - 1].end)
                ++resends_;
        }
        const std::string text = sim::describe(f);
        const std::string what = "frame " + text;
        if (!flushing_) fail("frame outside a flush (inside a batch?): " + what);
        if (ids.empty()) fail("frame for no session: " + what);
        if (!unordered_flush_ && f.list_id < last_list_) fail("lists out of order: " + what);
        last_list_ = f.list_id;
        std::vector<std::uint64_t> sorted(ids.begin(), ids.end());
        std::sort(sorted.begin(), sorted.end());
        if (record) {
            std::string who = "s";
            for (std::size_t i = 0; i < sorted.size(); ++i)
                who.append(i ? "," : "").append(std::to_string(sorted[i]));
            recorded_.push_back(who + " " + text);
        }
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            const std::uint64_t s = sorted[i];
            const std::string who = "session " + std::to_string(s) + " ";
            if (i > 0 && sorted[i - 1] == s) fail(who + "named twice: " + what);
            auto sit = subs_.find(s);
            if (sit == subs_.end()) {
                fail(who + "is unknown or removed: " + what);
                continue;
            }
            if (!seen_.insert({s, f.list_id}).second) fail(who + "got a second frame this flush: " + what);
            static const std::vector<roster_range> none;
            auto lit = sit->second.find(f.list_id);
            const std::vector<roster_range>& chunks = lit == sit->second.end() ? none : lit->second;
            auto rit = replicas_.find({s, f.list_id});
            if (rit == replicas_.end()) {
                // Neither held nor wanted: harmless if it carries no rows
                // (a subscription made and dropped within one batch), but
                // worth counting.
                if (chunks.empty()) ++stray_frames_;
                rit = replicas_.emplace(std::make_pair(s, f.list_id), sim::Replica{}).first;
            }
            for (std::size_t k = 0; k < f.op_count; ++k) {
                const roster_op& op = f.ops[k];
                if (op.kind != ROSTER_OP_SYNC) continue;
                const bool inside = std::any_of(chunks.begin(), chunks.end(), [&](const roster_range& r) {
                    return r.start <= op.index && op.end <= r.end;
                });
                if (!inside) fail(who + ranges_text(chunks) + ": a SYNC outside its ranges: " + what);
            }
            sim::Replica& rep = rit->second;
            if (flat_clients) {
                auto fit = flat_.try_emplace({s, f.list_id}, false).first;
                if (std::string d = fit->second.apply(f, stamp_); !d.empty())
                    fail(who + "malformed frame for a client that does not resize: " + d + " in " + what);
            }
            // A session that kept its subscription since the last flush has
            // the list's previous counts, so a frame without ops must bring
            // new ones. (One that changed its subscription may get a
            // counts-only frame after a long gap: news to the list, not to it.)
            if (f.op_count == 0 && rep.frames() > 0 && !chunks.empty() && !touched_.count({s, f.list_id}) &&
                no_news(rep, f))
                fail(who + "got a frame with no ops and no new counts: " + what);
            if (std::string d = sim::check_clipping(f, chunks); !d.empty())
                fail(who + ranges_text(chunks) + ": " + d + " in " + what);
            if (std::string d = rep.apply(f, stamp_); !d.empty()) fail(who + "malformed frame: " + d + " in " + what);
        }
        if (hook) hook(f, ids);
    }

    static bool no_news(const sim::Replica& rep, const roster_frame& f) {
        if (rep.member_count() != f.member_count || rep.online_count() != f.online_count ||
            rep.groups().size() != f.group_count)
            return false;
        for (std::size_t i = 0; i < f.group_count; ++i)
            if (rep.groups()[i].id != f.groups[i].id || rep.groups()[i].count != f.groups[i].count)
                return false;
        return true;
    }

    const std::vector<roster_row>& truth(std::uint64_t list, const roster_range& r) {
        auto key = std::make_tuple(list, r.start, r.end);
        auto it = truth_.find(key);
        if (it != truth_.end()) return it->second;
        roster::Vec<roster::Row> rows;
        std::vector<roster_row> out;
        if (engine().guild().rows(list, r.start, r.end, &rows) != Error::ok)
            fail("guild rows failed for list " + std::to_string(list));
        out.reserve(rows.size());
        for (const roster::Row& x : rows) out.push_back(to_c(x));
        return truth_.emplace(key, std::move(out)).first->second;
    }

    std::map<std::uint64_t, std::map<std::uint64_t, std::vector<roster_range>>> subs_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, sim::Replica> replicas_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, sim::Replica> flat_;  // flat_clients
    std::unordered_map<std::uint64_t, std::uint64_t> latest_;
    std::map<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>, std::vector<roster_row>> truth_;
    std::set<std::pair<std::uint64_t, std::uint64_t>> seen_;
    // (session, list) whose subscription changed since the last flush.
    std::set<std::pair<std::uint64_t, std::uint64_t>> touched_;
    std::vector<std::string> recorded_;
    std::vector<std::string> failures_;
    std::uint64_t stamp_ = 0;
    std::uint64_t last_list_ = 0;
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<Guild> twin_;
    std::uint64_t twin_lists_ = 0;
    std::uint64_t handoffs_ = 0;
    std::uint64_t frames_ = 0, ops_ = 0, flushes_ = 0, frames_this_flush_ = 0, stray_frames_ = 0;
    std::uint64_t op_kinds_[6] = {};
    std::uint64_t resends_ = 0;
    std::uint32_t depth_ = 0;
    bool flushing_ = false;
    bool unordered_flush_ = false;
};

}  // namespace fid
