// A global operator new that fails on request, for the allocation-failure
// sweeps. Include it in exactly one file of a test program: it replaces
// the program's operator new and delete.
//
// g_countdown > 0: the allocation that brings it to 0 throws
// std::bad_alloc (and every later one succeeds again); -1: never fails.
#pragma once

#include <cstdlib>
#include <new>

inline long g_countdown = -1;

// GCC flags free() inside a replaced operator delete; the pairing with the
// malloc() in operator new below is deliberate.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
    if (g_countdown > 0 && --g_countdown == 0) throw std::bad_alloc();
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

// Disarms the countdown for its lifetime (the test's own bookkeeping must
// not consume or trip it), then restores it.
struct Unarmed {
    long saved = g_countdown;
    bool armed_again = false;
    Unarmed() { g_countdown = -1; }
    ~Unarmed() {
        if (!armed_again) g_countdown = saved;
    }
    // Restores the countdown now (what follows in the scope is armed).
    void rearm() {
        g_countdown = saved;
        armed_again = true;
    }
    Unarmed(const Unarmed&) = delete;
    Unarmed& operator=(const Unarmed&) = delete;
};
