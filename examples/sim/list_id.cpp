// roster-sim list-id: the list id of a channel as Discord clients compute
// it, through libroster-discord (roster_discord_compute_list_id).
#include "list_id.hpp"

#include <roster/discord.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"

namespace sim {

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "roster-sim list-id: %s\n", what.c_str());
    return 1;
}

// An id: a string of decimal digits (or an integer number), not 0.
bool read_id(const json::Value& v, std::uint64_t* out) {
    if (v.is_number()) return json::to_u64(v, out) && *out != 0;
    if (!v.is_string() || v.text.empty() || v.text.size() > 20) return false;
    for (char c : v.text)
        if (c < '0' || c > '9') return false;
    json::Value n;
    n.kind = json::Kind::number;
    n.text = v.text;
    return json::to_u64(n, out) && *out != 0;
}

}  // namespace

int list_id_main(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            std::printf(
                "usage: roster-sim list-id < CHANNEL.json\n"
                "  reads {\"everyone_view\":BOOL,\"overwrites\":[{\"id\":\"ID\","
                "\"allow_view\":BOOL},...]}\n  and prints the channel's list id\n");
            return 0;
        }
        std::fprintf(stderr, "roster-sim list-id: unexpected argument '%s'\n", argv[i]);
        return 2;
    }
    const std::string text((std::istreambuf_iterator<char>(std::cin)),
                           std::istreambuf_iterator<char>());
    json::Value doc;
    json::Error err;
    if (!json::parse(text, &doc, &err))
        return fail("bad JSON at byte " + std::to_string(err.offset) + ": " + err.message);
    if (!doc.is_object()) return fail("expected a JSON object");
    const json::Value* ev = doc.find("everyone_view");
    const json::Value* ows = doc.find("overwrites");
    if (!ev || !ev->is_bool()) return fail("\"everyone_view\" must be true or false");
    if (ows && !ows->is_array()) return fail("\"overwrites\" must be an array");
    std::vector<roster_discord_overwrite> list;
    if (ows) {
        for (const json::Value& o : ows->items) {
            const json::Value* id = o.find("id");
            const json::Value* allow = o.find("allow_view");
            std::uint64_t v = 0;
            if (!o.is_object() || !id || !read_id(*id, &v))
                return fail("each overwrite needs an \"id\": a decimal string, not 0");
            if (!allow || !allow->is_bool()) return fail("each overwrite needs \"allow_view\"");
            // The type takes no part in the list id; the guild id (0 here)
            // only matters for the rule.
            list.push_back(roster_discord_overwrite{
                v, ROSTER_DISCORD_OVERWRITE_ROLE,
                allow->boolean ? ROSTER_OVERWRITE_ALLOW : ROSTER_OVERWRITE_DENY});
        }
    }
    roster_discord_list_id id;
    const int s = roster_discord_compute_list_id(&id, nullptr, nullptr, 0, 0, ev->boolean ? 1 : 0,
                                                 list.data(), list.size());
    if (s != ROSTER_OK) return fail(std::string("refused: ") + roster_status_str(s));
    std::printf("%s\n", id.text);
    return 0;
}

}  // namespace sim
