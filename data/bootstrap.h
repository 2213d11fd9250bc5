#pragma once

#include <cstdint>
#include <vector>

#include "framework/random.h"

namespace ember::data {

struct BootstrapSample {
  // n draws from [0, n) with replacement, in drawing order.
  std::vector<int64_t> indices;
  // The indices never drawn, ascending: about n / e of them for large n.
  std::vector<int64_t> out_of_bag;
};

// A bootstrap resample of n examples (for bagging and out-of-bag estimates).
// Throws ember::Error for n < 1.
BootstrapSample bootstrap_sample(int64_t n, Generator& generator);
BootstrapSample bootstrap_sample(int64_t n, uint64_t seed);

}  // namespace ember::data
