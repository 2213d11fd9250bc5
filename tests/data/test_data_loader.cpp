#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "data/data_loader.h"
#include "data/tensor_dataset.h"
#include "data_test_helpers.h"
#include "framework/parallel.h"
#include "helpers.h"
#include "ops/elementwise.h"

using ember::data::Batch;
using ember::data::DataLoader;
using ember::data::DataLoaderOptions;
using ember_test::ErrorMentions;
using ember_test::ThreadCount;

namespace {

// Example i is input [i, -i] (float32), target i (int64).
std::shared_ptr<ember::data::TensorDataset> numbered(int64_t n) {
  std::vector<float> inputs;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    inputs.push_back(static_cast<float>(i));
    inputs.push_back(-static_cast<float>(i));
    labels.push_back(i);
  }
  return std::make_shared<ember::data::TensorDataset>(ember::tensor(inputs, {n, 2}),
                                                      ember::tensor(labels, {n}));
}

// Every batch's dataset indices, in delivery order, checking that each row
// holds the example its index names.
std::vector<std::vector<int64_t>> run_epoch(DataLoader& loader) {
  std::vector<std::vector<int64_t>> batches;
  for (Batch& batch : loader) {
    std::vector<int64_t> targets = batch.target.to_vector<int64_t>();
    std::vector<float> inputs = batch.input.to_vector<float>();
    REQUIRE(targets == batch.indices);
    for (size_t row = 0; row < targets.size(); ++row) {
      REQUIRE(inputs[2 * row] == static_cast<float>(targets[row]));
    }
    batches.push_back(batch.indices);
  }
  return batches;
}

std::vector<int64_t> flatten(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> all;
  for (const auto& batch : batches) all.insert(all.end(), batch.begin(), batch.end());
  return all;
}

// A dataset whose examples are random draws from the generator fetch gets.
class NoiseDataset : public ember::data::Dataset {
 public:
  int64_t size() const override { return 40; }
  ember::data::Example get(int64_t index) const override {
    ember::Generator generator(0);
    return fetch(index, generator);
  }
  ember::data::Example fetch(int64_t index, ember::Generator& generator) const override {
    return {ember::rand({3}, ember::kFloat32, &generator),
            ember::scalar_tensor(static_cast<double>(index), ember::kInt64)};
  }
};

// Counts get() calls; example `poison` throws.
class CountingDataset : public ember::data::Dataset {
 public:
  explicit CountingDataset(int64_t poison = -1) : poison_(poison) {}
  int64_t size() const override { return 64; }
  ember::data::Example get(int64_t index) const override {
    ++calls;
    if (index == poison_) throw ember::Error("CountingDataset: example " + std::to_string(index) +
                                             " is poisoned");
    return {ember::full({2}, static_cast<double>(index)),
            ember::scalar_tensor(static_cast<double>(index), ember::kInt64)};
  }
  mutable std::atomic<int64_t> calls{0};

 private:
  int64_t poison_;
};

}  // namespace

TEST_CASE("one epoch of the loader visits every index exactly once", "[data]") {
  int threads = GENERATE(1, 2);
  bool shuffle = GENERATE(false, true);
  int64_t prefetch = GENERATE(0, 1, 3);
  ThreadCount thread_count(threads);
  CAPTURE(threads, shuffle, prefetch);
  DataLoader loader(numbered(103), {.batch_size = 10, .shuffle = shuffle, .seed = 5,
                                    .num_prefetch = prefetch});

  std::vector<std::vector<int64_t>> batches = run_epoch(loader);

  REQUIRE(batches.size() == 11);
  CHECK(loader.size() == 11);
  CHECK(batches.back().size() == 3);
  std::vector<int64_t> seen = flatten(batches);
  if (!shuffle) CHECK(std::is_sorted(seen.begin(), seen.end()));
  std::sort(seen.begin(), seen.end());
  std::vector<int64_t> expected(103);
  for (int64_t i = 0; i < 103; ++i) expected[i] = i;
  CHECK(seen == expected);
}

