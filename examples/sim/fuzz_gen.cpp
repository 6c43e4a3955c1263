// sim-fuzz-gen: deterministic garbage for the robustness test of
// `roster-sim replay` (tests/replay/fuzz.sh). Not installed.
//
//   sim-fuzz-gen invalid N SEED   N non-blank lines, every one of which the
//                                 replay tool must reject (random bytes,
//                                 truncated events, deep nesting, ill-typed or
//                                 unknown fields, lone surrogates, ids out of
//                                 range, unknown members, an over-long line)
//   sim-fuzz-gen mutate N SEED    N lines: valid events, some with random
//                                 byte edits (any output is acceptable as long
//                                 as the tool survives)
//   sim-fuzz-gen check [errors]   reads the tool's output on stdin: every
//                                 line must be a compact JSON object (valid
//                                 UTF-8) starting with "error" or "dump", or
//                                 a frame line (keys session, id,
//                                 member_count, online_count, groups, ops,
//                                 in that order, ops well-formed); with
//                                 "errors", exactly {"error":S,"line":n}
//                                 with n = 1, 2, 3, ...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <string>
#include <string_view>

#include "json.hpp"

namespace {

using Rng = std::mt19937_64;

// Valid events (in a fresh guild these succeed, or fail with "not found").
constexpr const char* events[] = {
    R"({"type":"role","id":"7","position":3,"hoist":true,"view":true,"admin":false})",
    R"({"type":"member","id":"12","name":"Ann \u00e9\ud83d\ude00","roles":["7"],"status":"online"})",
    R"({"type":"member","id":13,"name":"bob","status":"idle"})",
    R"({"type":"status","id":"12","status":"dnd"})",
    R"({"type":"name","id":"13","name":"Zed"})",
    R"({"type":"roles","id":"13","roles":["7"]})",
    R"({"type":"touch","id":"12"})",
    R"({"type":"list","id":"5","everyone":"deny","overwrites":[{"role":"7","allow":true},{"member":"13","allow":false}]})",
    R"({"type":"dump","list":"everyone"})",
    R"({"type":"dump","list":"5"})",
    R"({"type":"member_remove","id":"13"})",
    R"({"type":"role_remove","id":"7"})",
    R"({"type":"list_remove","id":"5"})",
    R"({"type":"begin"})",
    R"({"type":"commit"})",
    R"({"type":"subscribe","session":"1","list":"everyone","ranges":[[0,99]]})",
    R"({"type":"subscribe","session":2,"list":"5","ranges":[[150,0],[300,310]]})",
    R"({"type":"subscribe","session":"3","list":"0","ranges":[[0,0],[99,100],[900,1000]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[]})",
    R"({"type":"subscribe","session":"2","list":"5","ranges":[[4294967295,4294967000]]})",
    R"({"type":"session_remove","session":"2"})",
    R"({"type":"session_remove","session":3})",
};
constexpr std::size_t event_count = sizeof events / sizeof events[0];

// Valid JSON that the replay tool must reject in a guild without members.
constexpr const char* rejected[] = {
    R"({"type":"config","offline_threshold":5})",  // not the first line
    R"({"type":"nope"})",
    R"({"type":"dump"})",
    R"({"type":"dump","list":"99"})",
    R"({"type":"status","id":"1","status":"online"})",
    R"({"type":"status","id":"1","status":"away"})",
    R"({"type":"member","id":"-1","name":"x"})",
    R"({"type":"member","id":1.5,"name":"x"})",
    R"({"type":"member","id":"18446744073709551616","name":"x"})",
    R"({"type":"member","id":"1","name":"x","roles":["404"]})",
    R"({"type":"member","id":"1","name":""})",
    R"({"type":"member","id":"1"})",
    R"({"type":"role","id":"0"})",
    R"({"type":"role","id":"1","position":2147483648})",
    R"({"type":"role","id":"1","hoist":1})",
    R"({"type":"name","id":"1","name":"\ud800"})",
    R"({"type":"touch","id":"1","extra":true})",
    R"({"type":"commit"})",
    R"({"type":"list","id":"0"})",
    R"({"type":"list","id":"3","everyone":"maybe"})",
    R"({"type":"list_remove","id":"3"})",
    R"({"type":"subscribe","session":"0","list":"everyone","ranges":[[0,1]]})",
    R"({"type":"subscribe","session":"1","list":"99","ranges":[[0,1]]})",
    R"({"type":"subscribe","session":"1","list":"99","ranges":[]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0,1],[2,3],[4,5],[6,7]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0,300]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[4294967295,0]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0,1,2]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[-1,5]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0,4294967296]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0,1.5]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0,1e2]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[["0","1"]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[0,1]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[null,1]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":{"0":1}})",
    R"({"type":"subscribe","session":"1","list":"0"})",
    R"({"type":"subscribe","list":"0","ranges":[[0,1]]})",
    R"({"type":"subscribe","session":"1","ranges":[[0,1]]})",
    R"({"type":"subscribe","session":"1","list":"0","ranges":[[0,1]],"x":0})",
    R"({"type":"session_remove","session":"1"})",
    R"({"type":"session_remove","session":"0"})",
    R"({"type":"session_remove","session":-1})",
    R"({"type":"session_remove"})",
    R"({"type":"role_remove","id":"3"})",
    R"({"type":"member_remove","id":"3"})",
    R"({"type":1})",
    R"({})",
    R"([])",
    R"("member")",
    R"(42)",
    R"(null)",
};
constexpr std::size_t rejected_count = sizeof rejected / sizeof rejected[0];

