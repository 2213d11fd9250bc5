#pragma once

// Validators for numeric flags. CLI11's PositiveNumber and NonNegativeNumber
// print the whole range of a double in their messages ("Value 0 not in range
// 0.000000 to 1797693134862315708145..."); these say what is wrong in a few
// words: "expected a positive number, got '0'".

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

namespace number_flags {

inline CLI::Validator at_least(double low, bool inclusive, const std::string& name) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        const bool ok = end != text.c_str() && *end == '\0' && std::isfinite(value) &&
                        (inclusive ? value >= low : value > low);
        return ok ? "" : "expected a " + name + " number, got '" + text + "'";
      },
      name == "positive" ? "POSITIVE" : "NONNEGATIVE");
}

// A whole number from 0 to `most`, digits only: CLI11 itself would read "-1"
// or a number past the type's range as the largest value, silently.
inline CLI::Validator whole_number(uint64_t most) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        uint64_t value = 0;
        const char* end = text.data() + text.size();
        auto [stop, error] = std::from_chars(text.data(), end, value);
        const bool ok = !text.empty() && error == std::errc() && stop == end && value <= most;
        return ok ? "" : "expected a whole number from 0 to " + std::to_string(most) +
                             ", got '" + text + "'";
      },
      "UINT");
}

inline const CLI::Validator kPositive = at_least(0.0, false, "positive");
inline const CLI::Validator kNonNegative = at_least(0.0, true, "non-negative");

}  // namespace number_flags
