#pragma once

#include <cstdint>
#include <initializer_list>

namespace ember::data::detail {

// What a derived generator key is for, so streams never coincide.
enum class Stream : uint64_t { Sampler = 1, Example = 2, Batch = 3, Split = 4 };

// SplitMix64's finalizer (Steele et al., "Fast splittable pseudorandom number
// generators", OOPSLA 2014): a bijection that scatters nearby inputs.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A Philox key for (seed, stream, parts...): distinct inputs give unrelated
// keys, hence independent streams of random numbers.
inline uint64_t derive_seed(uint64_t seed, Stream stream,
                            std::initializer_list<uint64_t> parts) {
  uint64_t key = mix64(seed ^ mix64(static_cast<uint64_t>(stream)));
  for (uint64_t part : parts) key = mix64(key ^ part);
  return key;
}

}  // namespace ember::data::detail
