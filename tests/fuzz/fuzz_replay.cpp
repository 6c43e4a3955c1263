// libFuzzer target: the input as a `roster-sim replay` event stream
// (examples/sim/replay.cpp), through the same entry point the tool uses.
// Besides not crashing, the replay must report no I/O error, print only
// whole JSON objects (one per line), and print every rejected line as an
// error rather than stopping.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "json.hpp"
#include "replay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;  // fmemopen refuses an empty buffer
    std::FILE* in = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
    char* out_buf = nullptr;
    std::size_t out_size = 0;
    std::FILE* out = open_memstream(&out_buf, &out_size);
    if (!in || !out) std::abort();
    const int rc = sim::replay_stream(in, out, true);
    std::fclose(in);
    std::fclose(out);
    if (rc != 0) {
        std::fprintf(stderr, "replay_stream returned %d\n", rc);
        std::abort();
    }
    std::string_view text(out_buf, out_size);
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        if (nl == std::string_view::npos) {
            std::fprintf(stderr, "replay output does not end with a newline\n");
            std::abort();
        }
        sim::json::Value v;
        if (!sim::json::parse(text.substr(0, nl), &v, nullptr, sim::json::Limits{64, SIZE_MAX, false}) || !v.is_object()) {
            std::fprintf(stderr, "replay printed a line that is not a JSON object: %.*s\n",
                         static_cast<int>(std::min<std::size_t>(nl, 400)), text.data());
            std::abort();
        }
        text.remove_prefix(nl + 1);
    }
    std::free(out_buf);
    return 0;
}
