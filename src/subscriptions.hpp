// Sessions, their normalised ranges, and the frames a flush sends them
// (docs/frames.md). Private to Engine.
//
// Everything is per chunk. For every list, the rows of each chunk some
// session holds are cached as of the last flush: that is exactly what every
// client holding the chunk has. At a flush, each held chunk the list's
// change log may have touched is diffed (window_diff.hpp) against its new
// rows once, and every session holding it gets those same ops: a session's
// frame is the concatenation of its chunks' ops, which is sound because
// each chunk's ops leave the rows below it where they were. (A chunk that
// every holder has as its last one skips the DELETEs of rows that only
// leave at its bottom: they are pushed past every range of those holders.)
//
// Fan-out: sessions with identical chunk sets for a list form one Audience
// and get one frame, delivered with all their ids. A session whose
// subscription changed since its last frame is "pending" and gets a frame
// of its own (INVALIDATE of dropped chunks, ops of kept ones, SYNC of new
// ones) before it joins the audience of its new chunk set.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine.hpp"
#include "pod_buffer.hpp"
#include "row_map.hpp"
#include "row_window.hpp"
#include "window_plan.hpp"
#include "window_diff.hpp"

namespace roster {

class Subscriptions {
public:
    Subscriptions(Engine& engine, const SessionConfig& config);
    ~Subscriptions();

    const SessionConfig& config() const { return cfg_; }
    void set_sink(FrameSink sink) { sink_ = std::move(sink); }

    Error subscribe(std::uint64_t session, std::uint64_t list_id, std::span<const Range> ranges);
    Error remove_session(std::uint64_t session);
    Error session_ranges(std::uint64_t session, std::uint64_t list_id,
                         Vec<Range>* out) const;
    // Sessions removed inside the sink stay in sessions_ until delivery
    // ends, but are gone for the host already: one entry each in
    // deferred_removals_ (a second removal is refused).
    std::size_t session_count() const { return sessions_.size() - deferred_removals_.size(); }

    // Computes and delivers the frames of everything since the last flush.
    // Out of memory: flush_failed, with everything consistent. What was not
    // delivered goes out at the next flush: the list being flushed when
    // memory ran out re-sends every held chunk (INVALIDATE + SYNC), lists
    // not reached yet keep their change logs. Other exceptions (a throwing
    // sink) leave the same state and propagate.
    Error flush();

    bool check_invariants(std::string* why) const;

    // What has been delivered since the engine was made (roster_guild_stats).
    struct Counters {
        std::uint64_t frames = 0;      // callback invocations
        std::uint64_t deliveries = 0;  // frames x sessions
        std::uint64_t ops = 0;         // ops in delivered frames
        std::uint64_t rows = 0;        // rows (items) in delivered frames
    };
    const Counters& counters() const { return counters_; }
    // Distinct subscriptions (audiences) and held chunks, over all lists.
    std::uint64_t audience_count() const;
    std::uint64_t held_chunk_count() const;
    // Bytes the sessions' bookkeeping holds (containers' capacity; map
    // nodes estimated at their element size plus two pointers).
    std::size_t memory_bytes() const;

    // The sessions section of a snapshot (subscriptions_snapshot.cpp): every
    // session, and for every list its audiences in order, each with its
    // chunks and its sessions in order. Only between flushes, with nothing
    // pending (Engine::save flushes first). `order` is scratch for the
    // sessions sorted by id, reserved for session_count() sessions (a flush
    // never adds a session: the sink may only remove and unsubscribe), so
    // that writing allocates nothing.
    struct Session;
    using SaveScratch = Vec<const Session*>;
    void save(snapshot::Writer& w, SaveScratch& order) const;
    // Reads it into these (empty) subscriptions of a loaded guild: sessions
    // hold what they held, the chunk caches are filled from the guild's
    // rows, and nothing is sent. On an error the engine must be destroyed.
    Error load(snapshot::Reader& r);

    struct SessionList;
    struct Audience;
    struct ListSubs;
    struct Chunk;

private:
    struct Restart;
    ListSubs& list_subs(std::uint64_t list_id);
    ListSubs* find_list_subs(std::uint64_t list_id) const;
    void prepare_restart(ListSubs& ls, Restart& r);
    void restart(ListSubs& ls, Restart& r) noexcept;
    bool replace_chunks(ListSubs& ls, Session& s, SessionList& sl,
                        Vec<std::uint32_t>& chunks) noexcept;
    void leave_audience(ListSubs& ls, SessionList& sl) noexcept;
    void join_audience(ListSubs& ls, Session& s, SessionList& sl);
    void settle(ListSubs& ls, Session& s, SessionList& sl);
    void settle_pending(ListSubs& ls);
    void drop_session(Session& s) noexcept;
    bool apply_deferred();

