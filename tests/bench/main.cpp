// roster-bench: the project's benchmark harness (see docs/benchmarks.md).
// One subcommand per workload; add w2, w3 ... to the table below.
#include <cstdio>
#include <cstring>

#include "workloads.hpp"

namespace {

struct Workload {
    const char* name;
    int (*run)(int argc, char** argv);
    const char* summary;
};

constexpr Workload workloads[] = {
    {"w1", bench::run_w1, "ordered index alone: roster's B+tree and AVL tree vs GNU pb_ds"},
    {"guild", bench::run_guild, "the engine at 1M members: bulk load, memory, status changes"},
    {"w2", bench::run_w2, "the engine under presence churn, sessions, frames to a no-op callback"},
    {"w3", bench::run_w3, "subscribe latency and a role reorder moving 100k members"},
    {"create", bench::run_create, "creating 10k-40k roles and 10k-20k lists, per creation"},
    {"snapshot", bench::run_snapshot, "save and load of a guild with its sessions; a hand-off"},
    {"scale", bench::run_scale, "how every cost grows: 10k-10M members x 100-100k sessions"},
    {"pages", bench::run_pages, "this machine's cost of a random read, a prefetch's, and an event's floor at 1M and 10M"},
};

void usage(std::FILE* out) {
    std::fprintf(out,
                 "usage: roster-bench <workload> [options]\n"
                 "workloads:\n");
    for (const Workload& w : workloads) std::fprintf(out, "  %-8s %s\n", w.name, w.summary);
    std::fprintf(out, "'roster-bench <workload> --help' lists a workload's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2) {
        for (const Workload& w : workloads)
            if (std::strcmp(argv[1], w.name) == 0) return w.run(argc - 2, argv + 2);
        std::fprintf(stderr, "roster-bench: unknown workload '%s'\n", argv[1]);
    }
    usage(stderr);
    return 2;
}
