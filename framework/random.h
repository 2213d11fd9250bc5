#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>

#include "framework/tensor.h"

namespace ember {

// A seeded, counter-based random generator (Philox4x32-10). Each draw of n
// values takes the next n counters, so the values at each position depend only
// on the seed and the position, never on how the work is split over threads.
class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) : seed_(seed) {}

  uint64_t seed() const { return seed_; }
  void manual_seed(uint64_t seed);

  // Reserves `count` consecutive 128-bit counters; returns the first.
  uint64_t reserve(uint64_t count);
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t offset) { offset_ = offset; }

  // Four 32-bit words for `counter` under this generator's seed.
  std::array<uint32_t, 4> block(uint64_t counter) const;

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
  mutable std::mutex mutex_;
};

// The generator used when none is given. Reseed it with manual_seed.
Generator& default_generator();
void manual_seed(uint64_t seed);

// Uniform on [0, 1).
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
// Standard normal (Box-Muller).
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
// Uniform integers in [low, high); int64 unless a dtype is given.
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options = kInt64,
               Generator* generator = nullptr);
// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, Generator* generator = nullptr);

// Fills x in place from the same distributions (no autograd history).
void uniform_(Tensor& x, double low, double high, Generator* generator = nullptr);
void normal_(Tensor& x, double mean, double std, Generator* generator = nullptr);

}  // namespace ember
