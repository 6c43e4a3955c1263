// Workload entry points of roster-bench. Each takes the arguments after its
// subcommand name and returns the process exit status (2 = usage error).
#pragma once

namespace bench {

// W1 of docs/benchmarks.md: the ordered index alone, roster::RankTree vs.
// the GNU pb_ds order-statistics tree, interleaved in one process.
int run_w1(int argc, char** argv);

// The guild engine at scale: bulk load, memory, status changes.
int run_guild(int argc, char** argv);

// W2: the whole engine under presence churn, through the C API, with a
// frame callback that only counts.
int run_w2(int argc, char** argv);

// W3: subscribe latency and a role reorder that moves many members.
int run_w3(int argc, char** argv);

// Creating roles and lists: the cost per creation, at thousands of each.
int run_create(int argc, char** argv);

// Snapshots: save and load of a W2 guild with its sessions, and a hand-off.
int run_snapshot(int argc, char** argv);

// W4: the W2 guild and churn over a grid of member and session counts.
int run_scale(int argc, char** argv);

// The machine alone: the cost of a random read of a large region, and how
// much of it a prefetch hides; the floor of a guild's event at N and 10 N
// members.
int run_pages(int argc, char** argv);

}  // namespace bench
