#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ember {

// Every caller mistake (bad shape, dtype, index, file) surfaces as an Error
// whose message names the op and what was wrong.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Formats a shape the same way everywhere: [2, 3, 4].
std::string format_shape(const std::vector<int64_t>& shape);

namespace detail {

inline void append(std::ostringstream&) {}

template <typename T, typename... Rest>
void append(std::ostringstream& out, const T& value, const Rest&... rest) {
  if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    out << format_shape(value);
  } else {
    out << value;
  }
  append(out, rest...);
}

template <typename... Parts>
[[noreturn]] void throw_error(const Parts&... parts) {
  std::ostringstream out;
  append(out, parts...);
  throw Error(out.str());
}

[[noreturn]] void internal_error(const char* condition, const char* file, int line);

}  // namespace detail
}  // namespace ember

// Caller mistakes: the message is only built when the check fails.
// EMBER_CHECK(a.dim() == 2, "matmul: expected a matrix, got ", a.shape());
#define EMBER_CHECK(condition, ...)                   \
  do {                                                \
    if (!(condition)) {                               \
      ::ember::detail::throw_error(__VA_ARGS__);      \
    }                                                 \
  } while (false)

// Invariants of ember itself; a failure is a framework bug, not a user error.
#define EMBER_ASSERT(condition)                                          \
  do {                                                                   \
    if (!(condition)) {                                                  \
      ::ember::detail::internal_error(#condition, __FILE__, __LINE__);   \
    }                                                                    \
  } while (false)
