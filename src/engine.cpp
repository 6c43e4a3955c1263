#include "engine.hpp"

#include "subscriptions.hpp"

namespace roster {

Engine::Engine(const GuildConfig& guild, const SessionConfig& sessions)
    : guild_(guild), subs_(std::make_unique<Subscriptions>(*this, sessions)) {}

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
    Error e = subs_->subscribe(session, list_id, ranges);
    if (e == Error::ok && depth_ == 0 && !inside) e = flush();
    return e;
}

Error Engine::remove_session(std::uint64_t session) { return subs_->remove_session(session); }

Error Engine::session_ranges(std::uint64_t session, std::uint64_t list_id,
                             std::vector<Range>* out) const {
    return subs_->session_ranges(session, list_id, out);
}

std::size_t Engine::session_count() const { return subs_->session_count(); }

Error Engine::flush() { return subs_->flush(); }

bool Engine::check_invariants(std::string* why) const {
    if (!guild_.check_invariants(why)) return false;
    return subs_->check_invariants(why);
}

}  // namespace roster
