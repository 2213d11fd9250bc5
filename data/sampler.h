#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "framework/random.h"

// Samplers decide which dataset positions one epoch visits, and in what order,
// as torch.utils.data's samplers. Each draws only from the generator it is
// given; the DataLoader seeds that generator from its seed and the epoch, so
// an epoch's order is a pure function of (seed, epoch) and the same on any
// number of threads.
namespace ember::data {

class Sampler {
 public:
  virtual ~Sampler() = default;

  // How many positions one epoch yields.
  virtual int64_t size() const = 0;
  // The positions of one epoch, drawn from `generator`.
  virtual std::vector<int64_t> indices(Generator& generator) const = 0;
};

using SamplerPtr = std::shared_ptr<const Sampler>;

// 0, 1, ..., n - 1. Throws ember::Error for negative n.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(int64_t n);

  int64_t size() const override { return n_; }
  std::vector<int64_t> indices(Generator& generator) const override;

 private:
  int64_t n_;
};

struct RandomSamplerOptions {
  // Draw each position independently (repeats possible) instead of permuting.
  bool replacement = false;
  // Positions per epoch; default n. Without replacement, more than n yields
  // whole permutations followed by the start of one more (as PyTorch 1.13).
  std::optional<int64_t> num_samples = std::nullopt;
};

// Positions of [0, n) in random order. Throws ember::Error when the number of
// samples is not positive (an empty dataset included).
class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(int64_t n, const RandomSamplerOptions& options = {});

  int64_t size() const override { return num_samples_; }
  std::vector<int64_t> indices(Generator& generator) const override;

 private:
  int64_t n_;
  int64_t num_samples_;
  bool replacement_;
};

// The given positions in random order, each once per epoch.
class SubsetRandomSampler : public Sampler {
 public:
  explicit SubsetRandomSampler(std::vector<int64_t> indices);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  std::vector<int64_t> indices(Generator& generator) const override;

 private:
  std::vector<int64_t> indices_;
};

// num_samples positions i drawn with probability weights[i] / sum(weights),
// as torch.multinomial: with replacement (the default) each draw is
// independent; without, a drawn position leaves the pool (positions come in
// drawing order). Weights need not sum to 1.
// Throws ember::Error for an empty, negative, non-finite or all-zero weight
// vector, a non-positive num_samples, or (without replacement) more samples
// than positive weights.
class WeightedRandomSampler : public Sampler {
 public:
  WeightedRandomSampler(std::vector<double> weights, int64_t num_samples,
                        bool replacement = true);

  int64_t size() const override { return num_samples_; }
  std::vector<int64_t> indices(Generator& generator) const override;

 private:
  std::vector<double> weights_;
  std::vector<double> cumulative_;  // running sums, for draws with replacement
  int64_t num_samples_;
  bool replacement_;
};

}  // namespace ember::data