bool blank(const std::string& s) {
    return s.find_first_not_of(" \t\r") == std::string::npos;
}

std::string random_bytes(Rng& rng) {
    std::string s(1 + rng() % 200, '\0');
    for (char& c : s) {
        c = static_cast<char>(rng() & 0xFF);
        if (c == '\n') c = '#';
    }
    if (blank(s)) s.insert(s.begin(), 'x');
    return s;
}

std::string truncated(Rng& rng) {
    const std::string_view e = events[rng() % event_count];
    return std::string(e.substr(0, 1 + rng() % (e.size() - 1)));
}

std::string deep(Rng& rng) {
    const std::size_t depth = 65 + rng() % 5000;
    switch (rng() % 3) {
    case 0: return std::string(depth, '[') + std::string(depth, ']');
    case 1: return R"({"type":"member","id":"1","name":)" + std::string(depth, '[');
    default: {
        std::string s;
        for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
        return s + "1" + std::string(depth, '}');
    }
    }
}

std::string shallow(Rng& rng) {  // valid JSON within the limits, not an event
    const std::size_t depth = 1 + rng() % 64;
    return std::string(depth, '[') + std::string(depth, ']');
}

std::string invalid_line(Rng& rng, unsigned long i) {
    if (i == 0) return "not json";  // a valid config line would be accepted first
    if (i == 100) return R"({"type":"name","id":"1","name":")" + std::string(1100000, 'a') + "\"}";
    switch (rng() % 5) {
    case 0: return random_bytes(rng);
    case 1: return truncated(rng);
    case 2: return deep(rng);
    case 3: return shallow(rng);
    default: return rejected[rng() % rejected_count];
    }
}

std::string mutated_line(Rng& rng) {
    std::string s = events[rng() % event_count];
    if (rng() % 3 == 0) return s;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
        const std::size_t at = rng() % s.size();
        switch (rng() % 3) {
        case 0: s[at] = static_cast<char>(rng() & 0xFF); break;
        case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), "\"{}[],:\\0-9e"[rng() % 12]); break;
        default: s.erase(at, 1); break;
        }
        if (s.empty()) s.push_back('x');
    }
    for (char& c : s)
        if (c == '\n') c = ' ';
    return s;
}

}  // namespace

// No whitespace outside string literals (line is valid JSON).
bool compact(std::string_view line) {
    bool in_string = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            return false;
        }
    }
    return true;
}

bool is_u32(const sim::json::Value* v) {
    std::uint64_t x;
    return v && sim::json::to_u64(*v, &x) && x <= UINT32_MAX;
}

bool is_id_string(const sim::json::Value* v) {
    return v && v->is_string() && !v->text.empty() &&
           v->text.find_first_not_of("0123456789") == std::string::npos;
}

bool has_keys(const sim::json::Value& v, std::initializer_list<std::string_view> keys) {
    if (!v.is_object() || v.members.size() != keys.size()) return false;
    std::size_t i = 0;
    for (std::string_view k : keys)
        if (v.members[i++].key != k) return false;
    return true;
}

// {"group":{...}} or {"member":{...}}: shape of the first key only.
bool is_item(const sim::json::Value& v) {
    return v.is_object() && v.members.size() == 1 &&
           (v.members[0].key == "group" || v.members[0].key == "member") &&
           v.members[0].value.is_object();
}

