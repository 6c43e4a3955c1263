// Header-only C++ RAII wrapper over the C API (roster.h).
//
// roster::Guild owns a roster_guild (move-only; destroyed with it). Calls
// throw roster::Error (carrying the status code) on failure; the guild is
// then unchanged, as with the C API. Nothing here adds ABI: it compiles
// against roster.h only, so it works with any libroster of the same major
// version. Requires C++17.
#ifndef ROSTER_ROSTER_HPP
#define ROSTER_ROSTER_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roster.h"

namespace roster {

class Error : public std::runtime_error {
public:
    explicit Error(int status)
        : std::runtime_error(roster_status_str(status)), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

inline void check(int status) {
    if (status != ROSTER_OK) throw Error(status);
}

enum class Presence : int {
    offline = ROSTER_OFFLINE,
    online = ROSTER_ONLINE,
    idle = ROSTER_IDLE,
    dnd = ROSTER_DND,
};

struct Overwrite {
    std::uint64_t id;
    bool allow;
};

struct ListRule {
    int everyone = ROSTER_OVERWRITE_NONE;  // ROSTER_OVERWRITE_*
    std::vector<Overwrite> roles;
    std::vector<Overwrite> members;
};

struct MemberInfo {
    std::uint64_t id = 0;
    std::string name;
    Presence status = Presence::offline;
    std::uint64_t group = 0;
    std::vector<std::uint64_t> roles;  // ascending
};

class Guild {
public:
    Guild() : Guild(nullptr) {}
    explicit Guild(const roster_config& config) : Guild(&config) {}
    Guild(Guild&& o) noexcept : g_(std::exchange(o.g_, nullptr)) {}
    Guild& operator=(Guild&& o) noexcept {
        if (this != &o) {
            roster_guild_destroy(g_);
            g_ = std::exchange(o.g_, nullptr);
        }
        return *this;
    }
    Guild(const Guild&) = delete;
    Guild& operator=(const Guild&) = delete;
    ~Guild() { roster_guild_destroy(g_); }

    roster_guild* get() const noexcept { return g_; }

    void set_everyone_view(bool view) { check(roster_guild_set_everyone_view(g_, view ? 1 : 0)); }
    void set_offline_threshold(std::uint32_t t) { check(roster_guild_set_offline_threshold(g_, t)); }
    std::uint32_t member_count() const {
        std::uint32_t n = 0;
        check(roster_guild_member_count(&n, g_));
        return n;
    }

    void batch_begin() { check(roster_batch_begin(g_)); }
    void batch_commit() { check(roster_batch_commit(g_)); }

    void upsert_role(std::uint64_t id, std::int32_t position, std::uint32_t flags) {
        roster_role r{id, position, flags};
        check(roster_role_upsert(g_, &r));
    }
    void remove_role(std::uint64_t id) { check(roster_role_remove(g_, id)); }
    void reorder_roles(const std::vector<std::uint64_t>& ids,
                       const std::vector<std::int32_t>& positions) {
        if (ids.size() != positions.size()) throw Error(ROSTER_EINVAL);
        check(roster_roles_reorder(g_, ids.data(), positions.data(), ids.size()));
    }