    // One list's flush, in steps.
    void flush_list(ListSubs& ls);
    void flush_removed_list(ListSubs& ls);
    void refresh_chunk(ListSubs& ls, std::uint32_t k);
    std::pair<std::uint32_t, std::uint32_t> window(const Chunk& c) const;
    bool affected(const ListSubs& ls, const Chunk& c) const;
    void take_kept(ListSubs& ls, Chunk& c);
    // Delivery to the audiences. When every chunk's ops fit in the arenas
    // (below cfg_.ops_compact_from), once they are all done, in the order
    // the audiences were made: that order is their order in memory, which
    // a pass over thousands of cold audiences gains from. When they do not
    // fit, by last chunk, each audience as soon as its last chunk's ops
    // are done, so that the ops no one waits for can go.
    struct Delivery {
        bool on = false;             // the list changed: audiences get frames
        bool counts_changed = false;
        std::size_t next = 0;        // by last chunk: next held chunk whose audiences wait
    };
    void refresh_kept(ListSubs& ls, Delivery& d);
    void deliver_through(ListSubs& ls, Delivery& d, std::uint32_t k);
    void deliver_in_order(ListSubs& ls, const Delivery& d);
    void send_audience(ListSubs& ls, bool counts_changed, const Audience& a);
    void point_items(const Chunk& c);
    std::size_t compact_arenas();
    void refresh_full(ListSubs& ls, Chunk& c, bool kept);
    void apply_plan(Chunk& c, const WindowPlan& p);
    template <class RowOf>
    bool refiled(const WindowPlan& p, std::span<const Row> O, RowOf&& row) const;
    void emit_script(std::uint32_t s, std::span<const WindowOp> script, std::span<const Row> N);
    // Appends an op of the chunk being refreshed to the arenas.
    void add(std::uint32_t kind, std::uint32_t index, std::uint32_t end, std::span<const Row> rows);
    void add(std::uint32_t kind, std::uint32_t index, const Row& row);
    std::span<const std::uint64_t> audience_ids(const Audience& a);
    void deliver(const roster_frame& frame, std::span<const std::uint64_t> ids);
    void emit_runs(std::uint32_t kind, std::span<const std::uint32_t> chunks, ListSubs& ls);
    void emit_chunk_ops(const Chunk& c);
    template <class Chunks>
    void emit_held_ops(const Chunks& chunks);
    void emit_tail_deletes(Chunk& c, std::uint32_t s, std::uint32_t n_old);
    void send(ListSubs& ls, bool counts_changed, std::span<const std::uint64_t> ids);
    void send(ListSubs& ls, bool counts_changed, std::span<const std::uint64_t> ids,
              std::span<const roster_op> ops);

    Engine& engine_;
    SessionConfig cfg_;
    RowPool pool_;  // the chunks' cached rows (before lists_: it outlives them)
    FrameSink sink_;
    HashMap<std::uint64_t, Box<Session>> sessions_;
    Vec<Box<ListSubs>> lists_;  // ascending list id

    // Requests made from inside the sink, applied when delivery ends.
    Vec<std::uint64_t> deferred_removals_;
    Vec<std::pair<std::uint64_t, std::uint64_t>> deferred_unsubs_;  // session, list

    // Scratch, reused across flushes.
    WindowDiff differ_;
    WindowPlanner planner_;
    RowMap map_;
    Vec<std::uint32_t> touched_;  // the list's rows changed in place (Guild::take_touched)
    // Kept chunks this flush may change, by number.
    Vec<std::pair<std::uint32_t, Chunk*>> work_;
    Vec<Row> rows_;         // a chunk's new rows
    Vec<Row> fetched_;      // the rows planner_ asked for
    Vec<std::uint32_t> slot_;  // per row of a window: its index in the plan's rows
    RowWindow::Scratch window_scratch_;
    // The ops of the list's chunks (and their items, in op order), written
    // in one stream, so no chunk's own buffers go cold between computing
    // its ops and sending them. Once they pass cfg_.ops_compact_from, the
    // audiences get their frames by last chunk (see Delivery), and a chunk's ops
    // stay only while an audience that holds it (or a pending session that
    // keeps it) has not had its frame: the arenas stay near that size
    // however many chunks a flush changes (at 100k sessions all of them
    // were ~9 MB a flush, dirty in the cache, pushing out what the next
    // events read). Below 2 MiB they are malloc's blocks, which reuse
    // pages already touched: as mappings, the flushes that grew them
    // first-touched fresh pages (W2 at 1M / 10k: two flushes 0.3 ms
    // slower).
    PodBuffer<roster_op, detail::SlabMemory::huge_threshold> ops_arena_;
    PodBuffer<roster_row, detail::SlabMemory::huge_threshold> items_arena_;
    Vec<Chunk*> arena_chunks_;  // the chunks with ops in the arenas, in arena order
    Vec<roster_row> items_;      // items of the frame being built
    Vec<roster_op> ops_;         // ops of the frame being built
    // Ops of the frame whose items are in items_ (SYNC runs): op index and
    // offset of its first item, resolved once items_ stops growing. A
    // chunk's ops point into the chunk already.
    Vec<std::pair<std::size_t, std::size_t>> run_items_;
    Vec<roster_group> groups_;   // the list's groups, C layout
    Vec<std::uint64_t> ids_;
    std::uint32_t member_count_ = 0, online_count_ = 0;
    std::uint64_t list_id_ = 0;
    std::uint64_t flush_no_ = 0;
    ListSubs* flushing_ = nullptr;  // the list whose flush is under way
    Counters counters_;
};

}  // namespace roster
