// Frames as JSON, shaped like Discord's GUILD_MEMBER_LIST_UPDATE, with
// items in the replay tool's row format (`roster-sim replay` dumps):
//
//   {"id":L,"member_count":n,"online_count":n,
//    "groups":[{"id":G,"count":n}...],
//    "ops":[{"op":"SYNC","range":[s,e],"items":[ITEM...]}
//          |{"op":"INSERT","index":i,"item":ITEM}
//          |{"op":"UPDATE","index":i,"item":ITEM}
//          |{"op":"DELETE","index":i}
//          |{"op":"INVALIDATE","range":[s,e]}...]}
//   ITEM: {"group":{"id":G,"count":n}}
//       | {"member":{"user":{"id":"U"},"nick":S,"roles":["R"...],
//          "presence":{"status":ST}}}
//
// L is "everyone" for list 0, else the id as a string; G is a role id
// string, "online" or "offline"; ST is online|idle|dnd|offline. A member
// item's payload comes from roster_member_get, as a host would add it. One
// line, no whitespace. The replay tool's dumps share the head:
//
//   {"dump":L,"member_count":n,"online_count":n,"groups":[...],"rows":[ITEM...]}
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <roster/roster.h>

namespace sim {

class FrameJson {
public:
    // strict (the replay tool): also ROSTER_EINTERNAL for a row of unknown
    // kind and for a member row whose id or group roster_member_get does not
    // confirm. Without it a row that is not a header is taken as a member.
    explicit FrameJson(bool strict = false) : strict_(strict) {}

    // The whole frame. Returns ROSTER_OK, roster_member_get's error, or
    // ROSTER_EINTERNAL for what cannot be printed faithfully (an op of
    // unknown kind, a missing item, and in strict mode the checks above).
    // After an error `out` holds a prefix of the frame.
    int frame(std::string& out, const roster_guild* guild, const roster_frame& f);

    // {"KEY":L,"member_count":n,"online_count":n,"groups":[...],"ARRAY":[
    static void head(std::string& out, std::string_view key, std::uint64_t list_id,
                     std::uint32_t member_count, std::uint32_t online_count,
                     const roster_group* groups, std::size_t group_count,
                     std::string_view array);

    // The parts, for sizing frames that were never sent (the naive strategy).
    // A frame is head, its ops separated by ',', then frame_tail.
    static void frame_head(std::string& out, std::uint64_t list_id, std::uint32_t member_count,
                           std::uint32_t online_count, const roster_group* groups,
                           std::size_t group_count);
    static constexpr std::string_view frame_tail = "]}";
    // A SYNC op is sync_head, its items separated by ',', then sync_tail.
    static void sync_head(std::string& out, std::uint32_t start, std::uint32_t end);
    static constexpr std::string_view sync_tail = "]}";

    int op(std::string& out, const roster_guild* guild, const roster_op& op);
    int item(std::string& out, const roster_guild* guild, const roster_row& row);

    static void append_u64(std::string& out, std::uint64_t v);
    static void append_quoted_u64(std::string& out, std::uint64_t v);

private:
    bool strict_;
    std::vector<std::uint64_t> roles_ = std::vector<std::uint64_t>(16);
};

}  // namespace sim
