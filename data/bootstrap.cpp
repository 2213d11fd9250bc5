#include "data/bootstrap.h"

#include "framework/error.h"

namespace ember::data {

BootstrapSample bootstrap_sample(int64_t n, Generator& generator) {
  EMBER_CHECK(n >= 1, "bootstrap_sample: n must be at least 1, got ", n);
  BootstrapSample sample;
  sample.indices = randint(0, n, {n}, kInt64, &generator).to_vector<int64_t>();

  std::vector<bool> drawn(static_cast<size_t>(n), false);
  for (int64_t index : sample.indices) drawn[index] = true;
  for (int64_t i = 0; i < n; ++i) {
    if (!drawn[i]) sample.out_of_bag.push_back(i);
  }
  return sample;
}

BootstrapSample bootstrap_sample(int64_t n, uint64_t seed) {
  Generator generator(seed);
  return bootstrap_sample(n, generator);
}

}  // namespace ember::data
