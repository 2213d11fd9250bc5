#include "data/tensor_dataset.h"

#include "framework/error.h"

namespace ember::data {

TensorDataset::TensorDataset(Tensor input, Tensor target)
    : input_(std::move(input)), target_(std::move(target)) {
  EMBER_CHECK(input_.defined(), "TensorDataset: the input tensor is undefined");
  EMBER_CHECK(input_.dim() >= 1, "TensorDataset: the input must have a dim 0 to index, got a "
              "0-d tensor");
  if (target_.defined()) {
    EMBER_CHECK(target_.dim() >= 1 && target_.size(0) == input_.size(0),
                "TensorDataset: input ", input_.shape(), " and target ", target_.shape(),
                " differ in dim 0; every tensor must hold one row per example");
  }
}

Example TensorDataset::get(int64_t index) const {
  EMBER_CHECK(index >= 0 && index < size(), "TensorDataset: index ", index,
              " is out of range for ", size(), " examples");
  return {input_.select(0, index), target_.defined() ? target_.select(0, index) : Tensor()};
}

}  // namespace ember::data
