#pragma once

// Formats option values the way Python's repr() prints them, so a module's
// extra_repr() reads exactly as PyTorch's print(model): 1e-05 for 1e-5, 0.1,
// True/False, None, (3, 2) and (5,) for tuples.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "framework/tensor.h"

namespace ember::detail {

// Python's repr of a float: the shortest digits that read back to the same
// double, in positional notation when the decimal exponent is in [-4, 16),
// else in scientific notation with a signed, at least two-digit exponent.
inline std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";

  // Shortest round-trip digits and decimal exponent, from "d.ddde±x".
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                    std::chars_format::scientific);
  std::string_view text(buffer, static_cast<size_t>(end - buffer));
  const bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  const size_t e_at = text.find('e');
  const int exponent = std::atoi(std::string(text.substr(e_at + 1)).c_str());
  std::string digits;
  for (char c : text.substr(0, e_at)) {
    if (c != '.') digits += c;
  }

  // Appends only: GCC 12 misreports "." + std::string as an overlapping memcpy.
  std::string out = negative ? "-" : "";
  const int count = static_cast<int>(digits.size());
  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (count > 1) out.append(".").append(digits, 1);
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out += '0';
    return out.append(std::to_string(magnitude));
  }
  if (exponent < 0) return out.append("0.").append(-exponent - 1, '0').append(digits);
  if (count <= exponent + 1) return out.append(digits).append(exponent + 1 - count, '0') + ".0";
  return out.append(digits, 0, exponent + 1).append(".").append(digits, exponent + 1);
}

// A number as Python prints it when the default was written as an int (as
// nn.Softplus's beta=1, threshold=20): whole values without ".0".
inline std::string python_number(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::abs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  return python_float(value);
}

inline std::string python_bool(bool value) { return value ? "True" : "False"; }

inline std::string python_optional(const std::optional<double>& value) {
  return value ? python_float(*value) : "None";
}

// A tuple: "(3, 2)", and "(5,)" for one element.
inline std::string python_tuple(const Shape& values) {
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(values[i]);
  }
  return out + (values.size() == 1 ? ",)" : ")");
}

// A size option as the user gave it to PyTorch: a lone int as "2", several
// as a tuple. (One value given as a one-element tuple also prints as "2".)
inline std::string python_size(const Shape& values) {
  return values.size() == 1 ? std::to_string(values[0]) : python_tuple(values);
}

}  // namespace ember::detail
