// A global operator new that fails on request, for the allocation-failure
// sweeps. Include it in exactly one file of a test program: it replaces
// the program's operator new and delete.
//
// g_countdown > 0: the allocation that brings it to 0 throws
// std::bad_alloc (and every later one succeeds again); -1: never fails.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>

inline long g_countdown = -1;

// Hooks mode (ROSTER_OOM_VIA_HOOKS): the countdown is consumed by the
// allocator hooks a guild is created with (roster_config.allocator), not
// by operator new; an operator new while the countdown is armed is then
// memory the library took from elsewhere than its hooks, and is counted
// in g_stray_new.
#ifdef ROSTER_OOM_VIA_HOOKS
inline constexpr bool g_via_hooks = true;
#else
inline constexpr bool g_via_hooks = false;
#endif
inline long g_stray_new = 0;
// Called for each stray operator new (a place for a debugger's breakpoint).
[[gnu::noinline]] inline void stray_new() { ++g_stray_new; }

// GCC flags free() inside a replaced operator delete; the pairing with the
// malloc() in operator new below is deliberate.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// A second file of the same program defines COUNTDOWN_NEW_SHARED first: it
// shares the state and the hooks, not the replacement.
#ifndef COUNTDOWN_NEW_SHARED
void* operator new(std::size_t n) {
    if (g_via_hooks) {
        if (g_countdown > 0) stray_new();
    } else if (g_countdown > 0 && --g_countdown == 0) {
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

// The hooks of hooks mode: malloc'd blocks behind a 16-byte header holding
// a tag, so that a block given to the wrong free (the C library's instead
// of the hooks', or the other way round) is caught: by ASan or glibc, or
// by the tag check below. g_hook_live counts blocks not yet given back.
inline long g_hook_live = 0, g_hook_calls = 0, g_hook_bad_free = 0;
inline constexpr unsigned long long kHookTag = 0x6b6f6f682d727374ull;

inline void* hook_allocate(std::size_t n, void*) {
    ++g_hook_calls;
    if (g_countdown > 0 && --g_countdown == 0) return nullptr;
    auto* p = static_cast<unsigned char*>(std::malloc(n + 16));
    if (!p) return nullptr;
    std::memcpy(p, &kHookTag, sizeof kHookTag);
    ++g_hook_live;
    return p + 16;
}
inline bool hook_tagged(void* ptr) {
    unsigned long long tag;
    std::memcpy(&tag, static_cast<unsigned char*>(ptr) - 16, sizeof tag);
    return tag == kHookTag;
}
inline void* hook_reallocate(void* ptr, std::size_t n, void*) {
    ++g_hook_calls;
    if (!hook_tagged(ptr)) ++g_hook_bad_free;
    if (g_countdown > 0 && --g_countdown == 0) return nullptr;
    auto* p = static_cast<unsigned char*>(std::realloc(static_cast<unsigned char*>(ptr) - 16, n + 16));
    return p ? p + 16 : nullptr;
}
inline void hook_deallocate(void* ptr, void*) {
    if (!hook_tagged(ptr)) {
        ++g_hook_bad_free;
        return;
    }
    auto* p = static_cast<unsigned char*>(ptr) - 16;
    std::memset(p, 0, 16);
    std::free(p);
    --g_hook_live;
}

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

// f() with the k-th allocation from now failing; the countdown is disarmed
// after it, even when f throws. `failed`: whether that allocation came.
// (Callers copy the fields into names of their own: clang 14 refuses
// structured bindings inside doctest's INFO and CHECK.)
struct Failing {
    int rc;
    bool failed;
};
template <class F>
Failing failing_at(long k, F&& f) {
    struct Disarm {
        ~Disarm() { g_countdown = -1; }
    } disarm;
    g_countdown = k;
    const int rc = f();
    return {rc, g_countdown == 0};
}
