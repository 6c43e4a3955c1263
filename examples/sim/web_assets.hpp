// The demo page's files (examples/sim/web/), compiled into roster-sim by
// embed_web.py so that the binary serves them from wherever it runs.
#pragma once

#include <string_view>

namespace sim {

struct WebAsset {
    std::string_view path;  // "/index.html"
    std::string_view type;  // its Content-Type
    std::string_view body;
};

// The asset served at path, or nullptr.
const WebAsset* find_web_asset(std::string_view path);

}  // namespace sim
