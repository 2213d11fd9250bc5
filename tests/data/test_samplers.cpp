#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <set>
#include <vector>

#include "data/sampler.h"
#include "helpers.h"

using ember::Generator;
using ember_test::ErrorMentions;

namespace {

std::vector<int64_t> counts(const std::vector<int64_t>& indices, int64_t n) {
  std::vector<int64_t> result(n, 0);
  for (int64_t index : indices) ++result.at(index);
  return result;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> result(n);
  std::iota(result.begin(), result.end(), int64_t{0});
  return result;
}

}  // namespace

TEST_CASE("SequentialSampler yields 0 to n-1 in order", "[data]") {
  Generator generator(0);
  CHECK(ember::data::SequentialSampler(5).indices(generator) == iota(5));
  CHECK(ember::data::SequentialSampler(0).indices(generator).empty());
}

TEST_CASE("RandomSampler permutes without replacement and repeats for a seed", "[data]") {
  ember::data::RandomSampler sampler(50);
  Generator first(7);
  Generator second(7);
  Generator other(8);

  std::vector<int64_t> order = sampler.indices(first);

  CHECK(order == sampler.indices(second));
  CHECK(order != sampler.indices(other));
  CHECK(order != iota(50));
  std::sort(order.begin(), order.end());
  CHECK(order == iota(50));
}

TEST_CASE("RandomSampler with num_samples above n yields whole permutations first", "[data]") {
  ember::data::RandomSampler sampler(4, {.num_samples = 10});
  Generator generator(1);

  std::vector<int64_t> drawn = sampler.indices(generator);

  REQUIRE(drawn.size() == 10);
  CHECK(sampler.size() == 10);
  for (int start : {0, 4}) {
    std::vector<int64_t> block(drawn.begin() + start, drawn.begin() + start + 4);
    std::sort(block.begin(), block.end());
    CHECK(block == iota(4));
  }
  CHECK(std::set<int64_t>(drawn.begin() + 8, drawn.end()).size() == 2);
}

TEST_CASE("RandomSampler with replacement draws uniformly", "[data]") {
  ember::data::RandomSampler sampler(10, {.replacement = true, .num_samples = 20000});
  Generator generator(3);

  std::vector<int64_t> drawn = counts(sampler.indices(generator), 10);

  // Each count is Binomial(20000, 0.1): sd 42, so 5 sd is 212.
  for (int64_t count : drawn) CHECK(std::abs(count - 2000) < 212);
}

TEST_CASE("RandomSampler refuses an empty dataset and non-positive num_samples", "[data]") {
  CHECK_THROWS_MATCHES(ember::data::RandomSampler(0), ember::Error,
                       ErrorMentions({"RandomSampler", "num_samples", "empty"}));
  CHECK_THROWS_MATCHES(ember::data::RandomSampler(5, {.num_samples = 0}), ember::Error,
                       ErrorMentions({"RandomSampler", "num_samples must be positive"}));
}

TEST_CASE("SubsetRandomSampler permutes the given indices", "[data]") {
  ember::data::SubsetRandomSampler sampler({10, 20, 30, 40});
  Generator generator(0);

  std::vector<int64_t> drawn = sampler.indices(generator);

  std::sort(drawn.begin(), drawn.end());
  CHECK(drawn == std::vector<int64_t>{10, 20, 30, 40});
}

TEST_CASE("WeightedRandomSampler draws in proportion to the weights", "[data]") {
  ember::data::WeightedRandomSampler sampler({1.0, 0.0, 3.0, 6.0}, 40000);
  Generator generator(11);

  std::vector<int64_t> drawn = counts(sampler.indices(generator), 4);

  // Expected 4000, 0, 12000, 24000; binomial sd at most 98, bounds 5 sd.
  CHECK(std::abs(drawn[0] - 4000) < 300);
  CHECK(drawn[1] == 0);
  CHECK(std::abs(drawn[2] - 12000) < 460);
  CHECK(std::abs(drawn[3] - 24000) < 490);
}

TEST_CASE("WeightedRandomSampler without replacement never repeats a position", "[data]") {
  ember::data::WeightedRandomSampler sampler({5.0, 1.0, 0.0, 1.0, 1.0}, 4, false);
  std::vector<int64_t> first_draws(5, 0);

  for (uint64_t seed = 0; seed < 2000; ++seed) {
    Generator generator(seed);
    std::vector<int64_t> drawn = sampler.indices(generator);
    REQUIRE(std::set<int64_t>(drawn.begin(), drawn.end()).size() == 4);
    REQUIRE(std::find(drawn.begin(), drawn.end(), 2) == drawn.end());
    ++first_draws[drawn[0]];
  }

  // The first draw is position 0 with probability 5/8: 1250 of 2000, sd 22.
  CHECK(std::abs(first_draws[0] - 1250) < 110);
}

TEST_CASE("WeightedRandomSampler refuses weights it cannot draw from", "[data]") {
  using ember::data::WeightedRandomSampler;
  CHECK_THROWS_MATCHES(WeightedRandomSampler({1.0, -1.0}, 3), ember::Error,
                       ErrorMentions({"WeightedRandomSampler", "index 1"}));
  CHECK_THROWS_MATCHES(WeightedRandomSampler({0.0, 0.0}, 3), ember::Error,
                       ErrorMentions({"WeightedRandomSampler", "zero"}));
  CHECK_THROWS_MATCHES(WeightedRandomSampler({1.0, 0.0, 2.0}, 3, false), ember::Error,
                       ErrorMentions({"WeightedRandomSampler", "3 samples", "2 positions"}));
  CHECK_THROWS_MATCHES(WeightedRandomSampler({1.0}, 0), ember::Error,
                       ErrorMentions({"WeightedRandomSampler", "num_samples"}));
}
