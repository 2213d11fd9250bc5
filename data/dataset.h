#pragma once

#include <cstdint>
#include <memory>

#include "data/example.h"
#include "framework/random.h"

namespace ember::data {

// A collection of examples with random access, as torch.utils.data.Dataset.
// Implement size() and get(); the DataLoader calls get() from several threads
// at once, so get() must not modify shared state without a lock.
class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // The example at `index` in [0, size()). Throws ember::Error otherwise.
  virtual Example get(int64_t index) const = 0;

  // The loader's entry point. `generator` is seeded from the loader's seed,
  // the epoch and the example's position in the epoch, so anything random
  // done here (a random transform) repeats for a seed and never depends on
  // the thread count. Datasets that draw override this and draw only from
  // `generator`; wrappers (Subset, ConcatDataset) forward it; the default
  // ignores it and calls get().
  virtual Example fetch(int64_t index, Generator& /*generator*/) const { return get(index); }
};

// Datasets are shared between the loader, splits and wrappers.
using DatasetPtr = std::shared_ptr<const Dataset>;

}  // namespace ember::data
