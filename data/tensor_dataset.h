#pragma once

#include <cstdint>

#include "data/dataset.h"

namespace ember::data {

// Examples that are rows of tensors: example i is {input[i], target[i]}, as
// torch.utils.data.TensorDataset(input, target). Rows are views that share
// storage with the tensors (no copy).
//   input [N, ...] any dtype; target [N, ...] or undefined (unlabelled).
// Throws ember::Error when input is 0-d or undefined, or when target's dim 0
// differs from input's.
class TensorDataset : public Dataset {
 public:
  explicit TensorDataset(Tensor input, Tensor target = Tensor());

  int64_t size() const override { return input_.size(0); }
  Example get(int64_t index) const override;

  const Tensor& input() const { return input_; }
  const Tensor& target() const { return target_; }

 private:
  Tensor input_;
  Tensor target_;
};

}  // namespace ember::data
