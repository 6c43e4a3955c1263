// Unit tests of the roster-sim JSON reader (json.hpp).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>

#include "json.hpp"

using namespace sim::json;

namespace {

Value ok(std::string_view text) {
    Value v;
    Error e;
    const bool parsed = parse(text, &v, &e);
    INFO("input: ", std::string(text), " error: ", e.message, " at ", e.offset);
    REQUIRE(parsed);
    return v;
}

bool bad(std::string_view text, const Limits& limits = {}) {
    Value v;
    return !parse(text, &v, nullptr, limits);
}

std::string str(std::string_view text) {
    Value v = ok(text);
    REQUIRE(v.is_string());
    return v.text;
}

}  // namespace

TEST_CASE("scalars") {
    CHECK(ok("null").is_null());
    CHECK(ok(" true ").boolean);
    CHECK_FALSE(ok("\tfalse\r\n").boolean);
    CHECK(ok("false").is_bool());
    Value n = ok("-12.5e+3");
    CHECK(n.is_number());
    CHECK(n.text == "-12.5e+3");
    CHECK(ok("0").text == "0");
    CHECK(ok("-0").text == "-0");
    CHECK(ok("1E9").text == "1E9");
    CHECK(ok("\"\"").text.empty());
}

TEST_CASE("bad literals and numbers") {
    for (const char* s : {"", " ", "nul", "nulll", "True", "tru", "falsey", "01", "-", "+1", "1.",
                          ".5", "1e", "1e+", "0x10", "--1", "1.e3", "NaN", "Infinity", "-0.",
                          "1 2", "\"a\" x", "\x80", "'a'"})
        CHECK_MESSAGE(bad(s), s);
}

TEST_CASE("arrays and objects") {
    Value v = ok(R"( { "a" : [1, "x", {"b": null}, []], "c": {} } )");
    REQUIRE(v.is_object());
    REQUIRE(v.members.size() == 2);
    CHECK(v.members[0].key == "a");
    const Value* a = v.find("a");
    REQUIRE(a);
    REQUIRE(a->is_array());
    REQUIRE(a->items.size() == 4);
    CHECK(a->items[0].text == "1");
    CHECK(a->items[1].text == "x");
    CHECK(a->items[2].find("b")->is_null());
    CHECK(a->items[3].items.empty());
    CHECK(v.find("c")->is_object());
    CHECK(v.find("zz") == nullptr);
    CHECK(a->find("a") == nullptr);  // not an object
    CHECK(ok("[]").is_array());
    CHECK(ok("{}").is_object());
}

TEST_CASE("bad structure") {
    for (const char* s : {"[", "]", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}",
                          "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{1:2}", "[1}", "{\"a\":1]",
                          "{\"a\":1,\"a\":2}", "{\"a\":1} {}", "[\"a\",", "{\"a\":1,\"b\""})
        CHECK_MESSAGE(bad(s), s);
}

TEST_CASE("string escapes") {
    CHECK(str(R"("a\"b\\c\/d")") == "a\"b\\c/d");
    CHECK(str(R"("\b\f\n\r\t")") == "\b\f\n\r\t");
    CHECK(str(R"("\u0041\u00e9\u20AC")") == "A\xC3\xA9\xE2\x82\xAC");
    CHECK(str(R"("\u0000")") == std::string(1, '\0'));
    CHECK(str(R"("\uD83D\uDE00")") == "\xF0\x9F\x98\x80");  // U+1F600
    CHECK(str(R"("\udbff\udfff")") == "\xF4\x8F\xBF\xBF");  // U+10FFFF
    CHECK(str(R"("\u07FF\u0800\uFFFF")") == "\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF");
    CHECK(str("\"caf\xC3\xA9\"") == "caf\xC3\xA9");
}

TEST_CASE("bad strings") {
    for (const char* s : {"\"abc", "\"\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\uD800\"",
                          "\"\\uDC00\"", "\"\\uD800x\"", "\"\\uD800\\u0041\"",
                          "\"\\uD800\\uD800\"", "\"\\uD800\\\"", "\"a\nb\"", "\"\t\"", "\"\x01\"",
                          "\"\\", "\"\\u"})
        CHECK_MESSAGE(bad(s), s);
}

TEST_CASE("raw UTF-8 is passed through unless checked") {
    const std::string invalid = "\"a\xFF\xC0\x80\"";
    CHECK(str(invalid) == "a\xFF\xC0\x80");
    Limits strict;
    strict.check_utf8 = true;
    CHECK(bad(invalid, strict));
    CHECK(bad("\"\xED\xA0\x80\"", strict));  // encoded surrogate
    Value v;
    CHECK(parse("\"\xE2\x82\xAC\"", &v, nullptr, strict));
}

