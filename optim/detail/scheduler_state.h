#pragma once

// How schedulers keep their state in StateDict metadata: one entry per field,
// named as PyTorch's scheduler attributes ("last_epoch", "base_lrs", "T_cur"),
// numbers written in the shortest form that reads back to the same double
// ("inf" and "nan" included, which JSON could not hold), lists space-separated.

#include <cstdint>
#include <string>
#include <vector>

#include "framework/state_dict.h"

namespace ember::optim::detail {

std::string format_number(double value);

// Writes fields into a state's metadata.
class StateWriter {
 public:
  explicit StateWriter(StateDict& state) : state_(state) {}

  void put(const std::string& key, double value);
  void put(const std::string& key, int64_t value);
  void put(const std::string& key, bool value);
  void put(const std::string& key, const std::string& value);
  // Without this a string literal would pick the bool overload.
  void put(const std::string& key, const char* value) { put(key, std::string(value)); }
  void put(const std::string& key, const std::vector<double>& values);
  void put(const std::string& key, const std::vector<int64_t>& values);

 private:
  StateDict& state_;
};

// Reads fields back; a missing or malformed entry throws ember::Error naming
// the owner ("StepLR.load_state_dict") and the key.
class StateReader {
 public:
  StateReader(const StateDict& state, std::string owner)
      : state_(state), owner_(std::move(owner)) {}

  double real(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  bool flag(const std::string& key) const;
  const std::string& word(const std::string& key) const;
  std::vector<double> reals(const std::string& key) const;
  std::vector<int64_t> integers(const std::string& key) const;
  // reals() that must hold exactly `count` values (one per param group).
  std::vector<double> reals(const std::string& key, size_t count) const;

 private:
  std::vector<std::string> split(const std::string& key) const;

  const StateDict& state_;
  std::string owner_;
};

}  // namespace ember::optim::detail
