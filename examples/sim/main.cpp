// roster-sim: tools driving the roster C API.
//
//   roster-sim [sim] [options]   the W2 simulator (the default mode)
//   roster-sim replay [FILE]     apply JSON Lines events, print results
//   roster-sim list-id           a channel's Discord list id (JSON on stdin)
//   roster-sim serve [options]   the live demo: a page and a gateway on loopback
//
// Subcommands are a table: add a row to add one. A first argument that is
// not a subcommand's name (none, or an option) runs the default one.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "list_id.hpp"
#include "replay.hpp"
#include "serve.hpp"
#include "simulate.hpp"

namespace {

struct Command {
    std::string_view name;
    std::string (*args)();     // usage synopsis after the name
    std::string_view summary;  // one line
    std::string (*help)();     // more lines for --help (may return "")
    int (*run)(int argc, char** argv);  // argv: what follows the name
    bool is_default;           // runs when no subcommand is named
};

std::string replay_args() { return "[FILE]"; }
std::string list_id_args() { return "< CHANNEL.json"; }
std::string no_help() { return ""; }

constexpr Command commands[] = {
    {"sim", sim::simulate_synopsis,
     "simulate workload W2: a guild under presence churn, sessions watching its list",
     sim::simulate_help, sim::simulate_main, true},
    {"replay", replay_args,
     "apply JSON Lines events (FILE or stdin) and print JSON Lines results", no_help,
     sim::replay_main, false},
    {"list-id", list_id_args,
     "print a channel's Discord list id; reads {\"everyone_view\":..,\"overwrites\":[..]}",
     no_help, sim::list_id_main, false},
    {"serve", sim::serve_synopsis,
     "the live demo: a Discord-like page and gateway on 127.0.0.1, fed by a guild under churn",
     sim::serve_help, sim::serve_main, false},
};

void usage(std::FILE* to, bool full) {
    std::fprintf(to, "usage:\n");
    for (const Command& c : commands) {
        const char* open = c.is_default ? "[" : "";
        const char* close = c.is_default ? "]" : "";
        const std::string args = c.args();
        std::fprintf(to, "  roster-sim %s%.*s%s %s\n      %.*s\n", open,
                     static_cast<int>(c.name.size()), c.name.data(), close, args.c_str(),
                     static_cast<int>(c.summary.size()), c.summary.data());
        if (full) std::fputs(c.help().c_str(), to);
    }
    std::fprintf(to, "  roster-sim --help\n");
}

const Command* find(std::string_view name) {
    for (const Command& c : commands)
        if (c.name == name) return &c;
    return nullptr;
}

const Command* default_command() {
    for (const Command& c : commands)
        if (c.is_default) return &c;
    return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string_view first = argc >= 2 ? argv[1] : "";
    if (first == "--help" || first == "-h") {
        usage(stdout, true);
        return 0;
    }
    const Command* c = argc >= 2 ? find(first) : nullptr;
    int skip = 2;
    if (!c && (argc < 2 || first.starts_with("-"))) {
        c = default_command();
        skip = 1;
    }
    if (!c) {
        std::fprintf(stderr, "roster-sim: unknown command '%s'\n", argv[1]);
        usage(stderr, false);
        return 2;
    }
    const int rc = c->run(argc - skip, argv + skip);
    if (rc == 2) usage(stderr, false);
    return rc;
}
