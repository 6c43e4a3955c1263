// The member record of a guild (private to guild*.cpp): 64 bytes in a slab,
// the name and up to two roles inline, longer data in heap blocks the
// record owns; and the helpers that read and replace those blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>

#include <boost/container/small_vector.hpp>

#include "guild.hpp"
#include "slab.hpp"
#include "text.hpp"

namespace roster {

namespace guild_detail {

// Names up to this many bytes live in the member record.
constexpr std::size_t name_inline = 24;

enum MemberFlags : std::uint8_t {
    f_text_heap = 1,   // name (and custom key) in a heap block
    f_custom_key = 2,  // the block also holds a host sort key
    f_roles_heap = 4,  // roles in a heap block
};

}  // namespace guild_detail
using namespace guild_detail;

// A member's role slots, ascending (validation and staging).
using RoleSlots = SmallVec<std::uint32_t, 2>;

// One member: 64 bytes, one cache line, in a slab named by 32-bit slots.
// Most members need nothing else: a name of up to 24 bytes and up to two
// roles are inline. A longer name, a host sort key or more roles live in a
// heap block that the record owns (the slab moves records by memcpy, so the
// record is trivially copyable and its blocks are freed by hand).
//  - text block: [u32 key length][name bytes][key bytes]
//  - roles block: [u32 count][role slots, ascending]
// A status change reads and writes this line only (plus the id table).
struct Member {
    std::uint32_t rev;    // Row::rev. First: a free slot holds the slab's link here
    std::uint32_t top;    // group when not offline: top hoisted role, or g_online
    std::uint64_t id;     // 0: the slot is free
    std::uint64_t prefix; // first 8 bytes of the sort key, big-endian
    std::uint32_t lists;  // bit b: in the list that owns bit b (ListState::bit)
    Status status;
    std::uint8_t flags;   // MemberFlags
    std::uint8_t name_len;
    std::uint8_t nroles;  // inline roles (when not f_roles_heap)
    union {
        std::uint32_t inl[2];
        std::uint32_t* heap;
    } roles;
    union {
        char inl[name_inline];
        char* heap;
    } text;
};
static_assert(sizeof(Member) == 64, "a member record is one cache line");

using Members = Slab<Member>;

namespace guild_detail {

// A text block's name and key (layout above).
inline std::string_view block_name(const char* block, std::size_t name_len) {
    return {block + 4, name_len};
}
inline std::string_view block_key(const char* block, std::size_t name_len) {
    std::uint32_t n;
    std::memcpy(&n, block, 4);
    return {block + 4 + name_len, n};
}

inline std::string_view name_of(const Member& m) {
    return (m.flags & f_text_heap) ? block_name(m.text.heap, m.name_len)
                                   : std::string_view(m.text.inl, m.name_len);
}
inline std::string_view custom_key_of(const Member& m) { return block_key(m.text.heap, m.name_len); }
// The sort key: the host's bytes, or the name folded on the fly.
inline std::string_view key_bytes(const Member& m) {
    return (m.flags & f_custom_key) ? custom_key_of(m) : name_of(m);
}
inline bool key_folds(const Member& m) { return !(m.flags & f_custom_key); }

inline std::span<const std::uint32_t> roles_of(const Member& m) {
    if (m.flags & f_roles_heap) return {m.roles.heap + 1, m.roles.heap[0]};
    return {m.roles.inl, m.nroles};
}

inline int compare_member_keys(const Member& x, const Member& y) {
    return compare_keys(key_bytes(x), key_folds(x), key_bytes(y), key_folds(y));
}

// A member's text (name, optional host key) built aside: making it may
// throw; installing it into a record cannot, and frees the record's old
// block.
struct Text {
    char* block = nullptr;  // owned until installed
    std::uint8_t len = 0;
    bool custom = false;
    // Zeroed by three word stores (a `= {}` here compiled to `rep stos`).
    char inl[name_inline];

    Text() { clear_inline(); }
    Text(const Text&) = delete;
    Text& operator=(const Text&) = delete;
    ~Text() {
        if (!block) return;
        std::uint32_t klen;
        std::memcpy(&klen, block, 4);
        heap::deallocate(block, 4 + len + klen);
    }

    Text(std::string_view name, bool has_key, std::string_view key) {
        clear_inline();
        len = static_cast<std::uint8_t>(name.size());  // names are <= 128 bytes
        custom = has_key;
        if (!has_key && name.size() <= name_inline) {
            copy_short(inl, name.data(), name.size());
            return;
        }
        const std::uint32_t klen = has_key ? static_cast<std::uint32_t>(key.size()) : 0;
        block = static_cast<char*>(heap::allocate(4 + name.size() + klen));
        std::memcpy(block, &klen, 4);
        std::memcpy(block + 4, name.data(), name.size());
        if (klen) std::memcpy(block + 4 + name.size(), key.data(), klen);
    }

