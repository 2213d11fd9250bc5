#pragma once

#include <cstdint>
#include <string>

#include "framework/state_dict.h"

// Numbers in StateDict metadata, written so they read back exactly: doubles
// in their shortest round-trip form ("0.1", "inf", "nan"), integers in
// decimal. The training helpers' state_dicts (early stopping, checkpoints)
// keep their counters this way.
namespace ember::train::detail {

std::string format_double(double value);

void put_double(StateDict& state, const std::string& key, double value);
void put_int(StateDict& state, const std::string& key, int64_t value);

// Read back; throw ember::Error "<owner>: ..." naming the key when it is
// missing or does not parse completely.
double get_double(const StateDict& state, const std::string& key, const std::string& owner);
int64_t get_int(const StateDict& state, const std::string& key, const std::string& owner);
const std::string& get_string(const StateDict& state, const std::string& key,
                              const std::string& owner);

}  // namespace ember::train::detail
