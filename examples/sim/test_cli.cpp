// Unit tests of the command-line parser (cli.hpp) that roster-sim and
// roster-bench share.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli.hpp"

namespace {

struct Args {
    std::vector<std::string> text;
    std::vector<char*> argv;
    explicit Args(std::vector<std::string> t) : text(std::move(t)) {
        for (std::string& s : text) argv.push_back(s.data());
    }
    int argc() const { return static_cast<int>(argv.size()); }
};

struct Opts {
    std::uint64_t seed = 1;
    std::uint32_t n = 100;
    bool verify = false;
    std::string out;
};

cli::Parser::Result parse(std::vector<std::string> args, Opts* o) {
    cli::Parser p("tool");
    p.number("--seed", &o->seed, 0, UINT64_MAX, "seed");
    p.number("--n", &o->n, 1, 1000, "members");
    p.flag("--verify", &o->verify, "check");
    p.text("--out", &o->out, "FILE", "where");
    Args a(std::move(args));
    return p.parse(a.argc(), a.argv.data());
}

}  // namespace

TEST_SUITE("cli") {

TEST_CASE("whole numbers: the full u64 range, nothing past it") {
    std::uint64_t v = 0;
    CHECK(cli::parse_u64("0", &v));
    CHECK(v == 0);
    CHECK(cli::parse_u64("18446744073709551615", &v));
    CHECK(v == UINT64_MAX);
    CHECK(cli::parse_u64("018446744073709551615", &v) == false);  // 21 digits
    CHECK(cli::parse_u64("18446744073709551616", &v) == false);
    CHECK(cli::parse_u64("99999999999999999999", &v) == false);
    CHECK(cli::parse_u64("", &v) == false);
    CHECK(cli::parse_u64("-1", &v) == false);
    CHECK(cli::parse_u64("+1", &v) == false);
    CHECK(cli::parse_u64("1e3", &v) == false);
    CHECK(cli::parse_u64(" 1", &v) == false);
}

TEST_CASE("options: both spellings, flags, bounds, errors") {
    using R = cli::Parser::Result;
    Opts o;
    CHECK(parse({"--seed", "18446744073709551615", "--n=7", "--verify", "--out", "f"}, &o) == R::ok);
    CHECK(o.seed == UINT64_MAX);
    CHECK(o.n == 7);
    CHECK(o.verify);
    CHECK(o.out == "f");
    Opts d;
    CHECK(parse({}, &d) == R::ok);
    CHECK((d.seed == 1 && d.n == 100 && !d.verify && d.out.empty()));
    CHECK(parse({"--n", "7", "--n", "9"}, &o) == R::ok);
    CHECK(o.n == 9);  // the last one counts
    CHECK(parse({"--seed=18446744073709551616"}, &o) == R::usage);
    CHECK(parse({"--n", "0"}, &o) == R::usage);     // below min
    CHECK(parse({"--n", "1001"}, &o) == R::usage);  // above max
    CHECK(parse({"--n"}, &o) == R::usage);          // no value
    CHECK(parse({"--n="}, &o) == R::usage);
    CHECK(parse({"--verify=1"}, &o) == R::usage);   // a flag takes no value
    CHECK(parse({"--out", ""}, &o) == R::usage);
    CHECK(parse({"--bogus"}, &o) == R::usage);
    CHECK(parse({"stray"}, &o) == R::usage);
    CHECK(parse({"--n", "5", "--help"}, &o) == R::help);
    CHECK(parse({"-h", "--bogus"}, &o) == R::help);
}

TEST_CASE("help lists every option with its default and bounds") {
    Opts o;
    cli::Parser p("tool");
    p.number("--seed", &o.seed, 0, UINT64_MAX, "seed");
    p.flag("--verify", &o.verify, "check");
    const std::string h = p.help();
    CHECK(h.find("usage: tool [--seed N] [--verify]") == 0);
    CHECK(h.find("(default 1; 0..18446744073709551615)") != std::string::npos);
    CHECK(h.find("--verify") != std::string::npos);
}
}
