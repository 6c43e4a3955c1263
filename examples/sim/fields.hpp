// Decoding the fields of a replay event (a parsed JSON object).
//
// Each get_* takes the member's value (nullptr when absent) and returns false
// when it is present but ill-typed or out of range. Unless noted, an absent
// value leaves *out as it was (the caller's default) and returns true.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"

namespace sim::fields {

using json::Value;

// Every key of obj is one of allowed.
bool only_keys(const Value& obj, std::initializer_list<std::string_view> allowed);

// An id: a string of decimal digits or an integer number (no sign, fraction
// or exponent) that fits in a u64. Required: absent is false.
bool get_id(const Value* v, std::uint64_t* out);
// A list id: an id, or the string "everyone" for list 0. Required.
bool get_list_id(const Value* v, std::uint64_t* out);
// An array of ids; absent is an empty array.
bool get_ids(const Value* v, std::vector<std::uint64_t>* out);

// A subscription range as written: [start, end], both JSON integer numbers
// (no sign, fraction or exponent) that fit in a u32; start > end is kept
// (the engine swaps the ends).
struct Range {
    std::uint32_t start = 0;
    std::uint32_t end = 0;
};
// An array of ranges. Required: absent is false; [] is an empty array.
bool get_ranges(const Value* v, std::vector<Range>* out);

bool get_bool(const Value* v, bool* out);
bool get_u32(const Value* v, std::uint32_t* out);
bool get_i32(const Value* v, std::int32_t* out);
// "offline" | "online" | "idle" | "dnd" -> roster_presence value.
bool get_status(const Value* v, int* out);
// The string, or nullptr when absent or not a string.
const std::string* get_string(const Value* v);

// Name of a roster_presence value ("unknown" for others).
const char* status_name(std::int32_t status);

}  // namespace sim::fields
