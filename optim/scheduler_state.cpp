#include "optim/detail/scheduler_state.h"

#include <charconv>
#include <sstream>
#include <system_error>

#include "framework/error.h"

namespace ember::optim::detail {

namespace {

template <typename T>
std::string join(const std::vector<T>& values) {
  std::string text;
  for (size_t k = 0; k < values.size(); ++k) {
    if (k > 0) text += ' ';
    if constexpr (std::is_same_v<T, double>) {
      text += format_number(values[k]);
    } else {
      text += std::to_string(values[k]);
    }
  }
  return text;
}

// Parses the whole of `text` as T; false on trailing characters or overflow.
template <typename T>
bool parse(const std::string& text, T& value) {
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && stop == end;
}

}  // namespace

std::string format_number(double value) {
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  EMBER_ASSERT(error == std::errc());
  return std::string(buffer, end);
}

void StateWriter::put(const std::string& key, double value) {
  state_.metadata()[key] = format_number(value);
}

void StateWriter::put(const std::string& key, int64_t value) {
  state_.metadata()[key] = std::to_string(value);
}

void StateWriter::put(const std::string& key, bool value) {
  state_.metadata()[key] = value ? "true" : "false";
}

void StateWriter::put(const std::string& key, const std::string& value) {
  state_.metadata()[key] = value;
}

void StateWriter::put(const std::string& key, const std::vector<double>& values) {
  state_.metadata()[key] = join(values);
}

void StateWriter::put(const std::string& key, const std::vector<int64_t>& values) {
  state_.metadata()[key] = join(values);
}

const std::string& StateReader::word(const std::string& key) const {
  auto found = state_.metadata().find(key);
  EMBER_CHECK(found != state_.metadata().end(), owner_, ": the state has no '", key,
              "' entry; expected the state_dict() of the same kind of scheduler");
  return found->second;
}

double StateReader::real(const std::string& key) const {
  double value = 0;
  EMBER_CHECK(parse(word(key), value), owner_, ": entry '", key, "' is '", word(key),
              "', not a number");
  return value;
}

int64_t StateReader::integer(const std::string& key) const {
  int64_t value = 0;
  EMBER_CHECK(parse(word(key), value), owner_, ": entry '", key, "' is '", word(key),
              "', not an integer");
  return value;
}

bool StateReader::flag(const std::string& key) const {
  const std::string& text = word(key);
  EMBER_CHECK(text == "true" || text == "false", owner_, ": entry '", key, "' is '", text,
              "', not true or false");
  return text == "true";
}

std::vector<std::string> StateReader::split(const std::string& key) const {
  std::istringstream words(word(key));
  std::vector<std::string> parts;
  std::string part;
  while (words >> part) parts.push_back(part);
  return parts;
}

std::vector<double> StateReader::reals(const std::string& key) const {
  std::vector<double> values;
  for (const std::string& part : split(key)) {
    double value = 0;
    EMBER_CHECK(parse(part, value), owner_, ": entry '", key, "' holds '", part,
                "', not a number");
    values.push_back(value);
  }
  return values;
}

std::vector<double> StateReader::reals(const std::string& key, size_t count) const {
  std::vector<double> values = reals(key);
  EMBER_CHECK(values.size() == count, owner_, ": entry '", key, "' holds ", values.size(),
              " values but the optimizer has ", count, " param groups");
  return values;
}

std::vector<int64_t> StateReader::integers(const std::string& key) const {
  std::vector<int64_t> values;
  for (const std::string& part : split(key)) {
    int64_t value = 0;
    EMBER_CHECK(parse(part, value), owner_, ": entry '", key, "' holds '", part,
                "', not an integer");
    values.push_back(value);
  }
  return values;
}

}  // namespace ember::optim::detail
