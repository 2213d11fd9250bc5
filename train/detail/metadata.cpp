#include "train/detail/metadata.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "framework/error.h"

namespace ember::train::detail {

std::string format_double(double value) {
  // to_chars writes the shortest string that parses back to the same double.
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  EMBER_ASSERT(error == std::errc());
  return std::string(buffer, end);
}

void put_double(StateDict& state, const std::string& key, double value) {
  state.metadata()[key] = format_double(value);
}

void put_int(StateDict& state, const std::string& key, int64_t value) {
  state.metadata()[key] = std::to_string(value);
}

const std::string& get_string(const StateDict& state, const std::string& key,
                              const std::string& owner) {
  auto found = state.metadata().find(key);
  EMBER_CHECK(found != state.metadata().end(), owner, ": no '", key,
              "' entry in the saved state");
  return found->second;
}

double get_double(const StateDict& state, const std::string& key, const std::string& owner) {
  const std::string& text = get_string(state, key, owner);
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  double value = 0.0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  EMBER_CHECK(!text.empty() && error == std::errc() && end == text.data() + text.size(), owner,
              ": '", key, "' is \"", text, "\", not a number");
  return value;
}

int64_t get_int(const StateDict& state, const std::string& key, const std::string& owner) {
  const std::string& text = get_string(state, key, owner);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  EMBER_CHECK(!text.empty() && error == std::errc() && end == text.data() + text.size(), owner,
              ": '", key, "' is \"", text, "\", not an integer");
  return value;
}

}  // namespace ember::train::detail
