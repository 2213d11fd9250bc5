#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "data/dataset.h"
#include "data/example.h"
#include "data/sampler.h"

namespace ember::data {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  // Visit the examples in a new random order each epoch (a RandomSampler).
  bool shuffle = false;
  // Leave out the last batch when it would be smaller than batch_size.
  bool drop_last = false;
  // Seeds the order and every per-example and per-batch generator. Unset: one
  // draw from default_generator() at construction (so manual_seed applies).
  std::optional<uint64_t> seed = std::nullopt;
  // Decides the positions of each epoch; excludes shuffle. Default: a
  // SequentialSampler, or a RandomSampler with shuffle.
  SamplerPtr sampler = nullptr;
  // Batches assembled ahead of the one the loop holds, on ember's worker
  // threads. 0 assembles each batch when the loop asks (with parallel_for over
  // its examples); with one thread there is no worker, so this is what happens.
  int64_t num_prefetch = 2;
  // Applied to each collated batch (Mixup, CutMix) with a generator seeded
  // from (seed, epoch, batch number). Runs on worker threads: must be safe to
  // call concurrently.
  std::function<Batch(Batch, Generator&)> batch_transform = nullptr;
};

namespace detail {
class Epoch;
}

// Batches of a dataset, as torch.utils.data.DataLoader:
//   DataLoader loader(dataset, {.batch_size = 64, .shuffle = true, .seed = 0});
//   for (Batch& batch : loader) { ... batch.input, batch.target ... }
// Each range-for over the loader is one epoch. The epoch number (counting up
// from 0, or from set_epoch) and the seed fix the order and every random draw,
// whatever the thread count. Batches are stacked by collate() from examples
// that Dataset::fetch returns, assembled ahead of the loop on ember's threads
// (see num_prefetch); set_num_threads bounds them with everything else.
// A batch's exception (an unreadable file, a shape mismatch) is rethrown in
// the loop when that batch is reached and ends the epoch. An iterator keeps
// the dataset alive by itself; set_num_threads throws while an iteration has
// batches in flight.
// Throws ember::Error for a null or empty dataset, batch_size < 1,
// num_prefetch < 0, a sampler together with shuffle, and, when an epoch
// starts, a sampler position outside the dataset.
class DataLoader {
 public:
  class Iterator;

  explicit DataLoader(DatasetPtr dataset, DataLoaderOptions options = {});
  // Takes a dataset by value (datasets share their data, so copies are cheap).
  template <typename D>
    requires std::derived_from<std::decay_t<D>, Dataset>
  explicit DataLoader(D&& dataset, DataLoaderOptions options = {})
      : DataLoader(std::make_shared<std::decay_t<D>>(std::forward<D>(dataset)),
                   std::move(options)) {}

  // Starts epoch epoch() and moves the counter to the next one.
  Iterator begin();
  std::default_sentinel_t end() const { return {}; }

  // Batches per epoch.
  int64_t size() const;
  // The epoch the next begin() runs.
  int64_t epoch() const { return epoch_; }
  // Resumes at `epoch` (e.g. after loading a checkpoint saved at its start).
  void set_epoch(int64_t epoch);
  uint64_t seed() const { return seed_; }

  const DatasetPtr& dataset() const { return dataset_; }
  const Sampler& sampler() const { return *sampler_; }
  const DataLoaderOptions& options() const { return options_; }

 private:
  DatasetPtr dataset_;
  DataLoaderOptions options_;
  SamplerPtr sampler_;
  uint64_t seed_ = 0;
  int64_t epoch_ = 0;
};

// An input iterator over one epoch's batches. Dereferencing gives the current
// batch, which the loop may move from.
class DataLoader::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Batch;
  using difference_type = std::ptrdiff_t;
  using reference = Batch&;

  Iterator(Iterator&& other) noexcept;
  Iterator& operator=(Iterator&& other) noexcept;
  // Stops the batches in flight and waits for them.
  ~Iterator();

  Batch& operator*() const;
  Batch* operator->() const { return &**this; }
  Iterator& operator++();
  bool operator==(std::default_sentinel_t) const;

 private:
  friend class DataLoader;
  explicit Iterator(std::unique_ptr<detail::Epoch> epoch);

  std::unique_ptr<detail::Epoch> epoch_;
};

}  // namespace ember::data
