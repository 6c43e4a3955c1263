// A guild with sessions: the unit the C API hands out (docs/model.md §9–§10, docs/frames.md).
//
// Engine owns a Guild and the sessions subscribed to its lists. Every
// mutation goes through apply(), which refuses to run from inside the frame
// sink (busy) and flushes when no batch is open: the lists' change logs are
// turned into frames (subscriptions.hpp) and handed to the sink.
//
// Thread-safety: none; one thread at a time per engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "guild.hpp"
#include "roster/roster.h"

namespace roster {

struct SessionConfig {
    std::uint32_t chunk = 100;        // rows per chunk
    std::uint32_t max_ranges = 3;     // per subscription
    std::uint32_t max_span = 300;     // rows per range before widening
    std::uint32_t max_lists = 5;      // lists per session
    std::uint32_t max_sessions = 1u << 20;
    // Rows that leave the end of the list inside a held chunk get a DELETE,
    // for clients that never resize their rows (docs/frames.md §10).
    bool tail_deletes = false;
    // Tuning of a flush, not behaviour (tests set them low, so that small
    // lists take the paths large ones do): kept chunks refreshed a block
    // at a time, and the ops and items (24 bytes each) a flush holds
    // before it drops those every holder has had.
#if defined(ROSTER_REFRESH_BLOCK) && defined(ROSTER_OPS_COMPACT_FROM)
    std::uint32_t refresh_block = ROSTER_REFRESH_BLOCK;
    std::uint32_t ops_compact_from = ROSTER_OPS_COMPACT_FROM;
#else
    std::uint32_t refresh_block = 64;
    std::uint32_t ops_compact_from = 32768;
#endif
};

struct Range {
    std::uint32_t start = 0;
    std::uint32_t end = 0;  // inclusive
    friend bool operator==(const Range&, const Range&) = default;
};

// Receives one frame (C ABI structs, valid during the call) for the
// sessions in the span.
using FrameSink = std::function<void(const roster_frame&, std::span<const std::uint64_t>)>;

class Subscriptions;

class Engine {
public:
    explicit Engine(const GuildConfig& guild = GuildConfig{},
                    const SessionConfig& sessions = SessionConfig{});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    const Guild& guild() const { return guild_; }
    const SessionConfig& session_config() const;

    // The sink; an empty function drops frames. busy inside the sink.
    Error set_sink(FrameSink sink);

    // Runs f(Guild&) -> Error. busy inside the sink; on success outside a
    // batch, flushes (flush_failed: the change stands, its frames come at
    // the next flush; see Subscriptions::flush).
    template <class F>
    Error apply(F&& f) {
        if (delivering_) return Error::busy;
        dirty_ = true;
        Error e = f(guild_);
        if (e == Error::ok && depth_ == 0) e = flush();
        return e;
    }

    Error begin();
    Error commit();
    // Ends the batch level a call opened for itself (begin): like commit(),
    // but a call that changed nothing does not flush, so that a failing
    // call delivers nothing either (not even frames still owed after an
    // earlier flush_failed; the next flush sends those).
    Error commit_call(bool changed);
    // Delivers what is pending now (after flush_failed: the frames that
    // resynchronise the sessions). invalid inside a batch, busy in the sink.
    Error flush_now();
    std::uint32_t batch_depth() const { return depth_; }

    // Replaces the session's subscription to list_id (created on first
    // use); no ranges unsubscribes. See roster_session_subscribe.
    Error subscribe(std::uint64_t session, std::uint64_t list_id, std::span<const Range> ranges);
    Error remove_session(std::uint64_t session);
    // Normalised ranges (whole chunks, adjacent merged); empty when not
    // subscribed; not_found for an unknown session.
    Error session_ranges(std::uint64_t session, std::uint64_t list_id,
                         Vec<Range>* out) const;
    std::size_t session_count() const;

    // ---- operator statistics (roster_guild_stats)
    // The C struct, size set to its own. O(lists + audiences); with
    // estimate_memory, plus an O(n) estimate of the memory from the sizes
    // of the structures (the C API reports its heap's exact count instead,
    // heap.hpp).
    roster_stats stats(bool estimate_memory = true) const;

    // ---- snapshot (docs/snapshot.md)
    // Writes the guild (and with `sessions` every session, its
    // subscriptions and what its client holds) to w: the header, then the
    // sections. Flushes first, so that what is written is what the clients
    // have: invalid inside a batch, busy inside the sink, and the flush's
    // own error. io when w's callback refused bytes.
    Error save(snapshot::Writer& w, bool sessions);
    // A snapshot is read in two steps: the header and the settings, which
    // give the configs to construct the loaded engine with (the limits come
    // from the host: `guild` and `sessions` hold them on entry and receive
    // the snapshot's settings), then everything else into that new engine.
    static Error load_settings(snapshot::Reader& r, GuildConfig* guild, SessionConfig* sessions,
                               bool* with_sessions);
    // On an error the engine must be destroyed.
    Error load(snapshot::Reader& r, bool with_sessions);

    // Structural check for tests: subscription bookkeeping, chunk caches
    // equal to the list's current rows (between flushes), guild invariants.
    bool check_invariants(std::string* why) const;

private:
    Error flush();

    Guild guild_;
    Box<Subscriptions> subs_;
    std::uint32_t depth_ = 0;
    bool delivering_ = false;
    // Something may be owed to the sessions: a call changed the guild or a
    // subscription since the last flush that succeeded. save() flushes
    // only then (a flush with nothing to send still allocates, and a
    // snapshot must not fail for that).
    bool dirty_ = false;
    std::uint64_t flushes_ = 0, last_flush_ns_ = 0, max_flush_ns_ = 0;
    friend class Subscriptions;
};

}  // namespace roster
