#pragma once

#include <cstdint>
#include <vector>

#include "data/example.h"

namespace ember::data {

// Stacks examples into a batch, as PyTorch's default_collate for tensors:
// input [B, ...] from B inputs of one shape, target likewise (undefined when
// every target is). The batch is a plain copy with no autograd history.
// `indices` (the examples' dataset positions) go into the batch and name the
// examples in errors; empty means 0, 1, ...
// Throws ember::Error for no examples, or an example whose input or target
// differs in shape or dtype from the first one, or has a target where the
// first has none (or the reverse).
Batch collate(const std::vector<Example>& examples, std::vector<int64_t> indices = {});

namespace detail {

// Builds a batch row by row, so rows can be filled from several threads at
// once: the first example fixes shapes and dtypes, put() checks and copies
// every further one into its row.
class BatchBuilder {
 public:
  BatchBuilder(int64_t batch_size, const Example& first, int64_t first_index);

  // Copies `example` into `row`; distinct rows may be written concurrently.
  void put(int64_t row, const Example& example, int64_t index);
  Batch finish(std::vector<int64_t> indices);

 private:
  Batch batch_;
  int64_t first_index_;
};

}  // namespace detail
}  // namespace ember::data
