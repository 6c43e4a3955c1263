// libFuzzer target: the C API with garbage and boundary arguments, calls
// from inside the frame callback, and the oracles of driver.cpp.
#include <cstddef>
#include <cstdint>

#include "driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::run(data, size, false);
    return 0;
}
