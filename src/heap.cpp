#include "heap.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace roster::heap {

namespace {
thread_local Heap* bound = nullptr;

// A block this large from operator new is advised to use huge pages (its
// whole 2 MiB pages; advice only, failure is harmless): the guild's
// per-member arrays are read at random, one TLB miss each on 4 KiB pages.
// (Slabs do the same with their own mappings, slab.hpp.)
constexpr std::size_t huge_threshold = 2 * huge_page_bytes;

void* new_block(std::size_t n) {
    void* p = ::operator new(n);
#ifdef MADV_HUGEPAGE
    if (n >= huge_threshold) {
        const auto a = reinterpret_cast<std::uintptr_t>(p);
        const std::uintptr_t page = huge_page_bytes;
        const std::uintptr_t from = (a + page - 1) & ~(page - 1);
        const std::uintptr_t to = (a + n) & ~(page - 1);
        if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
    }
#endif
    return p;
}
}  // namespace

Heap* current() noexcept { return bound; }

Scope::Scope(Heap* h) noexcept : saved_(bound) { bound = h; }
Scope::~Scope() { bound = saved_; }

void* allocate(std::size_t n) {
    Heap* h = bound;
    if (!h) return new_block(n);
    void* p;
    if (h->hooked()) {
        p = h->hooks.allocate(n ? n : 1, h->hooks.user_data);
        if (!p) throw std::bad_alloc();
    } else {
        p = new_block(n);
    }
    h->add(n);
    return p;
}

void deallocate(void* p, std::size_t n) noexcept {
    if (!p) return;
    Heap* h = bound;
    if (!h) {
        ::operator delete(p);
        return;
    }
    if (h->hooked())
        h->hooks.deallocate(p, h->hooks.user_data);
    else
        ::operator delete(p);
    h->sub(n);
}

void shrunk(std::size_t n) noexcept {
    if (Heap* h = bound) h->sub(n);
}

}  // namespace roster::heap
