// The simulator, roster-sim's default mode: workload W2 of docs/benchmarks.md (a
// guild under presence churn, sessions watching its member list) run
// through the public C API, with the engine's frames measured against the
// naive strategy. See simulate.cpp and `roster-sim --help`.
#pragma once

#include <string>

namespace sim {

// args: what follows the program name (or the "sim" subcommand). Returns
// the exit status: 0, 1 (an API error, a fidelity failure, an I/O error) or
// 2 (usage).
int simulate_main(int argc, char** argv);

// The option synopsis and their description (from the option parser), for
// roster-sim's usage text.
std::string simulate_synopsis();
std::string simulate_help();

}  // namespace sim
