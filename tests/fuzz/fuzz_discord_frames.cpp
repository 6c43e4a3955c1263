// libFuzzer target: the Discord frame encoder (roster_discord_encode_frame)
// on frames made from the input: groups, ops of every kind (and kinds that
// do not exist), rows of both kinds (and bad ones), the host's member and
// presence JSON (objects with arbitrary strings, empty ones, and texts that
// are not objects), a host list id text of arbitrary bytes, and a buffer of
// any size. Oracles: the status is EINVAL exactly when the frame has a bad
// part; otherwise measuring gives the size, a buffer of that size gets the
// whole text, which the reference JSON reader (examples/sim/json.hpp, code
// independent of the library) parses as the documented object with as many
// groups and ops as the frame; a smaller buffer gets ELIMIT, the same size,
// a prefix of that text and not one byte past its end.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <roster/discord.h>

#include "json.hpp"

namespace {

struct Input {
    const std::uint8_t* p;
    std::size_t n;
    std::uint8_t byte() {
        if (!n) return 0;
        --n;
        return *p++;
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = v << 8 | byte();
        return v;
    }
    std::uint64_t u64() { return std::uint64_t(u32()) << 32 | u32(); }
    std::string bytes(std::size_t max) {
        std::string s;
        const std::size_t k = byte() % (max + 1);
        for (std::size_t i = 0; i < k && n; ++i) s.push_back(char(byte()));
        return s;
    }
};

[[noreturn]] void fail(const char* what, const std::string& text = "") {
    std::fprintf(stderr, "oracle failed: %s\n%.*s\n", what, int(text.size() > 2000 ? 2000 : text.size()),
                 text.c_str());
    std::abort();
}

struct Host {
    std::map<std::uint64_t, std::pair<std::string, std::string>> json;  // member, presence
    std::map<std::uint64_t, bool> has_presence;
    static int fn(const char** m, std::size_t* ml, const char** p, std::size_t* pl,
                  std::uint64_t user, void* u) {
        Host* h = static_cast<Host*>(u);
        auto it = h->json.find(user);
        if (it == h->json.end()) fail("callback asked for a user not in the frame");
        *m = it->second.first.data();
        *ml = it->second.first.size();
        if (h->has_presence[user]) {
            *p = it->second.second.data();
            *pl = it->second.second.size();
        }
        return ROSTER_OK;
    }
};

std::uint64_t pick_id(Input& in) {
    switch (in.byte() % 4) {
        case 0: return ROSTER_GROUP_ONLINE;
        case 1: return ROSTER_GROUP_OFFLINE;
        case 2: return 1 + in.byte();
        default: return in.u64();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in{data, size};
    Host host;
    bool bad = false;
    std::vector<roster_group> groups(in.byte() % 6);
    for (roster_group& g : groups) g = roster_group{pick_id(in), in.u32()};
    std::vector<roster_op> ops(in.byte() % 8);
    std::vector<std::vector<roster_row>> rows(ops.size());
    auto add_row = [&](std::vector<roster_row>& v) {
        const std::uint8_t k = in.byte();
        roster_row r{k % 7 == 6 ? 2u + k : (k % 2 ? ROSTER_ROW_MEMBER : ROSTER_ROW_HEADER), 0,
                     pick_id(in), 0};
        if (r.kind > ROSTER_ROW_MEMBER) bad = true;
        if (r.kind == ROSTER_ROW_HEADER) r.count = in.u32();
        if (r.kind == ROSTER_ROW_MEMBER) {
            r.user = 1 + in.byte() % 16;
            if (!host.json.count(r.user)) {
                const std::uint8_t mode = in.byte();
                std::string m, p;
                switch (mode % 5) {
                    case 0: m = "{}"; break;
                    case 1: m = " \n{ }\t"; break;
                    case 2: m = "[" + std::to_string(mode) + "]"; bad = true; break;
                    default:
                        m = "{\"user\":{\"id\":\"" + std::to_string(r.user) + "\",\"username\":";
                        sim::json::append_string(m, in.bytes(24));
                        m += "},\"roles\":[],\"nick\":null}";
                }
                p = "{\"status\":";
                sim::json::append_string(p, in.bytes(8));
                p += "}";
                host.has_presence[r.user] = mode & 8;
                if ((mode & 24) == 24) {
                    p = "online";  // not an object
                    if (host.has_presence[r.user]) bad = true;
                }
                host.json[r.user] = {m, p};
            }
        }
        v.push_back(r);
    };
    for (std::size_t i = 0; i < ops.size(); ++i) {
        roster_op& op = ops[i];
        const std::uint8_t k = in.byte();
        op.kind = k % 6 == 5 ? 5u + k : k % 5;
        op.index = in.byte() % 4 == 0 ? in.u32() : in.byte();
        op.end = op.index + in.byte() % 200;
        if (op.end < op.index || in.byte() % 16 == 0) op.end = op.index - 1 - in.byte() % 3;
        std::size_t items = 0;
        switch (op.kind) {
            case ROSTER_OP_SYNC: items = in.byte() % 5; break;
            case ROSTER_OP_INSERT:
            case ROSTER_OP_UPDATE: items = in.byte() % 9 == 0 ? 0 : 1; break;
            default: items = 0;
        }
        for (std::size_t j = 0; j < items; ++j) add_row(rows[i]);
        op.item_count = std::uint32_t(items);
        op.items = rows[i].empty() ? nullptr : rows[i].data();
        if (op.kind > ROSTER_OP_INVALIDATE) bad = true;
        if ((op.kind == ROSTER_OP_SYNC || op.kind == ROSTER_OP_INVALIDATE) && op.end < op.index)
            bad = true;
        if ((op.kind == ROSTER_OP_INSERT || op.kind == ROSTER_OP_UPDATE) && items != 1) bad = true;
    }
    roster_frame f{};
    f.list_id = in.byte() % 2 ? 0 : in.u64();
    f.member_count = in.u32();
    f.online_count = in.u32();
    f.groups = groups.empty() ? nullptr : groups.data();
    f.group_count = groups.size();
    f.ops = ops.empty() ? nullptr : ops.data();
    f.op_count = ops.size();
    roster_discord_encoder e = ROSTER_DISCORD_ENCODER_INIT;
    e.guild_id = in.u64();
    e.seq = in.u64();
    e.member = &Host::fn;
    e.user_data = &host;
    std::string list_text;
    if (in.byte() % 4 == 0) {
        list_text = in.bytes(16);
        list_text = list_text.c_str();  // up to the first NUL
        e.list_id = list_text.c_str();
    }
    const std::size_t cap_pick = in.u32() % 4096;

    std::size_t need = 0;
    const int measured = roster_discord_encode_frame(&need, nullptr, 0, &f, &e);
    if (bad) {
        if (measured != ROSTER_EINVAL) fail("a bad frame was not refused with EINVAL");
        return 0;
    }
    if (measured != ROSTER_ELIMIT || need == 0) fail("measuring did not give ELIMIT and a size");
    std::string buf(need + 64, '\x5a');
    std::size_t len = 0;
    if (roster_discord_encode_frame(&len, buf.data(), need, &f, &e) != ROSTER_OK || len != need)
        fail("a buffer of the measured size was refused");
    for (std::size_t i = need; i < buf.size(); ++i)
        if (buf[i] != '\x5a') fail("written past the end");
    const std::string text = buf.substr(0, need);
    sim::json::Value v;
    sim::json::Error err;
    if (!sim::json::parse(text, &v, &err, sim::json::Limits{64, SIZE_MAX, false}))
        fail("not valid JSON", text);
    const sim::json::Value* d = v.find("d");
    if (!v.is_object() || !v.find("op") || !v.find("t") || !v.find("s") || !d || !d->is_object())
        fail("not a dispatch", text);
    const sim::json::Value* g = d->find("groups");
    const sim::json::Value* o = d->find("ops");
    if (!g || !o || g->items.size() != groups.size() || o->items.size() != ops.size() ||
        !d->find("guild_id") || !d->find("guild_id")->is_string() || !d->find("id") ||
        !d->find("member_count") || !d->find("online_count"))
        fail("fields missing or counts wrong", text);
    if (e.list_id && d->find("id")->text != list_text) fail("list id text changed", text);

    // A smaller buffer: ELIMIT, the same size, a prefix, nothing past it.
    if (need > 1) {
        const std::size_t cap = cap_pick % need;
        std::string small(need + 8, '\x5a');
        std::size_t n2 = 0;
        if (roster_discord_encode_frame(&n2, small.data(), cap, &f, &e) != ROSTER_ELIMIT ||
            n2 != need)
            fail("a small buffer did not give ELIMIT and the size");
        if (small.compare(0, cap, text, 0, cap) != 0) fail("a small buffer got other bytes");
        for (std::size_t i = cap; i < small.size(); ++i)
            if (small[i] != '\x5a') fail("written past a small buffer's end");
    }
    return 0;
}
