// Shared helpers of libroster-discord (not installed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "roster/discord.h"

namespace rdiscord {

// Writes v in decimal to out (at least 21 bytes), NUL-terminated; returns
// the number of digits.
std::size_t format_u64(char* out, std::uint64_t v);

// The canonical overwrite string of a channel ("allow:<id>"/"deny:<id>",
// sorted, joined with ","), whether the list id is "everyone", and the rule's
// overwrites split by kind. Validates as roster_discord_compute_list_id says.
struct Channel {
    std::string key;       // the string hashed
    bool everyone = false; // "everyone" (everyone_view and no deny)
    std::uint32_t hash = 0;
    std::int32_t everyone_ow = ROSTER_OVERWRITE_NONE;
    std::vector<roster_overwrite> roles, members;
};
int describe(Channel* out, std::uint64_t guild_id, int everyone_view,
             const roster_discord_overwrite* ows, std::size_t count);

// Fills id from a described channel and the roster list id it was given.
void fill_id(roster_discord_list_id* id, const Channel& c, std::uint64_t list);

}  // namespace rdiscord

namespace rdiscord {

// A lazy-guild request, as read from its JSON (request.cpp).
struct RequestChannel {
    std::uint64_t id = 0;
    std::vector<roster_range> ranges;
};
struct Request {
    std::uint32_t op = 0;       // 14 or 37
    bool guild_named = false;   // the request names guild_id
    std::vector<RequestChannel> channels;  // of guild_id, in request order
};
// Reads a request for guild_id. Statuses as roster_discord_request: EINVAL
// (syntax, shape, ids, ranges), ELIMIT (the ROSTER_DISCORD_MAX_REQUEST_*
// bounds). *out->op is set as soon as it is known.
int parse_request(Request* out, std::uint64_t guild_id, const char* json, std::size_t len);

}  // namespace rdiscord
