// `roster-sim serve`: a live demo on loopback. An HTTP + WebSocket server
// (Boost.Beast) serves one page (web/, embedded at build time) and a subset
// of Discord's gateway on /gateway, fed by a simulated guild under churn
// (demo.hpp). docs/serve.md describes the protocol and the endpoints.
#pragma once

#include <string>

namespace sim {

// args: what follows "serve". Returns 0, 1 (could not listen or set up the
// guild) or 2 (usage).
int serve_main(int argc, char** argv);
std::string serve_synopsis();
std::string serve_help();

}  // namespace sim
