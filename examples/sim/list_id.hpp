// roster-sim list-id: a channel's Discord list id (docs/discord.md §2).
#pragma once

namespace sim {

// Reads one JSON object on stdin,
//   {"everyone_view":true,"overwrites":[{"id":"123","allow_view":true},...]}
// (an overwrite that neither allows nor denies VIEW_CHANNEL is not listed)
// and prints the list id alone on one line. Exit: 0, 1 bad input, 2 usage.
int list_id_main(int argc, char** argv);

}  // namespace sim
