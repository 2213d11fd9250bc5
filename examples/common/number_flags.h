#pragma once

// Validators for numeric flags. CLI11's PositiveNumber and NonNegativeNumber
// print the whole range of a double in their messages ("Value 0 not in range
// 0.000000 to 1797693134862315708145..."); these say what is wrong in a few
// words: "expected a positive number, got '0'".

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

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

inline const CLI::Validator kPositive = at_least(0.0, false, "positive");
inline const CLI::Validator kNonNegative = at_least(0.0, true, "non-negative");

}  // namespace number_flags