    void add_member(std::uint64_t id, std::string_view name,
                    const std::vector<std::uint64_t>& roles, Presence status) {
        check(roster_member_add(g_, id, name.data(), name.size(), roles.data(), roles.size(),
                                static_cast<int>(status)));
    }
    void upsert_member(std::uint64_t id, std::string_view name,
                       const std::vector<std::uint64_t>& roles, Presence status) {
        check(roster_member_upsert(g_, id, name.data(), name.size(), roles.data(), roles.size(),
                                   static_cast<int>(status)));
    }
    void remove_member(std::uint64_t id) { check(roster_member_remove(g_, id)); }
    void set_status(std::uint64_t id, Presence s) {
        check(roster_member_set_status(g_, id, static_cast<int>(s)));
    }
    void set_name(std::uint64_t id, std::string_view name) {
        check(roster_member_set_name(g_, id, name.data(), name.size()));
    }
    void set_sort_key(std::uint64_t id, std::string_view key) {
        check(roster_member_set_sort_key(g_, id, key.data(), key.size()));
    }
    void clear_sort_key(std::uint64_t id) { check(roster_member_set_sort_key(g_, id, nullptr, 0)); }
    void set_roles(std::uint64_t id, const std::vector<std::uint64_t>& roles) {
        check(roster_member_set_roles(g_, id, roles.data(), roles.size()));
    }
    void add_role(std::uint64_t id, std::uint64_t role) { check(roster_member_add_role(g_, id, role)); }
    void remove_role_from(std::uint64_t id, std::uint64_t role) {
        check(roster_member_remove_role(g_, id, role));
    }
    void touch(std::uint64_t id) { check(roster_member_touch(g_, id)); }

    MemberInfo member(std::uint64_t id) const {
        roster_member_info info{};
        std::size_t n = 0;
        check(roster_member_get(&info, nullptr, 0, &n, g_, id));
        MemberInfo m;
        m.roles.resize(n);
        check(roster_member_get(&info, m.roles.data(), n, &n, g_, id));
        m.id = info.id;
        m.name.assign(info.name, info.name_len);
        m.status = static_cast<Presence>(info.status);
        m.group = info.group;
        return m;
    }

    void set_list(std::uint64_t list_id, const ListRule& rule) {
        std::vector<roster_overwrite> roles, members;
        for (const Overwrite& o : rule.roles) roles.push_back({o.id, o.allow ? 1 : 0});
        for (const Overwrite& o : rule.members) members.push_back({o.id, o.allow ? 1 : 0});
        roster_list_rule r = ROSTER_LIST_RULE_INIT;
        r.everyone = rule.everyone;
        r.roles = roles.data();
        r.role_count = roles.size();
        r.members = members.data();
        r.member_count = members.size();
        check(roster_list_set(g_, list_id, &r));
    }
    void remove_list(std::uint64_t list_id) { check(roster_list_remove(g_, list_id)); }

    std::uint32_t length(std::uint64_t list_id) const {
        std::uint32_t n = 0;
        check(roster_list_length(&n, g_, list_id));
        return n;
    }
    std::pair<std::uint32_t, std::uint32_t> counts(std::uint64_t list_id) const {
        std::uint32_t m = 0, o = 0;
        check(roster_list_counts(&m, &o, g_, list_id));
        return {m, o};
    }
    std::vector<roster_group> groups(std::uint64_t list_id) const {
        std::size_t n = 0;
        check(roster_list_groups(nullptr, 0, &n, g_, list_id));
        std::vector<roster_group> out(n);
        check(roster_list_groups(out.data(), out.size(), &n, g_, list_id));
        out.resize(n);
        return out;
    }
    std::vector<roster_row> rows(std::uint64_t list_id, std::uint32_t start,
                                 std::uint32_t end) const {
        std::size_t n = 0;
        check(roster_list_rows(nullptr, 0, &n, g_, list_id, start, end));
        std::vector<roster_row> out(n);
        check(roster_list_rows(out.data(), out.size(), &n, g_, list_id, start, end));
        out.resize(n);
        return out;
    }
    // Row of a member shown in the list, or -1 when it is not shown.
    long long index_of(std::uint64_t list_id, std::uint64_t user_id) const {
        std::uint32_t i = 0;
        int s = roster_list_index_of(&i, g_, list_id, user_id);
        if (s == ROSTER_ENOTFOUND) return -1;
        check(s);
        return i;
    }

private:
    explicit Guild(const roster_config* config) { check(roster_guild_create(&g_, config)); }

    roster_guild* g_ = nullptr;
};

}  // namespace roster

#endif  // ROSTER_ROSTER_HPP
