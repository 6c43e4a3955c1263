// Private to the project: reaches the engine behind a roster_guild, for test
// programs that compile capi/guild.cpp in (the fuzz targets check the
// engine's invariants after every C API call). Not part of the ABI: the
// definition is hidden and the linker map keeps it out of libroster's
// exports.
#pragma once

#include "engine.hpp"
#include "roster/roster.h"

namespace roster::capi {

Engine& engine_of(roster_guild* guild);
const Engine& engine_of(const roster_guild* guild);

}  // namespace roster::capi
