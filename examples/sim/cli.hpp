// The command-line parser of roster-sim and roster-bench: one way for every
// tool and subcommand to read its options.
//
//   --name VALUE  or  --name=VALUE   an option with a value
//   --name                           a flag (a flag given a value is an error)
//   --help, -h                       the usage on stdout; nothing runs
//
// Whole numbers are decimal digits without sign, within the option's
// [min, max] (the full range of a u64 is allowed: 0..18446744073709551615).
// An option given twice takes the last value. Anything else (an unknown
// option, a missing or malformed value, a stray argument) is a usage error:
// one line on stderr naming the problem, then the usage.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

// Decimal digits only, at most UINT64_MAX.
bool parse_u64(std::string_view s, std::uint64_t* out);

class Parser {
public:
    // usage_name: what the usage line starts with ("roster-bench w2").
    explicit Parser(std::string usage_name) : name_(std::move(usage_name)) {}

    // The current value of *value is the default shown in the help.
    void number(std::string_view name, std::uint64_t* value, std::uint64_t min, std::uint64_t max,
                std::string_view help);
    void number(std::string_view name, std::uint32_t* value, std::uint32_t min, std::uint32_t max,
                std::string_view help);
    void flag(std::string_view name, bool* value, std::string_view help);
    // A non-empty string.
    void text(std::string_view name, std::string* value, std::string_view metavar,
              std::string_view help);
    // Lines printed after the options in the help.
    void epilogue(std::string_view text) { epilogue_ = text; }

    enum class Result { ok, help, usage };
    // argv: the arguments after the program (and subcommand) name.
    Result parse(int argc, char** argv);

    // "[--members N] [--verify] ..." (the options in declaration order).
    std::string synopsis() const;
    // The usage line, then options_help().
    std::string help() const;
    // One line (or more) per option with its default, then the epilogue.
    std::string options_help() const;

private:
    enum class Kind { u64, u32, flag, text };
    struct Option {
        std::string name;
        Kind kind;
        void* target;
        std::uint64_t min, max;
        std::string metavar, help, fallback;
    };
    const Option* find(std::string_view name) const;
    bool assign(const Option& o, std::string_view value);
    void error(const std::string& what) const;

    std::string name_;
    std::vector<Option> options_;
    std::string epilogue_;
};

}  // namespace cli
