// Where the guild's memory comes from: the host's allocator hooks
// (roster_config.allocator) or, without them, the C++ runtime.
//
// Why a bound heap and not an allocator object in every container: the
// engine has a hundred containers, nested ones among them, and one missed
// constructor argument would silently take memory from elsewhere. Instead
// every container, slab and block of the engine allocates through the
// functions below, which use the heap bound to the calling thread. The C
// API binds the guild's heap for the whole of each call on it (Scope), so
// everything a guild allocates or frees, during any call, is the guild's:
// a guild is used by one thread at a time, and its memory is touched only
// inside calls on it. Calls nest (a frame callback may call another
// guild): each Scope restores the binding it found.
//
// With no heap bound (the engine used directly from C++, as the unit tests
// do), or a heap without hooks, memory comes from operator new (and the
// slabs from realloc and mmap, slab.hpp): exactly as without this layer.
//
// A bound heap also counts the bytes live through it: what
// roster_guild_stats reports as the guild's memory.
//
// Errors: allocate() and reallocate() throw std::bad_alloc when the hook
// (or operator new) fails, with nothing changed. Thread-safety: the binding
// is per thread; a Heap is used by one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "roster/roster.h"

namespace roster {

struct Heap {
    roster_allocator hooks{};  // allocate == nullptr: the C++ runtime
    std::size_t bytes = 0;     // live through this heap (its own count)
    std::size_t peak = 0;

    bool hooked() const { return hooks.allocate != nullptr; }
    void add(std::size_t n) noexcept {
        bytes += n;
        if (bytes > peak) peak = bytes;
    }
    void sub(std::size_t n) noexcept { bytes -= n < bytes ? n : bytes; }
};

namespace heap {

// The size of a transparent huge page: the unit of the huge-page advice
// given to large blocks (heap.cpp) and large slabs (slab.hpp).
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

// The heap bound to this thread, or nullptr.
Heap* current() noexcept;

// Binds h (may be nullptr: none) for the scope's life.
class Scope {
public:
    explicit Scope(Heap* h) noexcept;
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

private:
    Heap* saved_;
};

// n > 0 bytes, aligned as operator new aligns. Throws std::bad_alloc.
void* allocate(std::size_t n);
// p from allocate() with n bytes (n: for the count).
void deallocate(void* p, std::size_t n) noexcept;
// Adjusts the count of a block whose accounted size changed in place.
void shrunk(std::size_t n) noexcept;

}  // namespace heap

// A stateless allocator over the bound heap: containers of the engine use
// it (through the aliases below) instead of std::allocator.
template <class T>
struct Allocator {
    using value_type = T;

    Allocator() noexcept = default;
    template <class U>
    Allocator(const Allocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                      "the hooks only promise malloc's alignment");
        if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(heap::allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { heap::deallocate(p, n * sizeof(T)); }

    template <class U>
    friend bool operator==(const Allocator&, const Allocator<U>&) noexcept {
        return true;
    }
};

template <class T>
using Vec = std::vector<T, Allocator<T>>;
template <class T, std::size_t N>
using SmallVec = boost::container::small_vector<T, N, Allocator<T>>;
template <class K, class V, class H = std::hash<K>, class E = std::equal_to<K>>
using HashMap = std::unordered_map<K, V, H, E, Allocator<std::pair<const K, V>>>;
template <class K, class H = std::hash<K>, class E = std::equal_to<K>>
using HashSet = std::unordered_set<K, H, E, Allocator<K>>;
template <class K, class V, class C = std::less<K>>
using Map = std::map<K, V, C, Allocator<std::pair<const K, V>>>;

// unique_ptr over the bound heap.
template <class T>
struct HeapDelete {
    HeapDelete() noexcept = default;
    template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
    HeapDelete(const HeapDelete<U>&) noexcept {}
    void operator()(T* p) const noexcept {
        static_assert(!std::is_polymorphic_v<T> || std::has_virtual_destructor_v<T>);
        p->~T();
        heap::deallocate(p, sizeof(T));
    }
};
template <class T>
using Box = std::unique_ptr<T, HeapDelete<T>>;

template <class T, class... Args>
Box<T> make_box(Args&&... args) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    void* p = heap::allocate(sizeof(T));
    try {
        return Box<T>(::new (p) T(std::forward<Args>(args)...));
    } catch (...) {
        heap::deallocate(p, sizeof(T));
        throw;
    }
}

}  // namespace roster
