#include "heap.hpp"

namespace roster::heap {

namespace {
thread_local Heap* bound = nullptr;
}

Heap* current() noexcept { return bound; }

Scope::Scope(Heap* h) noexcept : saved_(bound) { bound = h; }
Scope::~Scope() { bound = saved_; }

void* allocate(std::size_t n) {
    Heap* h = bound;
    if (!h) return ::operator new(n);
    void* p;
    if (h->hooked()) {
        p = h->hooks.allocate(n ? n : 1, h->hooks.user_data);
        if (!p) throw std::bad_alloc();
    } else {
        p = ::operator new(n);
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