// [a, b] with a <= b, both u32.
bool is_range(const sim::json::Value* v) {
    std::uint64_t a, b;
    return v && v->is_array() && v->items.size() == 2 && sim::json::to_u64(v->items[0], &a) &&
           sim::json::to_u64(v->items[1], &b) && a <= b && b <= UINT32_MAX;
}

bool is_op(const sim::json::Value& op) {
    const sim::json::Value* kind = op.find("op");
    if (!kind || !kind->is_string()) return false;
    const std::string& k = kind->text;
    if (k == "SYNC") {
        const sim::json::Value* items = op.find("items");
        if (!has_keys(op, {"op", "range", "items"}) || !is_range(op.find("range")) ||
            !items->is_array())
            return false;
        for (const sim::json::Value& it : items->items)
            if (!is_item(it)) return false;
        return true;
    }
    if (k == "INSERT" || k == "UPDATE")
        return has_keys(op, {"op", "index", "item"}) && is_u32(op.find("index")) &&
               is_item(*op.find("item"));
    if (k == "DELETE") return has_keys(op, {"op", "index"}) && is_u32(op.find("index"));
    if (k == "INVALIDATE") return has_keys(op, {"op", "range"}) && is_range(op.find("range"));
    return false;
}

bool is_frame(const sim::json::Value& v) {
    if (!has_keys(v, {"session", "id", "member_count", "online_count", "groups", "ops"}))
        return false;
    const sim::json::Value* list = v.find("id");
    const sim::json::Value* groups = v.find("groups");
    const sim::json::Value* ops = v.find("ops");
    if (!is_id_string(v.find("session")) ||
        !(is_id_string(list) || (list->is_string() && list->text == "everyone")) ||
        !is_u32(v.find("member_count")) || !is_u32(v.find("online_count")) ||
        !groups->is_array() || !ops->is_array())
        return false;
    for (const sim::json::Value& g : groups->items)
        if (!has_keys(g, {"id", "count"}) || !is_u32(g.find("count"))) return false;
    for (const sim::json::Value& op : ops->items)
        if (!is_op(op)) return false;
    return true;
}

// Why line (1-based number n) is not acceptable output, or nullptr.
const char* check_line(const std::string& line, bool errors_only, unsigned long n) {
    sim::json::Value v;
    sim::json::Limits limits;
    limits.check_utf8 = true;
    limits.max_length = SIZE_MAX;
    if (!sim::json::parse(line, &v, nullptr, limits)) return "not valid JSON";
    if (!compact(line)) return "whitespace outside strings";
    if (!v.is_object() || v.members.empty()) return "not a non-empty object";
    const std::string& first = v.members[0].key;
    if (!errors_only) {
        if (first == "session") return is_frame(v) ? nullptr : "malformed frame";
        return first == "error" || first == "dump" ? nullptr : "unknown object";
    }
    if (first != "error" || v.members.size() != 2 || !v.members[0].value.is_string() ||
        v.members[1].key != "line")
        return "not an error line";
    std::uint64_t number = 0;
    if (!sim::json::to_u64(v.members[1].value, &number) || number != n) return "wrong line number";
    return nullptr;
}

int check(bool errors_only) {
    std::string line;
    unsigned long n = 0;
    int c;
    while ((c = std::getchar()) != EOF) {
        if (c != '\n') {
            line += static_cast<char>(c);
            continue;
        }
        if (const char* why = check_line(line, errors_only, ++n)) {
            std::fprintf(stderr, "output line %lu: %s: %.200s\n", n, why, line.c_str());
            return 1;
        }
        line.clear();
    }
    if (!line.empty()) {
        std::fprintf(stderr, "output ends without a newline\n");
        return 1;
    }
    std::printf("%lu lines ok\n", n);
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 2 && argc <= 3 && std::string_view(argv[1]) == "check")
        return check(argc == 3 && std::string_view(argv[2]) == "errors");
    if (argc != 4) {
        std::fprintf(stderr, "usage: sim-fuzz-gen invalid|mutate N SEED | check [errors]\n");
        return 2;
    }
    const std::string_view mode = argv[1];
    const unsigned long n = std::strtoul(argv[2], nullptr, 10);
    Rng rng(std::strtoull(argv[3], nullptr, 10));
    if (mode != "invalid" && mode != "mutate") {
        std::fprintf(stderr, "sim-fuzz-gen: unknown mode\n");
        return 2;
    }
    for (unsigned long i = 0; i < n; ++i) {
        const std::string line = mode == "invalid" ? invalid_line(rng, i) : mutated_line(rng);
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
