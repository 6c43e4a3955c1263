// A small, self-contained JSON reader and string escaper for roster-sim.
//
// parse() accepts exactly one JSON value (RFC 8259 syntax: objects, arrays,
// strings with every escape including \uXXXX and surrogate pairs, numbers,
// true/false/null) surrounded by optional whitespace, and rejects anything
// else with an offset and a message. It never throws on bad input (only
// std::bad_alloc can escape) and never recurses deeper than max_depth.
//
// Policies:
//  - Strings are byte strings. Escapes decode to UTF-8; a lone surrogate
//    escape (\uD800 without a following low surrogate, or a stray \uDC00) is
//    an error. Raw bytes >= 0x80 are copied verbatim and, unless
//    Limits::check_utf8 is set, not validated (the replay tool leaves that to
//    the engine). Raw control characters (< 0x20) are errors.
//  - Numbers are kept as their literal text; to_u64 / to_i64 convert the
//    integer forms (no fraction, no exponent) with overflow checks.
//  - An object with a duplicate key is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sim::json {

enum class Kind : std::uint8_t { null, boolean, number, string, array, object };

struct Member;

struct Value {
    Kind kind = Kind::null;
    bool boolean = false;       // Kind::boolean
    std::string text;           // Kind::string: decoded bytes; Kind::number: literal
    std::vector<Value> items;   // Kind::array
    std::vector<Member> members;  // Kind::object, in input order

    bool is_null() const { return kind == Kind::null; }
    bool is_bool() const { return kind == Kind::boolean; }
    bool is_number() const { return kind == Kind::number; }
    bool is_string() const { return kind == Kind::string; }
    bool is_array() const { return kind == Kind::array; }
    bool is_object() const { return kind == Kind::object; }

    // Object member by key, or nullptr (also when this is not an object).
    const Value* find(std::string_view key) const;
};

struct Member {
    std::string key;
    Value value;
};

struct Limits {
    std::size_t max_depth = 64;          // nested arrays/objects
    std::size_t max_length = 1u << 20;   // input bytes
    bool check_utf8 = false;             // reject raw invalid UTF-8 in strings
};

struct Error {
    std::size_t offset = 0;     // byte offset in the input
    const char* message = "";   // static string
};

// Parses text into *out. Returns false (and fills *err when non-null) on any
// syntax error or exceeded limit; *out is then unspecified.
bool parse(std::string_view text, Value* out, Error* err = nullptr, const Limits& limits = {});

// Integer conversions of a number literal without fraction or exponent.
// False when v is not such a number or the value does not fit.
bool to_u64(const Value& v, std::uint64_t* out);
bool to_i64(const Value& v, std::int64_t* out);

// Appends s to out as the contents of a JSON string (no quotes): '"' and
// '\\' are backslash-escaped, every byte < 0x20 becomes \u00xx (lower-case
// hex), everything else is copied as is.
void escape(std::string& out, std::string_view s);
// Appends "s" (quoted and escaped).
void append_string(std::string& out, std::string_view s);

// Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace sim::json
