#include "engine.hpp"

#include "snapshot_io.hpp"

#include <chrono>
#include "subscriptions.hpp"

namespace roster {

Engine::Engine(const GuildConfig& guild, const SessionConfig& sessions)
    : guild_(guild), subs_(make_box<Subscriptions>(*this, sessions)) {}

Engine::~Engine() = default;

const SessionConfig& Engine::session_config() const { return subs_->config(); }

Error Engine::set_sink(FrameSink sink) {
    if (delivering_) return Error::busy;
    subs_->set_sink(std::move(sink));
    return Error::ok;
}

Error Engine::begin() {
    if (delivering_) return Error::busy;
    if (depth_ == UINT32_MAX) return Error::limit;
    ++depth_;
    return Error::ok;
}

Error Engine::commit() { return commit_call(true); }

Error Engine::commit_call(bool changed) {
    if (delivering_) return Error::busy;
    if (depth_ == 0) return Error::invalid;
    if (--depth_ == 0 && changed) return flush();
    return Error::ok;
}

Error Engine::flush_now() {
    if (delivering_) return Error::busy;
    if (depth_ != 0) return Error::invalid;
    return flush();
}

Error Engine::subscribe(std::uint64_t session, std::uint64_t list_id,
                        std::span<const Range> ranges) {
    const bool inside = delivering_;
    dirty_ = true;
    Error e = subs_->subscribe(session, list_id, ranges);
    if (e == Error::ok && depth_ == 0 && !inside) e = flush();
    return e;
}

Error Engine::remove_session(std::uint64_t session) {
    dirty_ = true;  // its lists' bookkeeping is swept at the next flush
    return subs_->remove_session(session);
}

Error Engine::session_ranges(std::uint64_t session, std::uint64_t list_id,
                             Vec<Range>* out) const {
    return subs_->session_ranges(session, list_id, out);
}

std::size_t Engine::session_count() const { return subs_->session_count(); }

Error Engine::flush() {
    const auto t0 = std::chrono::steady_clock::now();
    const Error e = subs_->flush();
    const auto ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    ++flushes_;
    last_flush_ns_ = ns;
    if (ns > max_flush_ns_) max_flush_ns_ = ns;
    if (e == Error::ok) dirty_ = false;
    return e;
}

roster_stats Engine::stats(bool estimate_memory) const {
    roster_stats s{};
    s.size = sizeof s;
    s.members = guild_.member_total();
    s.lists = guild_.list_count();
    s.sessions = static_cast<std::uint32_t>(subs_->session_count());
    s.subscriptions = subs_->audience_count();
    s.chunks_held = subs_->held_chunk_count();
    if (estimate_memory)
        s.memory_bytes = sizeof(Engine) + sizeof(Subscriptions) + guild_.memory_bytes() +
                         subs_->memory_bytes();
    const Subscriptions::Counters& c = subs_->counters();
    s.frames = c.frames;
    s.deliveries = c.deliveries;
    s.ops = c.ops;
    s.rows = c.rows;
    s.flushes = flushes_;
    s.last_flush_ns = last_flush_ns_;
    s.max_flush_ns = max_flush_ns_;
    return s;
}

// ---------------------------------------------------------------- snapshot --

Error Engine::save(snapshot::Writer& w, bool sessions) {
    if (delivering_) return Error::busy;
    if (depth_ != 0) return Error::invalid;
    // Everything the writing needs is allocated before the flush: a save
    // that runs out of memory has then delivered nothing. (The flush
    // changes no role or overwrite, and its sink may only remove sessions.)
    w.reserve();
    Guild::SaveScratch overwrites;
    guild_.reserve_save(overwrites);
    Subscriptions::SaveScratch order;
    if (sessions) order.reserve(subs_->session_count());
    if (dirty_)
        if (Error e = flush(); e != Error::ok) return e;
    snapshot::Header h;
    h.library = ROSTER_VERSION_MAJOR << 16 | ROSTER_VERSION_MINOR << 8 | ROSTER_VERSION_PATCH;
    h.flags = (sessions ? snapshot::kWithSessions : 0) |
              (subs_->config().tail_deletes ? snapshot::kTailDeletes : 0);
    w.header(h);
    w.begin(snapshot::s_settings);
    w.u32(guild_.config().offline_threshold);
    w.u8(guild_.config().everyone_view);
    w.u32(subs_->config().chunk);
    w.end();
    guild_.save(w, overwrites);
    if (sessions) subs_->save(w, order);
    return w.finish() ? Error::ok : Error::io;
}

Error Engine::load_settings(snapshot::Reader& r, GuildConfig* guild, SessionConfig* sessions,
                            bool* with_sessions) {
    snapshot::Header h;
    if (Error e = r.header(&h); e != Error::ok) return e;
    // A flag this version does not know changes what follows: a newer
    // format, not damage (the header's checksum held).
    if (h.flags & ~snapshot::kKnownFlags) return r.fail(Error::version);
    if (Error e = r.begin(snapshot::s_settings); e != Error::ok) return e;
    std::uint32_t threshold = 0, chunk = 0;
    std::uint8_t view = 0;
    r.u32(&threshold);
    r.u8(&view);
    r.u32(&chunk);
    if (!r.good()) return r.error();
    if (view > 1 || chunk == 0) return r.fail(Error::corrupt);
    if (Error e = r.end(); e != Error::ok) return e;
    guild->offline_threshold = threshold;
    guild->everyone_view = view != 0;
    sessions->chunk = chunk;
    sessions->tail_deletes = (h.flags & snapshot::kTailDeletes) != 0;
    *with_sessions = (h.flags & snapshot::kWithSessions) != 0;
    return Error::ok;
}

Error Engine::load(snapshot::Reader& r, bool with_sessions) {
    if (Error e = guild_.load(r); e != Error::ok) return e;
    if (with_sessions)
        if (Error e = subs_->load(r); e != Error::ok) return e;
    return r.finish();
}

bool Engine::check_invariants(std::string* why) const {
    if (!guild_.check_invariants(why)) return false;
    return subs_->check_invariants(why);
}

}  // namespace roster