TEST_CASE("drop_last leaves out the short final batch", "[data]") {
  DataLoader loader(numbered(103), {.batch_size = 10, .drop_last = true, .seed = 0});
  DataLoader exact(numbered(100), {.batch_size = 10, .drop_last = true, .seed = 0});
  DataLoader too_small(numbered(7), {.batch_size = 10, .drop_last = true, .seed = 0});

  std::vector<std::vector<int64_t>> batches = run_epoch(loader);

  CHECK(loader.size() == 10);
  CHECK(batches.size() == 10);
  CHECK(flatten(batches).size() == 100);
  CHECK(run_epoch(exact).size() == 10);
  CHECK(too_small.size() == 0);
  CHECK(run_epoch(too_small).empty());
}

TEST_CASE("a batch size near the int64 limit gives one batch of everything", "[data]") {
  const int64_t huge = std::numeric_limits<int64_t>::max();
  DataLoader loader(numbered(7), {.batch_size = huge, .seed = 0});
  DataLoader dropping(numbered(7), {.batch_size = huge, .drop_last = true, .seed = 0});

  std::vector<std::vector<int64_t>> batches = run_epoch(loader);

  CHECK(loader.size() == 1);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].size() == 7);
  CHECK(dropping.size() == 0);
}

TEST_CASE("a seed gives the same order on 1 and 2 threads, a new one each epoch", "[data]") {
  auto dataset = numbered(200);
  DataLoaderOptions options{.batch_size = 16, .shuffle = true, .seed = 1234};
  std::vector<std::vector<int64_t>> one_thread[2];
  std::vector<std::vector<int64_t>> two_threads[2];

  {
    ThreadCount threads(1);
    DataLoader loader(dataset, options);
    one_thread[0] = run_epoch(loader);
    one_thread[1] = run_epoch(loader);
  }
  {
    ThreadCount threads(2);
    DataLoader loader(dataset, options);
    two_threads[0] = run_epoch(loader);
    two_threads[1] = run_epoch(loader);
  }
  DataLoader other_seed(dataset, {.batch_size = 16, .shuffle = true, .seed = 1235});
  DataLoader resumed(dataset, options);
  resumed.set_epoch(1);

  CHECK(one_thread[0] == two_threads[0]);
  CHECK(one_thread[1] == two_threads[1]);
  CHECK(one_thread[0] != one_thread[1]);
  CHECK(run_epoch(other_seed) != one_thread[0]);
  CHECK(run_epoch(resumed) == one_thread[1]);
  CHECK(resumed.epoch() == 2);
}

TEST_CASE("random draws in fetch and batch_transform repeat on any thread count", "[data]") {
  auto dataset = std::make_shared<NoiseDataset>();
  auto scale = [](Batch batch, ember::Generator& generator) {
    batch.input = batch.input * ember::rand({1}, ember::kFloat32, &generator);
    return batch;
  };
  DataLoaderOptions options{.batch_size = 8, .shuffle = true, .seed = 9, .batch_transform = scale};
  auto inputs_of_epoch = [&](int threads) {
    ThreadCount thread_count(threads);
    DataLoader loader(dataset, options);
    std::vector<float> all;
    for (Batch& batch : loader) {
      std::vector<float> values = batch.input.to_vector<float>();
      all.insert(all.end(), values.begin(), values.end());
    }
    return all;
  };

  std::vector<float> one = inputs_of_epoch(1);
  std::vector<float> two = inputs_of_epoch(2);

  CHECK(one.size() == 120);
  CHECK(one == two);
  CHECK(std::adjacent_find(one.begin(), one.end()) == one.end());
}

