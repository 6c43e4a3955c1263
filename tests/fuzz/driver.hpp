// The C API driver shared by fuzz_capi and fuzz_oom: decodes a byte string
// into a sequence of roster.h calls on a small guild and checks the oracles
// after every call (README.md in this directory lists them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fuzz {

// Allocation failure injection. fuzz_oom replaces the global operator new
// with one that asks fail_now() first; fuzz_capi never arms it. The driver
// pauses it around its own work (snapshots, replicas, the twin guild), so
// that only the engine's allocations fail.
struct AllocGate {
    long countdown = -1;  // > 0: the countdown-th allocation from now fails
    bool sticky = false;  // after the first failure, every allocation fails
    bool failed = false;  // an allocation failed since the gate was armed
    int paused = 0;

    bool fail_now() {
        if (paused > 0) return false;
        if (failed && sticky) return true;
        if (countdown > 0 && --countdown == 0) {
            failed = true;
            return true;
        }
        return false;
    }
};

extern AllocGate gate;

// Runs one input. oom: the input also says where allocations fail.
void run(const std::uint8_t* data, std::size_t size, bool oom);

}  // namespace fuzz
