// The W2 event generator: see workload.hpp.
#include "workload.hpp"

namespace sim {

namespace {

std::uint64_t splitmix(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Snowflake-like ids: 18 decimal digits, like Discord's.
constexpr std::uint64_t user_base = 300000000000000000ull;
constexpr std::uint64_t user_stride = std::uint64_t{1} << 22;
constexpr std::uint64_t role_base = 200000000000000000ull;

}  // namespace

Rng::Rng(std::uint64_t seed) {
    for (auto& w : s_) w = splitmix(seed);
}

std::uint64_t Rng::next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

int apply_event(roster_guild* guild, const Event& ev) {
    switch (ev.kind) {
    case Event::Kind::status:
        return roster_member_set_status(guild, ev.user, ev.status);
    case Event::Kind::name:
        return roster_member_set_name(guild, ev.user, ev.name, ev.name_len);
    case Event::Kind::roles:
        return roster_member_set_roles(guild, ev.user, ev.role_count ? ev.roles : nullptr,
                                       ev.role_count);
    case Event::Kind::join:
        return roster_member_add(guild, ev.user, ev.name, ev.name_len,
                                 ev.role_count ? ev.roles : nullptr, ev.role_count, ev.status);
    case Event::Kind::leave:
        return roster_member_remove(guild, ev.user);
    }
    return ROSTER_EINVAL;
}

W2::W2(std::uint64_t seed) : rng_(seed) {}

roster_role W2::role(std::uint32_t index) {
    roster_role r{};
    r.id = role_base + index + 1;
    r.position = static_cast<std::int32_t>(index + 1);
    r.flags = ROSTER_ROLE_HOIST;
    return r;
}

std::uint64_t W2::user_id(std::uint64_t ordinal) { return user_base + ordinal * user_stride; }

std::uint64_t W2::ordinal(std::uint64_t user_id) { return (user_id - user_base) / user_stride; }

// Role index + 1 in 1..20, index i drawn with weight 20 - i (position i + 1
// has weight 21 - position): low sections are common, top ones rare.
std::uint8_t W2::draw_role() {
    constexpr std::uint32_t total = role_count * (role_count + 1) / 2;  // 210
    std::uint32_t x = rng_.below(total);
    for (std::uint32_t i = 0; i < role_count; ++i) {
        const std::uint32_t w = role_count - i;
        if (x < w) return static_cast<std::uint8_t>(i + 1);
        x -= w;
    }
    return static_cast<std::uint8_t>(role_count);
}

std::int32_t W2::draw_online_status() {
    const std::uint32_t x = rng_.below(100);
    return x < 60 ? ROSTER_ONLINE : x < 85 ? ROSTER_IDLE : ROSTER_DND;
}

void W2::draw_name() {
    static constexpr char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static constexpr char others[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
    const std::uint32_t len = 3 + rng_.below(14);
    name_.resize(len);
    name_[0] = letters[rng_.below(sizeof letters - 1)];
    for (std::uint32_t i = 1; i < len; ++i) name_[i] = others[rng_.below(sizeof others - 1)];
}

// Moves a live member between online_ and offline_ as its status demands.
void W2::set_status(std::uint32_t ord, std::uint8_t status) {
    Member& m = state_[ord];
    const bool was_online = m.status != ROSTER_OFFLINE;
    const bool now_online = status != ROSTER_OFFLINE;
    if (was_online != now_online) unlink(ord);
    m.status = status;
    if (was_online == now_online) return;
    std::vector<std::uint32_t>& to = now_online ? online_ : offline_;
    m.where = static_cast<std::uint32_t>(to.size());
    to.push_back(ord);
}

// Takes a live member out of its set (swap with the last).
void W2::unlink(std::uint32_t ord) {
    Member& m = state_[ord];
    std::vector<std::uint32_t>& from = m.status != ROSTER_OFFLINE ? online_ : offline_;
    const std::uint32_t last = from.back();
    from[m.where] = last;
    state_[last].where = m.where;
    from.pop_back();
}

std::uint32_t W2::any_member() {
    const auto total = static_cast<std::uint32_t>(members());
    const std::uint32_t i = rng_.below(total);
    return i < online_.size() ? online_[i] : offline_[i - online_.size()];
}

Event W2::join() {
    const auto ord = static_cast<std::uint32_t>(state_.size());
    Member m;
    const std::uint32_t n = rng_.below(10);
    const std::size_t nroles = n < 4 ? 0 : n < 8 ? 1 : 2;
    if (nroles >= 1) m.roles[0] = draw_role();
    if (nroles == 2)
        do m.roles[1] = draw_role();
        while (m.roles[1] == m.roles[0]);
    const bool on = rng_.below(10) < 3;
    m.status = static_cast<std::uint8_t>(on ? draw_online_status() : ROSTER_OFFLINE);
    std::vector<std::uint32_t>& to = on ? online_ : offline_;
    m.where = static_cast<std::uint32_t>(to.size());
    to.push_back(ord);
    state_.push_back(m);

    draw_name();
    Event ev;
    ev.kind = Event::Kind::join;
    ev.user = user_id(ord);
    ev.status = m.status;
    ev.name = name_.data();
    ev.name_len = name_.size();
    for (std::uint8_t r : m.roles)
        if (r) ev.roles[ev.role_count++] = role(r - 1u).id;
    return ev;
}

Event W2::next() {
    const std::uint32_t x = rng_.below(100);
    if (x < 70) return status_event();
    if (x < 80) return name_event();
    if (x < 90) return roles_event();
    if (x < 95 || members() <= 1) return join();
    return leave_event();
}

Event W2::status_event() {
    std::uint32_t kind = rng_.below(3);  // 0 comes online, 1 goes offline, 2 switches
    if (online_.empty()) kind = 0;
    if (offline_.empty() && kind == 0) kind = 2;
    Event ev;
    ev.kind = Event::Kind::status;
    std::uint32_t ord;
    if (kind == 0) {
        ord = offline_[rng_.below(static_cast<std::uint32_t>(offline_.size()))];
        ev.status = draw_online_status();
    } else {
        ord = online_[rng_.below(static_cast<std::uint32_t>(online_.size()))];
        if (kind == 1) {
            ev.status = ROSTER_OFFLINE;
        } else {
            // One of the two other online statuses.
            const std::int32_t cur = state_[ord].status;
            const std::int32_t step = 1 + static_cast<std::int32_t>(rng_.below(2));
            ev.status = 1 + (cur - 1 + step) % 3;
        }
    }
    set_status(ord, static_cast<std::uint8_t>(ev.status));
    ev.user = user_id(ord);
    return ev;
}

Event W2::name_event() {
    const std::uint32_t ord = any_member();
    draw_name();
    Event ev;
    ev.kind = Event::Kind::name;
    ev.user = user_id(ord);
    ev.name = name_.data();
    ev.name_len = name_.size();
    return ev;
}

Event W2::roles_event() {
    const std::uint32_t ord = any_member();
    Member& m = state_[ord];
    const int held = (m.roles[0] != 0) + (m.roles[1] != 0);
    const bool add = held == 0 || (held == 1 && rng_.below(2) == 0);
    if (add) {
        std::uint8_t& slot = m.roles[0] ? m.roles[1] : m.roles[0];
        const std::uint8_t other = m.roles[0] ? m.roles[0] : m.roles[1];
        do slot = draw_role();
        while (slot == other);
    } else if (held == 2) {
        m.roles[rng_.below(2)] = 0;
    } else {
        m.roles[0] = m.roles[1] = 0;
    }
    Event ev;
    ev.kind = Event::Kind::roles;
    ev.user = user_id(ord);
    for (std::uint8_t r : m.roles)
        if (r) ev.roles[ev.role_count++] = role(r - 1u).id;
    return ev;
}

Event W2::leave_event() {
    const std::uint32_t ord = any_member();
    unlink(ord);
    Event ev;
    ev.kind = Event::Kind::leave;
    ev.user = user_id(ord);
    return ev;
}

}  // namespace sim