TEST_CASE("the loader assembles batches ahead of the loop with two threads", "[data]") {
  ThreadCount threads(2);
  auto dataset = std::make_shared<CountingDataset>();
  DataLoader loader(dataset, {.batch_size = 8, .seed = 0, .num_prefetch = 3});

  auto it = loader.begin();
  // The loop holds batch 0; batches 1-3 come from the worker without asking.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (dataset->calls < 32 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  CHECK(dataset->calls == 32);
  CHECK(it->indices.front() == 0);
  ++it;
  CHECK(it->indices.front() == 8);
}

TEST_CASE("a failing example surfaces at its batch and ends the epoch", "[data]") {
  int threads = GENERATE(1, 2);
  ThreadCount thread_count(threads);
  auto dataset = std::make_shared<CountingDataset>(/*poison=*/37);
  DataLoader loader(dataset, {.batch_size = 8, .seed = 0, .num_prefetch = 2});

  int64_t delivered = 0;
  auto it = loader.begin();
  auto read_all = [&] {
    for (; it != loader.end(); ++it) ++delivered;
  };

  CHECK_THROWS_MATCHES(read_all(), ember::Error, ErrorMentions({"example 37", "poisoned"}));
  CHECK(delivered == 4);
  CHECK(it == loader.end());
}

TEST_CASE("leaving an epoch early stops the batches in flight", "[data]") {
  ThreadCount threads(2);
  DataLoader loader(numbered(500), {.batch_size = 4, .shuffle = true, .seed = 3,
                                    .num_prefetch = 4});

  {
    auto it = loader.begin();
    CHECK_THROWS_MATCHES(ember::set_num_threads(1), ember::Error,
                         ErrorMentions({"set_num_threads", "background tasks"}));
    ++it;
  }

  CHECK_NOTHROW(ember::set_num_threads(2));
  CHECK(run_epoch(loader).size() == 125);
}

TEST_CASE("the loader refuses bad options with clear errors", "[data]") {
  auto dataset = numbered(10);
  auto sampler = std::make_shared<ember::data::SubsetRandomSampler>(std::vector<int64_t>{1, 12});

  CHECK_THROWS_MATCHES(DataLoader(dataset, {.batch_size = 0}), ember::Error,
                       ErrorMentions({"DataLoader", "batch_size", "got 0"}));
  CHECK_THROWS_MATCHES(DataLoader(numbered(0)), ember::Error,
                       ErrorMentions({"DataLoader", "empty"}));
  CHECK_THROWS_MATCHES(DataLoader(ember::data::DatasetPtr()), ember::Error,
                       ErrorMentions({"DataLoader", "null"}));
  CHECK_THROWS_MATCHES(DataLoader(dataset, {.shuffle = true, .sampler = sampler}), ember::Error,
                       ErrorMentions({"DataLoader", "sampler", "shuffle"}));
  CHECK_THROWS_MATCHES(DataLoader(dataset, {.num_prefetch = -1}), ember::Error,
                       ErrorMentions({"DataLoader", "num_prefetch"}));
  DataLoader out_of_range(dataset, {.sampler = sampler});
  CHECK_THROWS_MATCHES(out_of_range.begin(), ember::Error,
                       ErrorMentions({"DataLoader", "index 12", "10 examples"}));
}

TEST_CASE("a loader takes datasets by value and uses the given sampler", "[data]") {
  ember::data::TensorDataset dataset(ember::arange(6.0).to(ember::kFloat32).view({6, 1}));
  auto sampler = std::make_shared<ember::data::SubsetRandomSampler>(std::vector<int64_t>{5, 1, 3});
  DataLoader loader(dataset, {.batch_size = 2, .seed = 0, .sampler = sampler});

  std::vector<int64_t> seen;
  for (Batch& batch : loader) {
    CHECK_FALSE(batch.target.defined());
    CHECK(batch.input.shape()[1] == 1);
    seen.insert(seen.end(), batch.indices.begin(), batch.indices.end());
  }

  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<int64_t>{1, 3, 5});
  CHECK(loader.size() == 2);
}
