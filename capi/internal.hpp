// Private to the project: the engine behind a roster_guild, for test and
// fuzz programs that compile capi/guild.cpp in with the engine and check
// its invariants after C API calls. Not part of the ABI (hidden, and not in
// the linker map).
#pragma once

#include "engine.hpp"
#include "roster/roster.h"

namespace roster {

const Engine& engine_of(const roster_guild* guild);

}  // namespace roster