    void clear_inline() {
        static_assert(name_inline == 24 && name_inline <= copy_short_max);
        const std::uint64_t zero = 0;
        std::memcpy(inl, &zero, 8);
        std::memcpy(inl + 8, &zero, 8);
        std::memcpy(inl + 16, &zero, 8);
    }

    std::string_view name() const {
        return block ? block_name(block, len) : std::string_view(inl, len);
    }
    std::string_view key() const { return custom ? block_key(block, len) : name(); }
};

// m's text with a new name; a host sort key, if m has one, stays.
inline Text renamed(const Member& m, std::string_view name) {
    const bool custom = m.flags & f_custom_key;
    return Text(name, custom, custom ? custom_key_of(m) : std::string_view{});
}
// Whether m's sort key is the same with text t (then it keeps its place).
inline bool same_key(const Member& m, const Text& t) {
    return compare_keys(key_bytes(m), key_folds(m), t.key(), !t.custom) == 0;
}

inline void drop_text(Member& m) noexcept {
    if (m.flags & f_text_heap)
        heap::deallocate(m.text.heap, 4 + m.name_len +
                                          ((m.flags & f_custom_key) ? custom_key_of(m).size() : 0));
    m.flags &= static_cast<std::uint8_t>(~(f_text_heap | f_custom_key));
}
inline void install_text(Member& m, Text& t) noexcept {
    drop_text(m);
    m.name_len = t.len;
    if (t.block) {
        m.text.heap = t.block;
        t.block = nullptr;
        m.flags |= f_text_heap;
        if (t.custom) m.flags |= f_custom_key;
    } else {
        std::memcpy(m.text.inl, t.inl, name_inline);
    }
}

// Role slots built aside, like Text.
struct Roles {
    std::uint32_t* block = nullptr;  // owned until installed
    std::uint8_t n = 0;
    std::uint32_t inl[2] = {};

    Roles() = default;
    Roles(const Roles&) = delete;
    Roles& operator=(const Roles&) = delete;
    ~Roles() {
        if (block) heap::deallocate(block, (block[0] + 1) * sizeof(std::uint32_t));
    }

    explicit Roles(const RoleSlots& r) : Roles(std::span<const std::uint32_t>(r.data(), r.size())) {}
    // The staged role slots (ascending, as given).
    std::span<const std::uint32_t> view() const {
        return block ? std::span<const std::uint32_t>(block + 1, block[0])
                     : std::span<const std::uint32_t>(inl, n);
    }
    explicit Roles(std::span<const std::uint32_t> slots) {
        if (slots.size() <= 2) {
            n = static_cast<std::uint8_t>(slots.size());
            std::copy(slots.begin(), slots.end(), inl);
            return;
        }
        block = static_cast<std::uint32_t*>(heap::allocate((slots.size() + 1) * sizeof(std::uint32_t)));
        block[0] = static_cast<std::uint32_t>(slots.size());
        std::copy(slots.begin(), slots.end(), block + 1);
    }
};

inline void drop_roles(Member& m) noexcept {
    // The block's count may have shrunk (erase_role): so has its count.
    if (m.flags & f_roles_heap) heap::deallocate(m.roles.heap, (m.roles.heap[0] + 1) * sizeof(std::uint32_t));
    m.flags &= static_cast<std::uint8_t>(~f_roles_heap);
    m.nroles = 0;
}
inline void install_roles(Member& m, Roles& r) noexcept {
    drop_roles(m);
    if (r.block) {
        m.roles.heap = r.block;
        r.block = nullptr;
        m.flags |= f_roles_heap;
    } else {
        m.nroles = r.n;
        m.roles.inl[0] = r.inl[0];
        m.roles.inl[1] = r.inl[1];
    }
}
// Drops one role slot the member holds, in place (never allocates).
inline void erase_role(Member& m, std::uint32_t slot) noexcept {
    std::uint32_t* first;
    std::uint32_t* count_word = nullptr;
    std::uint32_t n;
    if (m.flags & f_roles_heap) {
        count_word = m.roles.heap;
        first = m.roles.heap + 1;
        n = m.roles.heap[0];
    } else {
        first = m.roles.inl;
        n = m.nroles;
    }
    std::uint32_t* end = first + n;
    std::uint32_t* it = std::find(first, end, slot);
    if (it == end) return;
    std::copy(it + 1, end, it);
    if (count_word) {
        --*count_word;
        heap::shrunk(sizeof(std::uint32_t));  // the block's bytes as counted
    }
    else
        --m.nroles;
}

inline std::size_t heap_bytes(const Member& m) {
    std::size_t b = 0;
    if (m.flags & f_text_heap) b += 4 + m.name_len + ((m.flags & f_custom_key) ? custom_key_of(m).size() : 0);
    if (m.flags & f_roles_heap) b += (m.roles.heap[0] + 1) * sizeof(std::uint32_t);
    return b;
}

}  // namespace guild_detail

}  // namespace roster
