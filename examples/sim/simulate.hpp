// The simulator, roster-sim's default mode: workload W2 of docs/benchmarks.md (a
// guild under presence churn, sessions watching its member list) run
// through the public C API, with the engine's frames measured against the
// naive strategy. See simulate.cpp and `roster-sim --help`.
#pragma once

namespace sim {

// args: what follows the program name (or the "sim" subcommand). Returns
// the exit status: 0, 1 (an API error, a fidelity failure, an I/O error) or
// 2 (usage).
int simulate_main(int argc, char** argv);

// The option synopsis and their description, for the usage text.
inline constexpr char simulate_synopsis[] =
    "[--members N] [--sessions S] [--events E] [--flush-every K] [--seed X]\n"
    "             [--handoff-every B] [--frames-out FILE] [--verify]";

inline constexpr char simulate_help[] =
    "      --members N      members loaded before the churn (100000)\n"
    "      --sessions S     sessions watching list 0 (1000)\n"
    "      --events E       churn events (500000)\n"
    "      --flush-every K  events per batch; the last one commits it (1000)\n"
    "      --seed X         workload seed (1): same seed, same events and frames\n"
    "      --handoff-every B  every B batches, save the guild with its sessions,\n"
    "                       destroy it and go on with the one loaded from the bytes\n"
    "                       (a move to another node); reports the hand-off's time\n"
    "                       and snapshot size. No load may send a frame\n"
    "      --frames-out FILE  every frame as JSON Lines, one line per frame with the\n"
    "                       sessions it is for: {\"sessions\":[\"S\"...],\"id\":L,...}\n"
    "                       (after \"sessions\", the frame as `replay` prints it)\n"
    "      --verify         after every flush, each session's replica of its ranges\n"
    "                       must equal the list; exits 1 on any difference (slow)\n"
    "      Workload W2: 20 hoisted roles, 30% online; events 70% status, 10% name,\n"
    "      10% roles, 5% join, 5% leave (examples/sim/workload.hpp has the details).\n"
    "      Each session subscribes to [0,99] and one chunk k of the C chunks the\n"
    "      list has after the load, k = max(1, floor(C^u)), u uniform in [0,1): a\n"
    "      log-uniform depth, as many sessions in chunks 1-9 as in 10-99, 100-999.\n"
    "      Prints a summary on stdout; its last line is\n"
    "      W2 members= sessions= events= events_per_s= p50_ns= p99_ns=\n"
    "         ops_per_event= bytes_per_event= naive_bytes_per_event=\n";

}  // namespace sim
