#include "data/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "framework/error.h"

namespace ember::data {
namespace {

std::vector<int64_t> permutation(int64_t n, Generator& generator) {
  return randperm(n, &generator).to_vector<int64_t>();
}

}  // namespace

SequentialSampler::SequentialSampler(int64_t n) : n_(n) {
  EMBER_CHECK(n >= 0, "SequentialSampler: n must be non-negative, got ", n);
}

std::vector<int64_t> SequentialSampler::indices(Generator&) const {
  std::vector<int64_t> result(static_cast<size_t>(n_));
  std::iota(result.begin(), result.end(), int64_t{0});
  return result;
}

RandomSampler::RandomSampler(int64_t n, const RandomSamplerOptions& options)
    : n_(n), num_samples_(options.num_samples.value_or(n)), replacement_(options.replacement) {
  EMBER_CHECK(n >= 0, "RandomSampler: n must be non-negative, got ", n);
  EMBER_CHECK(num_samples_ > 0, "RandomSampler: num_samples must be positive, got ",
              num_samples_, n == 0 ? " (the dataset is empty)" : "");
  EMBER_CHECK(n > 0, "RandomSampler: cannot draw ", num_samples_,
              " samples from an empty dataset");
}

std::vector<int64_t> RandomSampler::indices(Generator& generator) const {
  if (replacement_) return randint(0, n_, {num_samples_}, kInt64, &generator).to_vector<int64_t>();

  std::vector<int64_t> result;
  result.reserve(static_cast<size_t>(num_samples_));
  while (static_cast<int64_t>(result.size()) < num_samples_) {
    std::vector<int64_t> order = permutation(n_, generator);
    auto take = std::min<int64_t>(n_, num_samples_ - static_cast<int64_t>(result.size()));
    result.insert(result.end(), order.begin(), order.begin() + take);
  }
  return result;
}

SubsetRandomSampler::SubsetRandomSampler(std::vector<int64_t> indices)
    : indices_(std::move(indices)) {}

std::vector<int64_t> SubsetRandomSampler::indices(Generator& generator) const {
  std::vector<int64_t> order = permutation(size(), generator);
  std::vector<int64_t> result(order.size());
  for (size_t i = 0; i < order.size(); ++i) result[i] = indices_[static_cast<size_t>(order[i])];
  return result;
}

WeightedRandomSampler::WeightedRandomSampler(std::vector<double> weights, int64_t num_samples,
                                             bool replacement)
    : weights_(std::move(weights)), num_samples_(num_samples), replacement_(replacement) {
  EMBER_CHECK(!weights_.empty(), "WeightedRandomSampler: expected at least one weight");
  EMBER_CHECK(num_samples > 0, "WeightedRandomSampler: num_samples must be positive, got ",
              num_samples);
  int64_t positive = 0;
  double total = 0.0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    EMBER_CHECK(std::isfinite(weights_[i]) && weights_[i] >= 0, "WeightedRandomSampler: weight ",
                weights_[i], " at index ", i, " is not a finite non-negative number");
    positive += weights_[i] > 0;
    total += weights_[i];
    cumulative_.push_back(total);
  }
  EMBER_CHECK(total > 0, "WeightedRandomSampler: every weight is zero");
  EMBER_CHECK(replacement || num_samples <= positive, "WeightedRandomSampler: cannot draw ",
              num_samples, " samples without replacement from ", positive,
              " positions of positive weight");
}

std::vector<int64_t> WeightedRandomSampler::indices(Generator& generator) const {
  if (replacement_) {
    std::vector<double> uniform = rand({num_samples_}, kFloat64, &generator).to_vector<double>();
    // Inverse CDF: the first running sum above u * total. Zero weights add an
    // equal running sum, so they are never the first one above.
    std::vector<int64_t> result(uniform.size());
    const double total = cumulative_.back();
    for (size_t s = 0; s < uniform.size(); ++s) {
      auto at = std::upper_bound(cumulative_.begin(), cumulative_.end(), uniform[s] * total);
      at = std::min(at, cumulative_.end() - 1);  // u * total rounding up to total
      result[s] = at - cumulative_.begin();
    }
    return result;
  }

  // Without replacement: each position races with an Exp(1) / weight arrival
  // time and the first num_samples to arrive are drawn, in arrival order
  // (Efraimidis and Spirakis, "Weighted random sampling with a reservoir",
  // 2006): the same law as drawing one at a time and removing it.
  const auto n = static_cast<int64_t>(weights_.size());
  std::vector<double> race = rand({n}, kFloat64, &generator).to_vector<double>();
  std::vector<std::pair<double, int64_t>> arrivals;
  for (int64_t i = 0; i < n; ++i) {
    if (weights_[i] > 0) arrivals.push_back({-std::log1p(-race[i]) / weights_[i], i});
  }
  std::partial_sort(arrivals.begin(), arrivals.begin() + num_samples_, arrivals.end());
  std::vector<int64_t> result(static_cast<size_t>(num_samples_));
  for (int64_t s = 0; s < num_samples_; ++s) result[s] = arrivals[s].second;
  return result;
}

}  // namespace ember::data
