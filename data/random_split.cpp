#include "data/random_split.h"

#include <cmath>
#include <numeric>

#include "framework/error.h"

namespace ember::data {

std::vector<int64_t> split_lengths(int64_t n, const std::vector<double>& lengths) {
  EMBER_CHECK(!lengths.empty(), "random_split: expected at least one length");
  double sum = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  std::vector<int64_t> sizes;

  // Fractions, when they sum to 1 (PyTorch's test: isclose and <= 1).
  if (std::abs(sum - 1.0) <= 1e-9 && sum <= 1.0) {
    for (size_t i = 0; i < lengths.size(); ++i) {
      EMBER_CHECK(lengths[i] >= 0 && lengths[i] <= 1, "random_split: fraction ", lengths[i],
                  " at index ", i, " is not between 0 and 1");
      sizes.push_back(static_cast<int64_t>(std::floor(n * lengths[i])));
    }
    int64_t remainder = n - std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
    for (int64_t i = 0; i < remainder; ++i) ++sizes[i % sizes.size()];
    return sizes;
  }

  for (size_t i = 0; i < lengths.size(); ++i) {
    EMBER_CHECK(lengths[i] >= 0 && lengths[i] == std::floor(lengths[i]), "random_split: length ",
                lengths[i], " at index ", i, " is neither a whole count nor part of fractions"
                " summing to 1 (they sum to ", sum, ")");
    sizes.push_back(static_cast<int64_t>(lengths[i]));
  }
  int64_t total = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
  EMBER_CHECK(total == n, "random_split: the lengths sum to ", total, " but the dataset has ", n,
              " examples; they must be equal");
  return sizes;
}

std::vector<Subset> random_split(const DatasetPtr& dataset, const std::vector<double>& lengths,
                                 Generator& generator) {
  EMBER_CHECK(dataset != nullptr, "random_split: the dataset is null");
  std::vector<int64_t> sizes = split_lengths(dataset->size(), lengths);
  std::vector<int64_t> order = randperm(dataset->size(), &generator).to_vector<int64_t>();

  std::vector<Subset> subsets;
  auto next = order.begin();
  for (int64_t size : sizes) {
    subsets.emplace_back(dataset, std::vector<int64_t>(next, next + size));
    next += size;
  }
  return subsets;
}

std::vector<Subset> random_split(const DatasetPtr& dataset, const std::vector<double>& lengths,
                                 uint64_t seed) {
  Generator generator(seed);
  return random_split(dataset, lengths, generator);
}

}  // namespace ember::data
