#pragma once

#include <cstdint>
#include <vector>

#include "framework/tensor.h"

namespace ember::data {

// One item of a dataset: an input and its target (a class index as a 0-d
// int64 tensor, a vector for regression, or undefined for unlabelled data).
// Examples may share storage with their dataset: a transform makes a new
// tensor instead of writing into them.
struct Example {
  Tensor input;
  Tensor target;
};

// Examples stacked along a new leading dim: input [B, ...], target [B, ...]
// (undefined when every example's target is). `indices` are the dataset
// positions the rows came from, in row order.
struct Batch {
  Tensor input;
  Tensor target;
  std::vector<int64_t> indices;

  int64_t size() const { return static_cast<int64_t>(indices.size()); }
};

}  // namespace ember::data
