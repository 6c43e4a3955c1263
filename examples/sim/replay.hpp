// `roster-sim replay`: applies JSON Lines events to one guild through the
// public C API (roster.h) and writes JSON Lines results. See replay.cpp for
// the event and output formats.
#pragma once

#include <cstddef>
#include <cstdio>

namespace sim {

inline constexpr std::size_t max_line_bytes = std::size_t{1} << 20;

// Reads events from in until end of input, writes results to out.
// Returns 0, or 1 on an I/O error (reported on stderr). memory_files: the
// files of "save" and "load" events are kept in memory instead of on disk
// (the fuzz target: its input must not name paths to write).
int replay_stream(std::FILE* in, std::FILE* out, bool memory_files = false);

// The subcommand: args are what follows "replay" ([FILE], "-" is stdin).
// Returns the process exit status; 2 means "print usage".
int replay_main(int argc, char** argv);

}  // namespace sim
