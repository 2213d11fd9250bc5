#pragma once

#include <cstdint>
#include <vector>

#include "data/subset.h"
#include "framework/random.h"

namespace ember::data {

// Splits `dataset` into non-overlapping random subsets, as PyTorch 1.13's
// torch.utils.data.random_split:
//   random_split(train, {55000, 5000}, 0)   // counts summing to size()
//   random_split(train, {0.8, 0.1, 0.1}, 0) // fractions summing to 1: each
//     gets floor(n * fraction), then the remainder goes one by one to the
//     first subsets.
// The permutation comes from Generator(seed), or from `generator`.
// Throws ember::Error for a null dataset, negative lengths, fractions outside
// [0, 1], lengths that are neither whole numbers nor fractions summing to 1,
// or counts whose sum differs from the dataset's size.
std::vector<Subset> random_split(const DatasetPtr& dataset, const std::vector<double>& lengths,
                                 uint64_t seed);
std::vector<Subset> random_split(const DatasetPtr& dataset, const std::vector<double>& lengths,
                                 Generator& generator);

// The subset sizes random_split makes of n examples for `lengths`.
std::vector<int64_t> split_lengths(int64_t n, const std::vector<double>& lengths);

}  // namespace ember::data
