// Decoding the fields of a replay event: see fields.hpp.
#include "fields.hpp"

namespace sim::fields {

namespace {

constexpr const char* status_names[] = {"offline", "online", "idle", "dnd"};

bool decimal_u64(std::string_view s, std::uint64_t* out) {
    if (s.empty()) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

}  // namespace

bool only_keys(const Value& obj, std::initializer_list<std::string_view> allowed) {
    for (const json::Member& m : obj.members) {
        bool ok = false;
        for (std::string_view k : allowed) ok = ok || m.key == k;
        if (!ok) return false;
    }
    return true;
}

bool get_id(const Value* v, std::uint64_t* out) {
    if (!v) return false;
    if (v->is_string()) return decimal_u64(v->text, out);
    return json::to_u64(*v, out);
}

bool get_list_id(const Value* v, std::uint64_t* out) {
    if (v && v->is_string() && v->text == "everyone") {
        *out = 0;
        return true;
    }
    return get_id(v, out);
}

bool get_ids(const Value* v, std::vector<std::uint64_t>* out) {
    out->clear();
    if (!v) return true;  // absent: none
    if (!v->is_array()) return false;
    out->resize(v->items.size());
    for (std::size_t i = 0; i < v->items.size(); ++i)
        if (!get_id(&v->items[i], &(*out)[i])) return false;
    return true;
}

bool get_ranges(const Value* v, std::vector<Range>* out) {
    out->clear();
    if (!v || !v->is_array()) return false;
    out->resize(v->items.size());
    for (std::size_t i = 0; i < v->items.size(); ++i) {
        const Value& r = v->items[i];
        if (!r.is_array() || r.items.size() != 2 || !get_u32(&r.items[0], &(*out)[i].start) ||
            !get_u32(&r.items[1], &(*out)[i].end))
            return false;
    }
    return true;
}

bool get_bool(const Value* v, bool* out) {
    if (!v) return true;  // absent: keep the default
    if (!v->is_bool()) return false;
    *out = v->boolean;
    return true;
}

bool get_u32(const Value* v, std::uint32_t* out) {
    if (!v) return true;
    std::uint64_t x;
    if (!json::to_u64(*v, &x) || x > UINT32_MAX) return false;
    *out = static_cast<std::uint32_t>(x);
    return true;
}

bool get_i32(const Value* v, std::int32_t* out) {
    if (!v) return true;
    std::int64_t x;
    if (!json::to_i64(*v, &x) || x < INT32_MIN || x > INT32_MAX) return false;
    *out = static_cast<std::int32_t>(x);
    return true;
}

const char* status_name(std::int32_t s) {
    return s >= 0 && s < 4 ? status_names[s] : "unknown";
}

bool get_status(const Value* v, int* out) {
    if (!v) return true;
    if (!v->is_string()) return false;
    for (int i = 0; i < 4; ++i) {
        if (v->text == status_names[i]) {
            *out = i;
            return true;
        }
    }
    return false;
}

const std::string* get_string(const Value* v) {
    return v && v->is_string() ? &v->text : nullptr;
}

}  // namespace sim::fields
