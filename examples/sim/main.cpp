// roster-sim: tools driving the roster C API.
//
//   roster-sim replay [FILE]   apply JSON Lines events, print results
//
// Subcommands are a table: add a row to add one. With no arguments the tool
// prints usage and exits 2 (the simulator will become the default mode).
#include <cstdio>
#include <cstring>
#include <string_view>

#include "replay.hpp"

namespace {

struct Command {
    std::string_view name;
    std::string_view args;     // usage synopsis after the name
    std::string_view summary;  // one line
    int (*run)(int argc, char** argv);  // argv: what follows the name
};

constexpr Command commands[] = {
    {"replay", "[FILE]", "apply JSON Lines events (FILE or stdin) and print JSON Lines results",
     sim::replay_main},
};

void usage(std::FILE* to) {
    std::fprintf(to, "usage:\n");
    for (const Command& c : commands)
        std::fprintf(to, "  roster-sim %.*s %.*s\n      %.*s\n", static_cast<int>(c.name.size()),
                     c.name.data(), static_cast<int>(c.args.size()), c.args.data(),
                     static_cast<int>(c.summary.size()), c.summary.data());
    std::fprintf(to, "  roster-sim --help\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const std::string_view name = argv[1];
    if (name == "--help" || name == "-h") {
        usage(stdout);
        return 0;
    }
    for (const Command& c : commands) {
        if (c.name != name) continue;
        const int rc = c.run(argc - 2, argv + 2);
        if (rc == 2) usage(stderr);
        return rc;
    }
    usage(stderr);
    return 2;
}