TEST_CASE("depth and length limits") {
    const std::string deep64 = std::string(64, '[') + std::string(64, ']');
    const std::string deep65 = std::string(65, '[') + std::string(65, ']');
    CHECK(ok(deep64).is_array());
    CHECK(bad(deep65));
    CHECK(bad(std::string(100000, '[')));
    CHECK(bad(std::string(100000, '{')));
    std::string objs;
    for (int i = 0; i < 65; ++i) objs += "{\"a\":";
    objs += "1" + std::string(65, '}');
    CHECK(bad(objs));
    Limits small;
    small.max_length = 8;
    CHECK(bad("[1,2,3,4,5]", small));
    Value v;
    CHECK(parse("[1,2,3]", &v, nullptr, small));
    Error e;
    CHECK_FALSE(parse(deep65, &v, &e));
    CHECK(std::string(e.message) == "nesting too deep");
}

TEST_CASE("integer conversions") {
    std::uint64_t u = 0;
    std::int64_t i = 0;
    CHECK(to_u64(ok("18446744073709551615"), &u));
    CHECK(u == UINT64_MAX);
    CHECK_FALSE(to_u64(ok("18446744073709551616"), &u));
    CHECK_FALSE(to_u64(ok("-1"), &u));
    CHECK_FALSE(to_u64(ok("-0"), &u));
    CHECK_FALSE(to_u64(ok("1.0"), &u));
    CHECK_FALSE(to_u64(ok("1e3"), &u));
    CHECK_FALSE(to_u64(ok("\"1\""), &u));
    CHECK(to_u64(ok("0"), &u));
    CHECK(u == 0);
    CHECK(to_i64(ok("-9223372036854775808"), &i));
    CHECK(i == INT64_MIN);
    CHECK(to_i64(ok("9223372036854775807"), &i));
    CHECK(i == INT64_MAX);
    CHECK_FALSE(to_i64(ok("9223372036854775808"), &i));
    CHECK_FALSE(to_i64(ok("-9223372036854775809"), &i));
    CHECK(to_i64(ok("-42"), &i));
    CHECK(i == -42);
}

TEST_CASE("escape") {
    std::string out;
    append_string(out, std::string_view("a\"b\\c\n\x01\x1f\x7f/\xC3\xA9\0z", 14));
    CHECK(out == "\"a\\\"b\\\\c\\u000a\\u0001\\u001f\x7f/\xC3\xA9\\u0000z\"");
    // Round trip through the parser.
    Value v = ok(out);
    CHECK(v.text == std::string_view("a\"b\\c\n\x01\x1f\x7f/\xC3\xA9\0z", 14));
}

TEST_CASE("valid_utf8") {
    CHECK(valid_utf8(""));
    CHECK(valid_utf8("abc\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
    CHECK_FALSE(valid_utf8("\xC3"));
    CHECK_FALSE(valid_utf8("\xC0\x80"));
    CHECK_FALSE(valid_utf8("\xED\xA0\x80"));
    CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));
    CHECK_FALSE(valid_utf8("\xFF"));
}

TEST_CASE("garbage never crashes, mutations of valid documents") {
    std::mt19937_64 rng(12345);
    const std::string seeds[] = {
        R"({"type":"member","id":"12","name":"A\u00e9\ud83d\ude00","roles":["1",2],"status":"online"})",
        R"([1,-2.5e-3,true,false,null,{"a":[[]]},"x\n"])",
    };
    Value v;
    for (int iter = 0; iter < 20000; ++iter) {
        std::string s = seeds[iter % 2];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < edits && !s.empty(); ++k) {
            const std::size_t at = rng() % s.size();
            switch (rng() % 3) {
            case 0: s[at] = static_cast<char>(rng() & 0xFF); break;
            case 1: s.erase(at, 1 + rng() % 8); break;
            default: s.resize(at); break;
            }
        }
        (void)parse(s, &v);  // must simply return
    }
    static const char alphabet[] = "{}[]\",:\\u0123456789eE.-+tfnrl \x80\xff";
    for (int iter = 0; iter < 5000; ++iter) {
        std::string s(rng() % 64, '\0');
        for (char& c : s) c = alphabet[rng() % (sizeof alphabet - 1)];
        (void)parse(s, &v);
    }
    CHECK(true);
}
